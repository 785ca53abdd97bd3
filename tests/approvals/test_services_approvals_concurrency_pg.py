"""Approvals under real concurrency (PostgreSQL, threads): two managers deciding the
same request make one decision; wrong PINs typed at once on several tablets are
each counted and kept, and the lock comes at the limit, not later."""

import pytest
from django.contrib.admin.models import LogEntry

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalPin, ApprovalStatus
from omnistore.approvals.services.approvals import (
    ApprovalRequired,
    approve_with_pin,
    decide_approval,
)
from omnistore.approvals.services.pins import PinLocked, WrongPin, verify_pin
from omnistore.core.exceptions import Conflict
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import ask, make_approver, waiting_request
from tests.concurrency import run_parallel
from tests.factories import StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_managers_deciding_at_once_make_one_decision(store, associate, manager):
    other = make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))
    order = counter_sale(
        store=store, lines=[(stocked(store, 2, price="300.00"), 1)], staff=associate
    )
    with pytest.raises(ApprovalRequired) as asked:
        return_at_counter(
            order=order.number,
            lines=[line_request(order)],
            location=store,
            actor=associate,
        )
    request = ask(asked.value, associate)

    def decide(who, yes):
        note = "" if yes else "Not without the receipt"
        return lambda: decide_approval(
            approval=request.pk, approver=who, approve=yes, note=note
        )

    results = run_parallel([decide(manager, True), decide(other, False)] * 2)
    decided = [r for r in results if isinstance(r, Approval)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(decided) == 1 and len(refused) == 3, results
    final = Approval.objects.get(pk=request.pk)
    assert final.status in (ApprovalStatus.APPROVED, ApprovalStatus.REFUSED)
    assert final.decided_by_id == decided[0].decided_by_id


def test_wrong_pins_at_once_are_all_counted_and_lock_at_the_limit(associate, manager):
    def wrong():
        return lambda: verify_pin(user=manager, pin="0000", actor=associate)

    results = run_parallel([wrong() for _ in range(8)])
    assert sum(isinstance(r, WrongPin) for r in results) == 4, results
    assert sum(isinstance(r, PinLocked) for r in results) == 4, results
    assert ApprovalPin.objects.get(user=manager).locked_until is not None


def test_wrong_pins_at_once_for_one_request_are_each_counted_and_kept(
    store, associate, manager
):
    request = waiting_request(store, associate)

    def wrong():
        return lambda: approve_with_pin(
            approval=request.pk, manager=manager, pin="0000", actor=associate
        )

    results = run_parallel([wrong() for _ in range(8)])
    assert sum(isinstance(r, WrongPin) for r in results) == 4, results
    assert sum(isinstance(r, PinLocked) for r in results) == 4, results
    pin = ApprovalPin.objects.get(user=manager)
    assert (pin.locks, pin.locked_until is not None) == (1, True)
    kept = LogEntry.objects.filter(object_id=str(pin.pk))
    assert kept.count() == 8 and {e.user_id for e in kept} == {associate.pk}
    assert Approval.objects.get(pk=request.pk).status == ApprovalStatus.PENDING
