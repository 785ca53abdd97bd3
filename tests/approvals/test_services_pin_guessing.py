"""A manager's PIN cannot be guessed without end: a request that is no longer waiting
refuses any PIN before it is looked at, every try refused is kept in the PIN's
history with the associate who typed it and the request, and a PIN locked too often
within 24 hours stays locked until HQ lifts it."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from omnistore.approvals.models import ApprovalChannel, ApprovalPin, ApprovalStatus
from omnistore.approvals.services.approvals import (
    approve_with_pin,
    cancel_approval,
    decide_approval,
)
from omnistore.approvals.services.pins import (
    PinLocked,
    WrongPin,
    set_pin,
    unlock_pin,
)
from omnistore.core.exceptions import ApplicationError, Conflict, NotFound
from tests.approvals.helpers import waiting_request
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LOCK = timedelta(minutes=16)  # past the 15-minute lock


@pytest.fixture(autouse=True)
def long_lived_requests(settings):
    """A request outlives the locks these tests go through."""
    settings.OMNISTORE_APPROVAL_EXPIRY_MINUTES = 48 * 60
    settings.OMNISTORE_APPROVAL_PIN_MAX_LOCKS = 3


def history(manager) -> list[LogEntry]:
    pin = ApprovalPin.objects.get(user=manager)
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(ApprovalPin),
            object_id=str(pin.pk),
        ).order_by("id")
    )


def typed(request, manager, pin, associate, now):
    """What the asking device answers to ``pin``: the approval, or the refusal."""
    try:
        return approve_with_pin(
            approval=request, manager=manager, pin=pin, actor=associate, now=now
        )
    except ApplicationError as refused:
        return refused


def lock(request, manager, associate, now):
    for _ in range(5):
        answer = typed(request, manager, "0000", associate, now)
    assert isinstance(answer, PinLocked)


def ended(how, request, associate, manager, now):
    if how == "withdrawn":
        cancel_approval(approval=request, actor=associate, now=now)
    elif how == "refused":
        decide_approval(
            approval=request, approver=manager, approve=False, note="No", now=now
        )
    elif how == "approved":
        decide_approval(approval=request, approver=manager, approve=True, now=now)
    return now + timedelta(days=3) if how == "expired" else now


@pytest.mark.parametrize("how", ["withdrawn", "refused", "approved", "expired"])
def test_a_request_no_longer_waiting_refuses_any_pin_alike_and_costs_no_try(
    store, associate, manager, how
):
    now = timezone.now()
    request = waiting_request(store, associate, now=now)
    later = ended(how, request, associate, manager, now)
    before = ApprovalPin.objects.get(user=manager)

    answers = [
        typed(request, manager, pin, associate, later)
        for pin in ("0000", "2468", "1357", "0000", "0000", "0000", "0000", "2468")
    ]

    assert all(isinstance(answer, Conflict) for answer in answers), answers
    assert {(a.code, a.message) for a in answers} == {
        ("approval_decided", f"This request is already {how}.")
    }
    after = ApprovalPin.objects.get(user=manager)
    assert (after.failures, after.locked_until, after.locks) == (
        before.failures,
        before.locked_until,
        0,
    )
    assert history(manager) == []


def test_a_pin_is_tried_only_on_ones_own_request(store, associate, manager):
    request = waiting_request(store, associate)
    other = StaffFactory(store=store)

    with pytest.raises(NotFound):
        approve_with_pin(approval=request, manager=manager, pin="0000", actor=other)

    assert ApprovalPin.objects.get(user=manager).failures == 0
    assert history(manager) == []


def test_each_try_refused_is_kept_with_who_typed_it_and_for_which_request(
    store, associate, manager
):
    now = timezone.now()
    request = waiting_request(store, associate, now=now)

    lock(request, manager, associate, now)
    typed(request, manager, "2468", associate, now + timedelta(minutes=1))

    kept = history(manager)
    assert len(kept) == 6
    assert {entry.user_id for entry in kept} == {associate.pk}
    assert {entry.object_repr for entry in kept} == {f"PIN of {manager}"}
    assert kept[0].action_time == now
    asked = f"for request {request.pk} (Refund above the limit · return:R-1)"
    assert [entry.change_message for entry in kept] == [
        f"Wrong PIN: 4 tries left, {asked}",
        f"Wrong PIN: 3 tries left, {asked}",
        f"Wrong PIN: 2 tries left, {asked}",
        f"Wrong PIN: 1 try left, {asked}",
        "Wrong PIN: locked until "
        f"{timezone.localtime(now + timedelta(minutes=15)):%H:%M} "
        f"(lock 1 within 24 hours), {asked}",
        f"PIN typed while locked: not tried, {asked}",
    ]


def test_a_pin_locked_three_times_in_a_day_stays_locked_until_hq_lifts_it(
    store, associate, manager
):
    now = timezone.now()
    request = waiting_request(store, associate, now=now)
    for round_ in range(3):
        lock(request, manager, associate, now + round_ * LOCK)
    held = ApprovalPin.objects.get(user=manager)
    assert (held.locks, held.held_since) == (3, now + 2 * LOCK)

    a_day_later = now + timedelta(hours=30)
    refused = typed(request, manager, "2468", associate, a_day_later)
    assert isinstance(refused, PinLocked)
    assert "locked after 3 locks within 24 hours, until HQ lifts it" in (
        refused.message
    )
    set_pin(user=manager, pin="8642")  # a new PIN does not lift it
    assert isinstance(
        typed(request, manager, "8642", associate, a_day_later), PinLocked
    )
    assert ApprovalPin.objects.get(user=manager).held_since is not None

    lifted = unlock_pin(pin=held, now=a_day_later)
    assert (lifted.held_since, lifted.locks) == (now + 2 * LOCK, 3)
    approved = typed(request, manager, "8642", associate, a_day_later)
    assert (approved.status, approved.channel) == (
        ApprovalStatus.APPROVED,
        ApprovalChannel.PIN,
    )
    pin = ApprovalPin.objects.get(user=manager)
    assert (pin.locks, pin.locks_since, pin.held_since) == (0, None, None)


def test_locks_a_day_apart_end_by_themselves(store, associate, manager):
    now = timezone.now()
    request = waiting_request(store, associate, now=now)
    for start in (now, now + LOCK, now + timedelta(hours=25)):
        lock(request, manager, associate, start)

    pin = ApprovalPin.objects.get(user=manager)
    assert (pin.locks, pin.held_since) == (1, None)
    answer = typed(request, manager, "2468", associate, now + timedelta(hours=26))
    assert answer.status == ApprovalStatus.APPROVED


def test_the_right_pin_does_not_wipe_the_locks_counted(store, associate, manager):
    now = timezone.now()

    def guessed_then_approved(round_: int):
        start = now + round_ * LOCK
        request = waiting_request(
            store, associate, now=start, subject=f"return:R-{round_}"
        )
        lock(request, manager, associate, start)
        return typed(request, manager, "2468", associate, start + LOCK)

    assert guessed_then_approved(0).status == ApprovalStatus.APPROVED
    assert guessed_then_approved(1).status == ApprovalStatus.APPROVED
    assert isinstance(guessed_then_approved(2), PinLocked)
    assert ApprovalPin.objects.get(user=manager).held_since is not None


def test_with_the_hold_turned_off_locks_end_by_themselves(
    store, associate, manager, settings
):
    settings.OMNISTORE_APPROVAL_PIN_MAX_LOCKS = 0
    now = timezone.now()
    request = waiting_request(store, associate, now=now)
    for round_ in range(4):
        lock(request, manager, associate, now + round_ * LOCK)

    assert ApprovalPin.objects.get(user=manager).held_since is None
    answer = typed(request, manager, "2468", associate, now + 4 * LOCK)
    assert answer.status == ApprovalStatus.APPROVED


def test_a_wrong_pin_still_says_how_many_tries_are_left(store, associate, manager):
    request = waiting_request(store, associate)
    with pytest.raises(WrongPin, match="4 tries left before it locks"):
        approve_with_pin(approval=request, manager=manager, pin="0000", actor=associate)
