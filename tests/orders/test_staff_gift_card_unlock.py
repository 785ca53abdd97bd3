"""A gift card locked after wrong PINs is unlocked at the counter of a shop that takes
it, the holder there with the card: its PIN typed right is the proof, a reason is
kept. A manager of the shop unlocks it at once; an associate asks a manager first,
with the reason alone, and the holder types the PIN once approved: nothing is said of
the PIN before, and the page never holds it. The PINs typed to unlock a card are
counted against its lock, whoever types them. The card's history keeps who, when,
where, why and who approved. Then its PIN works again, at the counter and online."""

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
from orders.models import GiftCard
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import shop, warehouse
from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
API = "/api/v1/gift-cards/balance/"
BALANCE = reverse("staff:gift_card_balance")
UNLOCK = reverse("staff:gift_card_unlock")
HTMX = {"HTTP_HX_REQUEST": "true"}
WHY = "Holder at the counter with the card, mistyped the PIN"


def locked_online(card: GiftCard) -> None:
    """Five wrong PINs online: the card is locked, its right PIN refused too."""
    for _ in range(5):
        APIClient().post(API, {"number": card.number, "pin": "000000"}, format="json")
    assert balance_online(card).json()["code"] == "gift_card_locked"


def balance_online(card: GiftCard):
    return APIClient().post(API, {"number": card.number, "pin": PIN}, format="json")


def checked(client, card: GiftCard, pin: str = PIN):
    return client.post(BALANCE, {"number": card.number, "pin": pin})


def unlock(client, card: GiftCard, pin: str = PIN, reason: str = WHY, **extra):
    data = {"unlock-number": card.number, "unlock-pin": pin, "unlock-reason": reason}
    return client.post(UNLOCK, {**data, **extra}, **HTMX)


def history(card: GiftCard) -> list[LogEntry]:
    return list(LogEntry.objects.filter(object_id=str(card.pk)).order_by("pk"))


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Duomo", country="IT")


@pytest.fixture
def manager(milano):
    return make_approver(
        StaffFactory(
            store=milano,
            role=Role.STORE_MANAGER,
            username="marco",
            first_name="Marco",
            last_name="Rossi",
        ),
        pin="2468",
    )


@pytest.fixture
def associate(milano):
    return StaffFactory(store=milano, username="desk", first_name="Ada", last_name="B")


def test_a_store_manager_unlocks_a_locked_card_with_its_pin_and_it_works_again(
    client, manager, milano
):
    card = gift_card("42.50")
    locked_online(card)
    client.force_login(manager)

    found = checked(client, card)

    assert found.status_code == 422
    page = found.content.decode()
    assert "locked after too many wrong PINs" in page
    assert 'data-testid="unlock-form"' in page and "Unlock card" in page
    assert "the proof is its PIN" in page

    done = unlock(client, card)

    assert done.status_code == 200
    text = done.content.decode()
    assert 'data-testid="gift-card-unlocked"' in text
    assert "42.50 EUR" in text
    (entry,) = history(card)
    assert entry.user == manager
    assert entry.change_message == f"Unlocked after wrong PINs at Milano Duomo: {WHY}"
    own = Approval.objects.get(kind=ApprovalKind.GIFT_CARD_UNLOCK)
    assert (own.status, own.channel, own.decided_by, own.location, own.reason) == (
        ApprovalStatus.USED,
        ApprovalChannel.SELF,
        manager,
        milano,
        WHY,
    )
    assert checked(client, card).status_code == 200
    assert balance_online(card).status_code == 200


def test_a_wrong_pin_keeps_the_card_locked_and_counts_against_the_associate(
    client, manager
):
    card = gift_card()
    locked_online(card)
    client.force_login(manager)

    refused = unlock(client, card, pin="111111")

    assert refused.status_code == 422
    assert "the card stays locked" in refused.content.decode()
    assert unlock(client, card, reason="").status_code == 422  # a reason is needed
    assert history(card) == []
    assert balance_online(card).json()["code"] == "gift_card_locked"


def test_an_associate_asks_a_manager_who_approves_with_their_pin(
    client, associate, manager
):
    card = gift_card("30.00")
    locked_online(card)
    client.force_login(associate)
    page = checked(client, card).content.decode()
    assert "Ask a manager to unlock" in page and "Unlock card" not in page
    assert 'name="unlock-pin"' not in page  # the PIN comes once approved

    waiting = unlock(client, card, pin="")

    assert waiting.status_code == 202
    text = waiting.content.decode()
    assert 'id="gift-card-balance"' in text and 'data-testid="approval-ask"' in text
    assert f"Unlock {card} (EUR), locked after wrong PINs until" in text
    assert balance_online(card).json()["code"] == "gift_card_locked"
    request = Approval.objects.get(kind=ApprovalKind.GIFT_CARD_UNLOCK)
    assert (request.status, request.reason) == (ApprovalStatus.PENDING, WHY)
    pin = reverse("staff:approval_pin", args=[request.pk])
    granted = client.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert granted["HX-Trigger"] == "approval-granted"

    # The panel sends the form again with the approval: the holder's PIN is asked.
    asked = unlock(client, card, pin="", approval=request.pk)

    assert asked.status_code == 200
    text = asked.content.decode()
    assert 'data-testid="unlock-approved"' in text and 'name="unlock-pin"' in text
    assert f'name="approval" value="{request.pk}"' in text
    assert f"Why: {WHY}" in text
    wrong = unlock(client, card, pin="111111", approval=request.pk)
    assert wrong.status_code == 422
    assert "the card stays locked" in wrong.content.decode()
    assert 'data-testid="unlock-approved"' in wrong.content.decode()  # yes kept

    done = unlock(client, card, approval=request.pk)

    assert done.status_code == 200
    assert "30.00 EUR" in done.content.decode()
    (entry,) = history(card)
    assert entry.user == associate
    assert entry.change_message == (
        f"Unlocked after wrong PINs at Milano Duomo: {WHY} · approved by Marco Rossi"
    )
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ApprovalStatus.USED, manager)
    assert balance_online(card).status_code == 200


def test_an_associate_learns_nothing_of_the_pin_and_the_page_never_holds_it(
    client, associate, manager
):
    card = gift_card()
    locked_online(card)
    client.force_login(associate)

    answers = [unlock(client, card, pin="111111") for _ in range(8)]
    answers.append(unlock(client, card))  # the right PIN

    assert {answer.status_code for answer in answers} == {202}
    for answer in answers:
        text = answer.content.decode()
        assert PIN not in text and "111111" not in text and "unlock-pin" not in text
    assert history(card) == []
    assert balance_online(card).json()["code"] == "gift_card_locked"
    # Nothing was counted against the card's unlock: its manager has every try.
    client.force_login(manager)
    for _ in range(4):
        assert unlock(client, card, pin="111111").status_code == 422
    assert unlock(client, card).status_code == 200


def test_wrong_pins_at_the_unlock_across_two_logins_stop_at_the_cards_cap(
    client, manager, milano
):
    card = gift_card()
    locked_online(card)
    area = make_approver(StaffFactory(store=milano, role=Role.AREA_MANAGER))
    client.force_login(manager)
    for _ in range(3):
        assert unlock(client, card, pin="111111").status_code == 422
    client.force_login(area)
    last = [unlock(client, card, pin="111111") for _ in range(2)][-1]
    assert "No shop unlocks it now before its lock ends" in last.content.decode()

    refused = unlock(client, card)  # the right PIN, one try too many

    assert refused.status_code == 422
    text = refused.content.decode()
    assert "Too many wrong PINs were typed to unlock this gift card" in text
    assert "HQ may still unlock it in the admin" in text
    client.force_login(manager)
    assert "Too many wrong PINs" in unlock(client, card).content.decode()
    assert history(card) == []
    assert balance_online(card).json()["code"] == "gift_card_locked"


def test_an_associate_unlocks_nothing_without_a_manager(client, associate):
    card = gift_card()
    locked_online(card)
    client.force_login(associate)

    assert unlock(client, card).status_code == 202

    assert history(card) == []
    assert balance_online(card).json()["code"] == "gift_card_locked"


def test_any_shop_selling_in_the_cards_currency_unlocks_it_not_one_in_another(
    client, milano, zurich
):
    card = gift_card("20.00", location=milano)  # sold in Milano
    locked_online(card)
    far = shop(code="RM01", name="Roma Termini", country="IT")
    client.force_login(
        make_approver(StaffFactory(store=zurich, role=Role.STORE_MANAGER))
    )

    refused = unlock(client, card, pin="111111")  # refused before the PIN is read

    assert refused.status_code == 422
    assert "This gift card is in EUR and Zürich Bahnhofstrasse sells in CHF" in (
        refused.content.decode()
    )
    assert history(card) == []
    assert balance_online(card).json()["code"] == "gift_card_locked"

    client.force_login(make_approver(StaffFactory(store=far, role=Role.STORE_MANAGER)))
    assert unlock(client, card).status_code == 200
    assert "at Roma Termini" in history(card)[0].change_message
    assert balance_online(card).status_code == 200


def test_a_card_that_is_not_locked_is_not_unlocked(client, manager):
    card = gift_card()
    client.force_login(manager)

    refused = unlock(client, card)

    assert refused.status_code == 422
    assert "This gift card is not locked" in refused.content.decode()
    assert history(card) == []


def test_a_warehouse_offers_no_unlock_and_refuses_one(client):
    depot = warehouse(code="WH01")
    card = gift_card()
    locked_online(card)
    client.force_login(
        make_approver(StaffFactory(store=depot, role=Role.STORE_MANAGER))
    )

    page = checked(client, card).content.decode()

    assert 'data-testid="unlock-form"' not in page
    assert "unlocked at a shop's counter" in page
    assert unlock(client, card).status_code == 403
    assert balance_online(card).json()["code"] == "gift_card_locked"
