"""E-gift cards and erasure. The buyer of a card still to be sent is not erased yet:
without the recipient's address the card would never leave and the money paid would
reach nobody (409 ``gift_card_to_send``, naming the card and its send date; nothing
changes). Cards others bought for an email the person proved lose the person's
email, name and message once sent; one still to be sent keeps them and still reaches
them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer, IdentityKind
from omnistore.accounts.models import Role
from orders.models import GiftCard
from orders.services.egift import send_due_e_gift_cards
from orders.services.giftcards import void_gift_card
from tests.factories import UserFactory
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

PURCHASE = "/api/v1/gift-cards/purchase/"
ERASE = "/api/v1/me/erase/"
CHANGELIST = "/admin/customers/customer/"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Purchases are throttled in the cache: none counted at the start of a test."""
    cache.clear()
    yield
    cache.clear()


def buy_card(client, *, days_ahead: int, to: str, name: str, message: str, **extra):
    send_on = timezone.localdate() + timedelta(days=days_ahead)
    response = client.post(
        PURCHASE,
        {
            "amount": "50.00",
            "country": "IT",
            "recipient_name": name,
            "recipient_email": to,
            "message": message,
            "send_on": send_on.isoformat(),
            "payment": {"method": "card_online", "token": "tok_visa"},
            **extra,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return GiftCard.objects.get(order__number=response.json()["order"])


@pytest.fixture
def buyer():
    user, customer = shopper("erika.testa@example.net")
    return user, customer


@pytest.fixture
def unsent_card(buyer):
    user, _ = buyer
    return buy_card(
        api_client_for(user),
        days_ahead=30,
        to="mamma.testarossa@example.org",
        name="Mamma Testarossa",
        message="Auguri",
        sender_name="Erika T.",
    )


def test_the_buyer_of_a_card_still_to_be_sent_is_refused_and_nothing_changes(
    buyer, unsent_card
):
    user, customer = buyer

    response = api_client_for(user).post(ERASE, {"confirm": True}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "gift_card_to_send"
    send_on = unsent_card.send_on.isoformat()
    assert unsent_card.masked_number in body["message"] and send_on in body["message"]
    assert "Wait until it is sent" in body["message"]
    assert "cancel and refund it" in body["message"]
    assert unsent_card.number not in body["message"]
    assert body["extra"]["gift_cards"] == [
        {"number": unsent_card.masked_number, "send_on": send_on}
    ]
    customer.refresh_from_db()
    user.refresh_from_db()
    assert not customer.is_anonymised and user.is_active
    unsent_card.refresh_from_db()
    assert unsent_card.recipient_email == "mamma.testarossa@example.org"
    assert unsent_card.message == "Auguri"
    # The card still leaves on its date, to its recipient.
    on_the_day = timezone.now() + timedelta(days=30)
    assert send_due_e_gift_cards(now=on_the_day) == [unsent_card.pk]


def test_once_the_card_is_sent_the_buyer_is_erased_and_the_card_forgets_them(
    buyer, unsent_card
):
    user, customer = buyer
    send_due_e_gift_cards(now=timezone.now() + timedelta(days=30))

    response = api_client_for(user).post(
        ERASE, {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.is_anonymised
    unsent_card.refresh_from_db()
    assert (
        unsent_card.recipient_email,
        unsent_card.recipient_name,
        unsent_card.sender_name,
        unsent_card.message,
    ) == ("", "", "", "")
    assert unsent_card.balance == unsent_card.initial_amount  # the bearer's money


def test_a_card_the_shop_cancelled_no_longer_holds_the_erasure(buyer, unsent_card):
    user, customer = buyer
    hq = UserFactory(role=Role.HQ, is_staff=True)
    void_gift_card(card=unsent_card, reason="Refunded to the buyer", actor=hq)

    response = api_client_for(user).post(
        ERASE, {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.is_anonymised


def test_hq_erasing_the_buyer_in_the_admin_is_told_the_card_waits(
    client, buyer, unsent_card
):
    _, customer = buyer
    client.force_login(UserFactory(role=Role.HQ, is_staff=True))

    response = client.post(
        CHANGELIST,
        {
            "action": "erase_selected",
            "_selected_action": [customer.pk],
            "confirm": "erase",
            "reason": "Letter of 3 May",
            "forfeit_balance": "on",
        },
        follow=True,
    )

    assert response.status_code == 200
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert f"#{customer.pk}" in shown and unsent_card.masked_number in shown
    assert "Erased the personal data" not in shown
    assert not Customer.objects.get(pk=customer.pk).is_anonymised
    unsent_card.refresh_from_db()
    assert unsent_card.recipient_email == "mamma.testarossa@example.org"


def test_cards_others_bought_for_the_person_forget_them_once_sent():
    user, customer = shopper("erika.work@example.com")
    # Erika proved her email with a code: cards sent there are hers.
    proven = customer.identities.filter(kind=IdentityKind.EMAIL)
    assert proven.update(verified=True) == 1
    guest = APIClient()
    common = {"name": "Erika Work-Recipient", "message": "For Erika at work"}
    sent = buy_card(
        guest,
        days_ahead=0,
        to="Erika.Work@example.com",
        email="lea.bernard59@example.com",
        **common,
    )
    later = buy_card(
        guest,
        days_ahead=20,
        to="erika.work@example.com",
        email="lea.bernard59@example.com",
        **common,
    )
    assert send_due_e_gift_cards() == [sent.pk]

    response = api_client_for(user).post(
        ERASE, {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    sent.refresh_from_db()
    assert (sent.recipient_email, sent.recipient_name, sent.message) == ("", "", "")
    later.refresh_from_db()
    assert later.recipient_email == "erika.work@example.com"
    assert later.message == "For Erika at work"
    # Still to be sent: it reaches them on its date.
    on_the_day = timezone.now() + timedelta(days=20)
    assert send_due_e_gift_cards(now=on_the_day) == [later.pk]
    customer.refresh_from_db()
    assert customer.is_anonymised
