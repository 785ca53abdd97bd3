"""A manager's approval PIN: set, checked, locked after repeated wrong tries.

The PIN is stored hashed with Django's password hashers, never in clear. Wrong tries
are counted on the PIN's row under a row lock and committed even though the approval
is refused, so the limit holds across devices and servers: after
``OMNISTORE_APPROVAL_PIN_MAX_FAILURES`` wrong tries in a row the PIN is refused, even
when right, for ``OMNISTORE_APPROVAL_PIN_LOCK_MINUTES``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from omnistore.approvals.models import APPROVE_PERMISSION, ApprovalPin
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import (
    ApplicationError,
    PermissionDenied,
    ValidationFailed,
)

PIN_LENGTHS = range(4, 9)


class PinLocked(ApplicationError):
    status = 429
    default_code = "pin_locked"


class WrongPin(ValidationFailed):
    default_code = "wrong_pin"


def _check_shape(pin: str) -> None:
    """Every PIN is 4 to 8 digits: anything else is refused as typed, never tried
    against the PIN (so it costs no try)."""
    if not is_digits(pin) or len(pin) not in PIN_LENGTHS:
        raise ValidationFailed(
            "A PIN is 4 to 8 digits.",
            code="pin_invalid",
            extra={"pin": ["4 to 8 digits."]},
        )


@transaction.atomic
def set_pin(*, user, pin: str, now: datetime | None = None) -> ApprovalPin:
    """A manager chooses their own PIN (4 to 8 digits); a new PIN clears the count
    and any lock."""
    if not user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("Only managers who approve need a PIN.")
    pin = (pin or "").strip()
    _check_shape(pin)
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


@transaction.atomic
def unlock_pin(*, pin: ApprovalPin, now: datetime | None = None) -> datetime | None:
    """HQ lifts a lock early (the admin's action): returns when the lock would have
    ended, or None for a PIN that was not locked (left as it is: its wrong tries
    keep counting)."""
    now = now or timezone.now()
    row = ApprovalPin.objects.select_for_update().filter(pk=pin.pk).first()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    until = row.locked_until
    row.failures, row.locked_until = 0, None
    row.save(update_fields=["failures", "locked_until"])
    return until


def locked_message(user, until: datetime) -> str:
    local = timezone.localtime(until)
    minutes = settings.OMNISTORE_APPROVAL_PIN_LOCK_MINUTES
    return (
        f"Too many wrong PINs: {user.display_name}'s PIN is locked until "
        f"{local:%H:%M} ({minutes} minutes). Approve from the manager's own device "
        "(Approvals), or ask another manager."
    )


@transaction.atomic
def _try_pin(user, pin: str, now: datetime) -> tuple[bool, ApprovalPin | None]:
    row = ApprovalPin.objects.select_for_update().filter(user=user).first()
    if row is None or (row.locked_until is not None and row.locked_until > now):
        return False, row
    if check_password(pin, row.pin_hash):
        if row.failures or row.locked_until:
            row.failures, row.locked_until = 0, None
            row.save(update_fields=["failures", "locked_until"])
        return True, row
    row.failures += 1
    if row.failures >= settings.OMNISTORE_APPROVAL_PIN_MAX_FAILURES:
        row.failures = 0
        row.locked_until = now + timedelta(
            minutes=settings.OMNISTORE_APPROVAL_PIN_LOCK_MINUTES
        )
    row.save(update_fields=["failures", "locked_until"])
    return False, row


def verify_pin(*, user, pin: str, now: datetime | None = None) -> None:
    """Pass, or raise: not a PIN at all (not counted), no PIN set, locked
    (``PinLocked``, also for the try that reaches the limit), or wrong with the
    tries left (``WrongPin``). The count is committed before the refusal is raised;
    call it outside any transaction."""
    now = now or timezone.now()
    pin = (pin or "").strip()
    _check_shape(pin)
    ok, row = _try_pin(user, pin, now)
    if ok:
        return
    if row is None:
        raise ValidationFailed(
            f"{user.display_name} has not set an approval PIN yet.",
            code="no_pin",
            extra={"pin": ["No PIN set."]},
        )
    if row.locked_until is not None and row.locked_until > now:
        raise PinLocked(locked_message(user, row.locked_until))
    left = settings.OMNISTORE_APPROVAL_PIN_MAX_FAILURES - row.failures
    raise WrongPin(
        f"Wrong PIN: {left} {'try' if left == 1 else 'tries'} left before it locks.",
        extra={"pin": ["Wrong PIN."]},
    )
