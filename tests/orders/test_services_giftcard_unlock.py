"""Unlocking a gift card locked after wrong PINs: a manager's yes to an associate
covers that lock only, and the PIN typed for an unlock is counted against whoever
types it, as at any check, so an unlock is no way round the count."""

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


def test_wrong_pins_at_an_unlock_count_against_the_one_typing_them(manager, milano):
    card = gift_card()
    lock(card)
    for _ in range(20):
        with pytest.raises(ApplicationError) as wrong:
            at_counter(manager, card, milano, pin="111111")
        assert wrong.value.code == "gift_card_invalid"

    with pytest.raises(ApplicationError) as refused:
        at_counter(manager, card, milano)

    assert refused.value.code == "too_many_attempts"
    assert pin_lock_ends(card.number) is not None


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
