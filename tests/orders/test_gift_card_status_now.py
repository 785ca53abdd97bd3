"""A gift card's status is what it is now, the same at the staff balance check and in
the API: a card past its date is expired, before and after the hourly expiry books
what was left on it; a void card is void; any other card is active."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from omnistore.accounts.models import Role
from orders.models import GiftCard
from orders.services.giftcards import expire_gift_cards, void_gift_card
from tests.factories import StaffFactory
from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
API = "/api/v1/gift-cards/balance/"


@pytest.fixture
def manager(client):
    client.force_login(StaffFactory(role=Role.STORE_MANAGER))
    return client


def past_its_date(card: GiftCard) -> GiftCard:
    GiftCard.objects.filter(pk=card.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    card.refresh_from_db()
    return card


def checked_at_the_counter(client, card) -> str:
    page = client.post(
        reverse("staff:gift_card_balance"), {"number": card.number, "pin": PIN}
    )
    assert page.status_code == 200
    return page.content.decode()


def checked_in_the_api(card) -> str:
    body = APIClient().post(API, {"number": card.number, "pin": PIN}, format="json")
    assert body.status_code == 200, body.json()
    return body.json()["status"]


def test_a_card_past_its_date_is_expired_at_the_counter_not_active(manager):
    card = past_its_date(gift_card("20.00"))

    html = checked_at_the_counter(manager, card)

    assert "20.00 EUR" in html
    assert "Expired" in html and "Active" not in html
    assert checked_in_the_api(card) == "expired"


def test_a_card_whose_rest_was_booked_as_expired_stays_expired_at_the_counter(
    manager,
):
    card = past_its_date(gift_card("20.00"))
    assert expire_gift_cards() == 1

    html = checked_at_the_counter(manager, card)

    assert "0.00 EUR" in html
    assert "Expired" in html and "Active" not in html
    assert checked_in_the_api(card) == "expired"


def test_an_active_card_shows_its_date_and_a_void_one_says_void(manager, settings):
    settings.OMNISTORE_APPROVAL_GIFT_CARD_VOID = False
    active = gift_card("30.00")
    void = gift_card("10.00")
    void_gift_card(card=void, reason="Reported stolen", actor=None)

    shown = checked_at_the_counter(manager, active)
    voided = checked_at_the_counter(manager, void)

    valid_until = f"{timezone.localtime(active.expires_at):%-d %b %Y}"
    assert f"Active · valid until {valid_until}" in shown
    assert "Void" in voided and "Active" not in voided
    assert (checked_in_the_api(active), checked_in_the_api(void)) == (
        "active",
        "void",
    )
