"""Unlocking a gift card locked after wrong PINs: a manager's yes to an associate
covers that lock only; who, where and the yes come before the PIN is read; and the
PINs typed to unlock a card are counted against its lock, whoever types them, so an
unlock is no way round the count."""

import pytest

from omnistore.accounts.models import Role
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.exceptions import ApplicationError, PermissionDenied
from orders.services.giftcard_pins import pin_lock_ends
from orders.services.giftcard_unlock import unlock_card_at_counter, unlock_gift_card
from orders.services.giftcards import gift_card_balance
from tests.approvals.helpers import approved, make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop
from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
WHY = "Holder here with the card"


def lock(card) -> None:
    """Wrong PINs from a stranger somewhere until the card locks."""
    for _ in range(5):
        with pytest.raises(ApplicationError):
            gift_card_balance(number=card.number, pin="000000", caller="ip:1.2.3.4")
    assert pin_lock_ends(card.number) is not None


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Duomo", country="IT")


@pytest.fixture
def associate(milano):
    return StaffFactory(store=milano)


@pytest.fixture
def manager(milano):
    return make_approver(StaffFactory(store=milano, role=Role.STORE_MANAGER))


def at_counter(user, card, location, pin=PIN, **extra):
    return unlock_card_at_counter(
        number=card.number,
        pin=pin,
        reason=WHY,
        actor=user,
        location=location,
        caller=f"user:{user.pk}",
        **extra,
    )


def test_a_yes_unlocks_the_lock_it_was_given_for_not_the_next_one(
    associate, manager, milano
):
    card = gift_card()
    lock(card)
    with pytest.raises(ApprovalRequired) as first:
        at_counter(associate, card, milano)
    yes = approved(first.value, associate, manager)
    at_counter(manager, card, milano)  # the manager unlocked it meanwhile
    lock(card)  # and it locked again

    with pytest.raises(ApprovalRequired):
        at_counter(associate, card, milano, approvals=[yes.pk])

    assert pin_lock_ends(card.number) is not None


def refused_code(user, card, location, pin=PIN, **extra) -> str:
    with pytest.raises(ApplicationError) as refused:
        at_counter(user, card, location, pin=pin, **extra)
    return refused.value.code


def test_wrong_pins_at_an_unlock_stop_at_the_cards_cap_whoever_types_them(
    manager, milano
):
    card = gift_card()
    lock(card)
    area = make_approver(StaffFactory(store=milano, role=Role.AREA_MANAGER))
    typed = [manager, manager, manager, area, area]  # five tries, two logins

    assert [refused_code(user, card, milano, pin="111111") for user in typed] == [
        "gift_card_invalid"
    ] * 5

    with pytest.raises(ApplicationError) as refused:
        at_counter(area, card, milano)  # the right PIN, one try too many
    assert refused.value.code == "gift_card_unlock_refused"
    assert "HQ may still unlock it in the admin" in refused.value.message
    assert refused_code(manager, card, milano) == "gift_card_unlock_refused"
    assert pin_lock_ends(card.number) is not None

    hq = make_approver(UserFactory(role=Role.HQ))
    unlock_gift_card(card=card, reason=WHY, actor=hq)  # HQ, with no PIN
    lock(card)  # locked anew: its unlock counts afresh
    at_counter(manager, card, milano)
    assert pin_lock_ends(card.number) is None


def test_another_currencys_shop_is_refused_before_any_pin_is_read(zurich):
    card = gift_card()  # in EUR
    lock(card)
    franc_manager = make_approver(StaffFactory(store=zurich, role=Role.STORE_MANAGER))

    for pin in ["111111", PIN]:
        assert refused_code(franc_manager, card, zurich, pin=pin) == (
            "gift_card_other_currency"
        )
    assert refused_code(StaffFactory(store=zurich), card, zurich) == (
        "gift_card_other_currency"
    )
    assert pin_lock_ends(card.number) is not None


def test_an_associate_learns_nothing_of_the_pin_before_a_manager_approves(
    associate, manager, milano
):
    card = gift_card()
    lock(card)
    asks = []
    for pin in ["111111"] * 8 + [PIN, ""]:
        with pytest.raises(ApprovalRequired) as waiting:
            at_counter(associate, card, milano, pin=pin)
        asks.append((waiting.value.code, waiting.value.message, waiting.value.extra))
    assert len(set(map(str, asks))) == 1  # the same answer, whatever the PIN
    yes = approved(waiting.value, associate, manager)

    # Once approved, the holder types the PIN; a wrong one keeps the yes.
    assert refused_code(associate, card, milano, pin="", approvals=[yes.pk]) == (
        "gift_card_pin_needed"
    )
    assert refused_code(associate, card, milano, pin="111111", approvals=[yes.pk]) == (
        "gift_card_invalid"
    )
    at_counter(associate, card, milano, approvals=[yes.pk])

    assert pin_lock_ends(card.number) is None
    yes.refresh_from_db()
    assert yes.used_at is not None


def test_no_one_outside_the_shops_nor_hq_unlocks_away_from_a_shop(milano):
    card = gift_card()
    lock(card)
    area = make_approver(StaffFactory(store=milano, role=Role.AREA_MANAGER))

    with pytest.raises(PermissionDenied):
        unlock_gift_card(card=card, reason=WHY, actor=area, location=None)
    with pytest.raises(PermissionDenied):
        unlock_gift_card(card=card, reason=WHY, actor=UserFactory(), location=milano)
    with pytest.raises(PermissionDenied):  # not one of their shops
        unlock_gift_card(card=card, reason=WHY, actor=area, location=shop())

    assert pin_lock_ends(card.number) is not None
    unlock_gift_card(card=card, reason=WHY, actor=area, location=milano)
    assert pin_lock_ends(card.number) is None
