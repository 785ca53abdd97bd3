"""A gift card locked after wrong PINs in the admin: its page says so and until when;
*Unlock the selected gift cards* lists the locked ones and unlocks them once that page
is confirmed with a reason, HQ's at no one shop; each unlock in the card's history
with who, when and why. Managers hold no gift cards in the admin: they unlock a card
at the counter, with its holder's PIN."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from rest_framework.test import APIClient

from omnistore.accounts.models import Role
from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalKind,
    ApprovalStatus,
)
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop
from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CARDS = reverse("admin:orders_giftcard_changelist")
API = "/api/v1/gift-cards/balance/"
WHY = "Buyer of the e-gift card called, order checked"


def locked(card):
    for _ in range(5):
        APIClient().post(API, {"number": card.number, "pin": "000000"}, format="json")
    assert balance_code(card) == "gift_card_locked"
    return card


def balance_code(card) -> str:
    answer = APIClient().post(API, {"number": card.number, "pin": PIN}, format="json")
    return answer.json().get("code", "ok") if answer.status_code != 200 else "ok"


def unlock(client, cards, *, follow=False, **data):
    selected = {"action": "unlock_cards", "_selected_action": [c.pk for c in cards]}
    return client.post(CARDS, {**selected, **data}, follow=follow)


@pytest.fixture
def hq(client):
    user = UserFactory(
        username="hq", role=Role.HQ, is_staff=True, first_name="Hana", last_name="Q"
    )
    client.force_login(user)
    return user


def test_the_cards_page_says_it_is_locked_and_until_when(client, hq):
    card = gift_card()
    page = reverse("admin:orders_giftcard_change", args=[card.pk])
    assert "Not locked" in client.get(page).content.decode()

    locked(card)

    assert "Locked after wrong PINs until" in client.get(page).content.decode()


def test_headquarters_unlock_the_locked_cards_once_the_page_is_confirmed(client, hq):
    card = locked(gift_card("25.00"))
    open_card = gift_card("10.00")

    page = unlock(client, [card, open_card], reason=WHY)

    assert page.status_code == 200
    (row,) = page.context["rows"]  # the card not locked is left out
    assert row[:3] == (card.masked_number, "Physical card", "EUR")
    assert page.context["form"]["reason"].value() == WHY
    assert balance_code(card) == "gift_card_locked"  # nothing yet
    assert unlock(client, [card], confirm="yes", reason="").status_code == 422
    assert balance_code(card) == "gift_card_locked"

    done = unlock(client, [card, open_card], confirm="yes", reason=WHY)

    assert done.status_code == 302
    assert balance_code(card) == "ok"
    entry = LogEntry.objects.get(object_id=str(card.pk))
    assert (entry.user, entry.change_message) == (
        hq,
        f"Unlocked after wrong PINs by HQ: {WHY}",
    )
    assert not LogEntry.objects.filter(object_id=str(open_card.pk)).exists()
    own = Approval.objects.get(kind=ApprovalKind.GIFT_CARD_UNLOCK)
    assert (own.status, own.channel, own.decided_by, own.location) == (
        ApprovalStatus.USED,
        ApprovalChannel.SELF,
        hq,
        None,
    )
    history = client.get(reverse("admin:orders_giftcard_history", args=[card.pk]))
    text = history.content.decode()
    assert (
        "Voids and unlocks" in text
        and f"Unlocked after wrong PINs by HQ: {WHY}" in text
    )


def test_nothing_locked_among_the_selection_says_so(client, hq):
    card = gift_card()

    answer = unlock(client, [card], reason=WHY, follow=True)

    assert "None of the selected gift cards is locked." in answer.content.decode()
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.AREA_MANAGER])
def test_a_manager_has_no_gift_cards_in_the_admin(client, role):
    card = locked(gift_card())
    manager = make_approver(StaffFactory(store=shop(), role=role))
    assert manager.is_staff  # their role reaches the admin
    client.force_login(manager)

    assert client.get(CARDS).status_code == 403
    assert unlock(client, [card], confirm="yes", reason=WHY).status_code == 403

    assert balance_code(card) == "gift_card_locked"
    assert not LogEntry.objects.exists()


def test_the_superuser_unlocks_as_hq_does(client):
    card = locked(gift_card())
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)

    assert unlock(client, [card], confirm="yes", reason=WHY).status_code == 302

    assert balance_code(card) == "ok"
    entry = LogEntry.objects.get(object_id=str(card.pk))
    assert entry.change_message == f"Unlocked after wrong PINs by HQ: {WHY}"
