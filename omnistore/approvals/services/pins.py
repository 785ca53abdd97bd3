"""A manager's approval PIN: set, tried, locked after repeated wrong tries, held
after repeated locks.

The PIN is stored hashed with Django's password hashers, never in clear. Wrong tries
are counted on the PIN's row under a row lock and committed even though the approval
is refused, so the limit holds across devices and servers: after
``OMNISTORE_APPROVAL_PIN_MAX_FAILURES`` wrong tries in a row the PIN is refused, even
when right, for ``OMNISTORE_APPROVAL_PIN_LOCK_MINUTES``. A lock that ends by itself
would let guessing go on all day, lock after lock: locked
``OMNISTORE_APPROVAL_PIN_MAX_LOCKS`` times within 24 hours of the first of those
locks, the PIN is held, refused until HQ lifts it in the admin. Every try refused
(wrong, or typed while locked or held) is kept in the PIN's history, the admin log:
who typed it, for which request, when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from omnistore.approvals.models import APPROVE_PERMISSION, Approval, ApprovalPin
from omnistore.approvals.selectors.approvals import is_pin_held, is_pin_locked
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import (
    ApplicationError,
    PermissionDenied,
    ValidationFailed,
)

PIN_LENGTHS = range(4, 9)
LOCKS_WINDOW = timedelta(hours=24)  # locks counted toward a hold, from the first


class PinLocked(ApplicationError):
    status = 429
    default_code = "pin_locked"


class WrongPin(ValidationFailed):
    default_code = "wrong_pin"


def check_pin_shape(pin: str | None) -> str:
    """The PIN as typed, trimmed. Every PIN is 4 to 8 digits: anything else is
    refused as typed, never tried against the PIN (so it costs no try)."""
    pin = (pin or "").strip()
    if not is_digits(pin) or len(pin) not in PIN_LENGTHS:
        raise ValidationFailed(
            "A PIN is 4 to 8 digits.",
            code="pin_invalid",
            extra={"pin": ["4 to 8 digits."]},
        )
    return pin


@transaction.atomic
def set_pin(*, user, pin: str, now: datetime | None = None) -> ApprovalPin:
    """A manager chooses their own PIN (4 to 8 digits); a new PIN clears the count
    of wrong tries and a lock, not a hold nor the locks counted toward one: someone
    was guessing, and HQ lifts it."""
    if not user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("Only managers who approve need a PIN.")
    pin = check_pin_shape(pin)
    if len(set(pin)) == 1:
        raise ValidationFailed(
            "Choose a PIN that is not one digit repeated.",
            extra={"pin": ["Not one digit repeated."]},
        )
    row, _ = ApprovalPin.objects.update_or_create(
        user=user,
        defaults={
            "pin_hash": make_password(pin),
            "failures": 0,
            "locked_until": None,
            "changed_at": now or timezone.now(),
        },
    )
    return row


@dataclass(frozen=True)
class LiftedLock:
    """What HQ lifted: a lock that held until ``locked_until``, or a hold since
    ``held_since`` after ``locks`` locks."""

    locked_until: datetime | None
    held_since: datetime | None
    locks: int


@transaction.atomic
def unlock_pin(*, pin: ApprovalPin, now: datetime | None = None) -> LiftedLock | None:
    """HQ lifts a lock early, or a hold (the admin's action): wrong tries and locks
    are counted afresh. Returns what was lifted, or None for a PIN neither locked
    nor held (left as it is: its wrong tries and locks keep counting)."""
    now = now or timezone.now()
    row = ApprovalPin.objects.select_for_update().filter(pk=pin.pk).first()
    if row is None or not is_pin_locked(row, now=now):
        return None
    lifted = LiftedLock(row.locked_until, row.held_since, row.locks)
    row.failures, row.locked_until, row.held_since = 0, None, None
    row.locks, row.locks_since = 0, None
    row.save(
        update_fields=["failures", "locked_until", "held_since", "locks", "locks_since"]
    )
    return lifted


def locked_message(user, pin: ApprovalPin) -> str:
    """What the asking device reads of a PIN refused even when right."""
    if is_pin_held(pin):
        why = (
            f"{user.display_name}'s PIN is locked after {pin.locks} locks within "
            "24 hours, until HQ lifts it in the admin."
        )
    else:
        local = timezone.localtime(pin.locked_until)
        minutes = settings.OMNISTORE_APPROVAL_PIN_LOCK_MINUTES
        why = (
            f"{user.display_name}'s PIN is locked until {local:%H:%M} "
            f"({minutes} minutes)."
        )
    return (
        f"Too many wrong PINs: {why} Approve from the manager's own device "
        "(Approvals), or ask another manager."
    )


def _lock(row: ApprovalPin, now: datetime) -> None:
    """The wrong try at the limit locks the PIN, and counts toward a hold: the
    count starts again 24 hours after the first lock it counts."""
    row.failures = 0
    row.locked_until = now + timedelta(
        minutes=settings.OMNISTORE_APPROVAL_PIN_LOCK_MINUTES
    )
    if row.locks_since is None or row.locks_since <= now - LOCKS_WINDOW:
        row.locks, row.locks_since = 0, now
    row.locks += 1
    limit = settings.OMNISTORE_APPROVAL_PIN_MAX_LOCKS
    if limit and row.locks >= limit:
        row.held_since = now


def _what_came_of(row: ApprovalPin, now: datetime) -> str:
    """A wrong try's outcome, as the PIN's history keeps it."""
    if is_pin_held(row):
        return f"held until HQ lifts it ({row.locks} locks within 24 hours)"
    if is_pin_locked(row, now=now):
        local = timezone.localtime(row.locked_until)
        return f"locked until {local:%H:%M} (lock {row.locks} within 24 hours)"
    return _tries_left(row)


def _tries_left(row: ApprovalPin) -> str:
    left = settings.OMNISTORE_APPROVAL_PIN_MAX_FAILURES - row.failures
    return f"{left} {'try' if left == 1 else 'tries'} left"


def _record_refused(
    row: ApprovalPin, *, actor, approval: Approval | None, note: str, now: datetime
) -> None:
    """A try refused, in the PIN's history: who typed it (``actor``), the manager's
    PIN it was typed as, for which request, when."""
    if approval is not None:
        asked = f"{approval.get_kind_display()} · {approval.subject}"
        note = f"{note}, for request {approval.pk} ({asked})"
    LogEntry.objects.create(
        user=actor,
        content_type=ContentType.objects.get_for_model(ApprovalPin),
        object_id=str(row.pk),
        object_repr=str(row)[:200],
        action_flag=CHANGE,
        change_message=note,
        action_time=now,
    )


def try_pin(
    *,
    user,
    pin: str,
    actor,
    approval: Approval | None = None,
    now: datetime,
) -> ApplicationError | None:
    """Try ``pin`` (of the right shape) as ``user``'s PIN, typed by ``actor`` for
    ``approval``, inside the caller's transaction: None when right, else the
    refusal, returned rather than raised so that the caller's transaction commits
    the count, the lock and the history before the caller raises it."""
    row = ApprovalPin.objects.select_for_update().filter(user=user).first()
    if row is None:
        return ValidationFailed(
            f"{user.display_name} has not set an approval PIN yet.",
            code="no_pin",
            extra={"pin": ["No PIN set."]},
        )
    row.user = user
    if is_pin_locked(row, now=now):
        state = "held" if is_pin_held(row) else "locked"
        note = f"PIN typed while {state}: not tried"
        _record_refused(row, actor=actor, approval=approval, note=note, now=now)
        return PinLocked(locked_message(user, row))
    if check_password(pin, row.pin_hash):
        if row.failures or row.locked_until:
            row.failures, row.locked_until = 0, None
            row.save(update_fields=["failures", "locked_until"])
        return None
    row.failures += 1
    if row.failures >= settings.OMNISTORE_APPROVAL_PIN_MAX_FAILURES:
        _lock(row, now)
    row.save(
        update_fields=["failures", "locked_until", "locks", "locks_since", "held_since"]
    )
    note = f"Wrong PIN: {_what_came_of(row, now)}"
    _record_refused(row, actor=actor, approval=approval, note=note, now=now)
    if is_pin_locked(row, now=now):
        return PinLocked(locked_message(user, row))
    return WrongPin(
        f"Wrong PIN: {_tries_left(row)} before it locks.",
        extra={"pin": ["Wrong PIN."]},
    )


def verify_pin(
    *, user, pin: str, actor, approval: Approval | None = None, now=None
) -> None:
    """Pass, or raise: not a PIN at all (not counted), no PIN set, locked or held
    (``PinLocked``, also for the try that reaches the limit), or wrong with the
    tries left (``WrongPin``). The count and the history are committed before the
    refusal is raised; call it outside any transaction."""
    pin = check_pin_shape(pin)
    with transaction.atomic():
        refused = try_pin(
            user=user,
            pin=pin,
            actor=actor,
            approval=approval,
            now=now or timezone.now(),
        )
    if refused is not None:
        raise refused
