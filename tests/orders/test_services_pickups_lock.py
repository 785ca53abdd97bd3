"""Pickup codes cannot be guessed at the desk: they are long, and an order locks after
a few wrong ones until a store manager or HQ unlocks it; both are recorded."""

import pytest

from omnistore.accounts.models import Role
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from orders.models import Order, OrderStatus
from orders.services.common import CODE_ALPHABET
from orders.services.pickups import collect_order, unlock_pickup
from tests.approvals.helpers import approved
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import ready_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def order(shop):
    item = VariantFactory()
    stock(item, shop, 5)
    return ready_order(store=shop, lines=[(item, 1)])


def wrong(order, actor, times=1):
    errors = []
    for _ in range(times):
        with pytest.raises((ValidationFailed, Conflict)) as error:
            collect_order(order=order, actor=actor, code="AAAAAAAA")
        errors.append(error.value)
    return errors


def test_pickup_codes_are_eight_unambiguous_characters(order):
    assert len(order.pickup_code) >= 8
    assert set(order.pickup_code) <= set(CODE_ALPHABET)


def test_wrong_codes_are_counted_and_lock_the_order_at_the_limit(settings, order, shop):
    settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES = 3
    desk = StaffFactory(store=shop)
    first, second = wrong(order, desk, 2)
    assert first.code == "wrong_pickup_code" and "2 tries left" in first.message
    assert second.extra == {"code": ["Wrong pickup code."]} and "1 try left" in (
        second.message
    )
    [third] = wrong(order, desk)
    assert isinstance(third, Conflict) and third.code == "pickup_locked"
    assert "a manager must unlock" in third.message

    order = Order.objects.get(pk=order.pk)
    assert order.pickup_code_failures == 3
    assert order.pickup_locked_at is not None and order.pickup_locked_by == desk
    change = order.history.last()
    assert (change.from_status, change.to_status, change.actor) == (
        "ready",
        "ready",
        desk,
    )
    assert change.note == "Pickup locked after 3 wrong codes"

    # Locked: neither the right code nor an identity check hands anything over.
    with pytest.raises(Conflict):
        collect_order(order=order, actor=desk, code=order.pickup_code)
    with pytest.raises(Conflict):
        collect_order(order=order, actor=desk, identity_checked=True, note="ID card")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY


def test_only_a_store_manager_or_hq_unlocks_and_the_unlock_is_recorded(
    settings, order, shop
):
    settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES = 2
    desk = StaffFactory(store=shop)
    wrong(order, desk, 2)
    with pytest.raises(ApprovalRequired):
        unlock_pickup(order=order, actor=desk, location=shop, note="let me")
    with pytest.raises(PermissionDenied):  # no one behind it
        unlock_pickup(order=order, actor=None, location=shop, note="let me")
    assert Order.objects.get(pk=order.pk).pickup_locked_at is not None

    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER)
    unlocked = unlock_pickup(
        order=order, actor=manager, location=shop, note="customer has ID"
    )
    assert (unlocked.pickup_code_failures, unlocked.pickup_locked_at) == (0, None)
    change = unlocked.history.last()
    assert (change.actor, change.note) == (manager, "Pickup unlocked: customer has ID")
    with pytest.raises(Conflict):
        unlock_pickup(order=order, actor=manager, location=shop)

    collect_order(order=order, actor=desk, code=order.pickup_code)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COLLECTED


def test_hq_may_unlock_too(settings, order, shop):
    settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES = 1
    wrong(order, StaffFactory(store=shop))
    hq = StaffFactory(store=None, role=Role.HQ)
    assert unlock_pickup(order=order, actor=hq, location=shop).pickup_locked_at is None


def test_a_managers_yes_unlocks_that_lock_once(settings, order, shop):
    """The yes names the lock it was given for: used, it unlocks nothing more when
    the order locks again."""
    settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES = 1
    desk = StaffFactory(store=shop)
    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER)
    wrong(order, desk)
    with pytest.raises(ApprovalRequired) as asked:
        unlock_pickup(order=order, actor=desk, location=shop, note="typo")
    yes = approved(asked.value, desk, manager)
    unlock_pickup(order=order, actor=desk, location=shop, note="typo", approvals=[yes])
    wrong(order, desk)

    with pytest.raises(Conflict):  # a manager must approve again
        unlock_pickup(
            order=order, actor=desk, location=shop, note="typo", approvals=[yes.pk]
        )
    assert Order.objects.get(pk=order.pk).pickup_locked_at is not None


def test_associates_unlock_alone_when_unlocks_are_not_approved(settings, order, shop):
    settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES = 1
    settings.OMNISTORE_APPROVAL_PICKUP_UNLOCK = False
    desk = StaffFactory(store=shop)
    wrong(order, desk)
    unlock_pickup(order=order, actor=desk, location=shop, note="typo")
    assert Order.objects.get(pk=order.pk).history.last().note == (
        "Pickup unlocked: typo"
    )
