"""Click and collect: the pickup code at the counter, reminders, and expiry of pickups
not collected in time.

Wrong codes are counted on the order; after ``OMNISTORE_PICKUP_CODE_MAX_FAILURES`` of
them the order is locked (who typed the last one, when) and nothing is handed over,
with or without the code, until it is unlocked: by a manager of the shop, or by an
associate with a manager's approval (``OMNISTORE_APPROVAL_PICKUP_UNLOCK``).

An order without an email was sent no code: staff at its pickup shop's desk see it
(``show_pickup_code``) to give it to the customer, and its history says who saw it.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.models import Location, MovementReason
from inventory.services.reservations import consume_reservations
from omnistore.approvals.models import ApprovalKind
from omnistore.approvals.selectors.approvals import moves_without_asking
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import (
    Conflict,
    IllegalTransition,
    PermissionDenied,
    ValidationFailed,
)
from orders.models import (
    FulfilmentStatus,
    Order,
    OrderStatus,
)
from orders.selectors.pickups import cash_held, why_no_pickup_slip

from .approvals import (
    approved_by_note,
    guard_pickup_by_identity,
    guard_pickup_unlock,
)
from .common import (
    lock_order,
    note_in_history,
    record_order_event,
    send_order_email,
)
from .fulfilment import cancel_order, order_reservations, transition_order
from .payment_lapses import recording_lapsed_holds
from .payments import capture_order_payments

logger = logging.getLogger(__name__)

EVENT_ORDER_COLLECTED = "order_collected"


EVENT_PICKUP_REMINDER = "pickup_reminder"
EVENT_PICKUP_LOCKED = "pickup_locked"
EVENT_PICKUP_UNLOCKED = "pickup_unlocked"
PICKUP_CODE_SHOWN = "Pickup code shown to give to the customer: no email on the order"


def verify_pickup_code(order: Order, code: str) -> bool:
    given = (code or "").strip().upper().replace(" ", "")
    # As bytes: a typed character outside ASCII is a wrong code like any other.
    return bool(order.pickup_code) and hmac.compare_digest(
        given.encode(), order.pickup_code.encode()
    )


class _WrongCode(Exception):
    """Raised inside the hand-over, which rolls back; counted after it."""

    def __init__(self, order_id: int):
        self.order_id = order_id


def _pickup_locked(order: Order) -> Conflict:
    return Conflict(
        f"Order {order.number} is locked after too many wrong pickup codes: "
        "a manager must unlock it.",
        code="pickup_locked",
    )


def _counting_wrong_codes(collect):
    """A wrong code rolls the hand-over back but must still count: it is recorded in a
    transaction of its own once the hand-over's has ended."""

    @functools.wraps(collect)
    def counted(*, order, actor, now: datetime | None = None, **kwargs):
        try:
            return collect(order=order, actor=actor, now=now, **kwargs)
        except _WrongCode as wrong:
            raise record_wrong_pickup_code(
                order=wrong.order_id,
                actor=actor,
                now=now or timezone.now(),
                location=kwargs.get("location"),
            ) from None

    return counted


@transaction.atomic
def record_wrong_pickup_code(
    *, order: Order | int, actor, now: datetime, location: Location | None = None
):
    """Count a wrong code and lock the order at the limit (the lock kept with the
    desk's shop ``location``); returns the refusal the desk shows (how many tries
    are left, or that the order is now locked)."""
    order = lock_order(order)
    order.pickup_code_failures += 1
    left = settings.OMNISTORE_PICKUP_CODE_MAX_FAILURES - order.pickup_code_failures
    fields = ["pickup_code_failures"]
    if left <= 0 and order.pickup_locked_at is None:
        order.pickup_locked_at = now
        order.pickup_locked_by = acting_user(actor)
        fields += ["pickup_locked_at", "pickup_locked_by"]
        note = f"Pickup locked after {order.pickup_code_failures} wrong codes"
        _record_pickup_change(order, actor=actor, now=now, note=note, location=location)
        record_order_event(
            order, EVENT_PICKUP_LOCKED, note, actor=actor, location=location, now=now
        )
    order.save(update_fields=fields)
    if order.pickup_locked_at is not None:
        return _pickup_locked(order)
    return ValidationFailed(
        "That pickup code does not match this order "
        f"({left} {'try' if left == 1 else 'tries'} left before it is locked).",
        code="wrong_pickup_code",
        extra={"code": ["Wrong pickup code."]},
    )


def _record_pickup_change(
    order: Order, *, actor, now: datetime, note: str, location: Location | None
) -> None:
    """Lock and unlock are kept in the order's history (status unchanged), with
    the shop whose desk they happened at."""
    note_in_history(order, note, at=now, actor=actor, location=location)


def may_unlock_pickup(user, location) -> bool:
    """Whether ``user`` unlocks a pickup at ``location`` with no one else's yes: a
    manager of the shop (HQ too), or anyone when unlocks are not approved."""
    return moves_without_asking(user, location, ApprovalKind.PICKUP_UNLOCK)


@transaction.atomic
def unlock_pickup(
    *,
    order: Order | int,
    actor,
    location: Location,
    note: str = "",
    approvals: Sequence = (),
    now: datetime | None = None,
) -> Order:
    """Let the desk try the code again (the count starts afresh). Unlocked at the
    pickup shop ``location``: a manager of it unlocks it themselves, an associate
    with a manager's approval (``approvals``: their PIN on this device or a yes from
    their queue), which covers this lock and the ``note`` given. The history says
    who unlocked it, why, and who approved."""
    now = now or timezone.now()
    user = acting_user(actor)
    if user is None or not user.is_store_staff or location is None:
        raise PermissionDenied("A pickup is unlocked by staff at its shop's desk.")
    order = lock_order(order)
    if order.pickup_locked_at is None:
        raise Conflict(f"Order {order.number} is not locked.", code="not_locked")
    note = (note or "").strip()
    approval = guard_pickup_unlock(
        order=order,
        location=location,
        actor=actor,
        note=note,
        approvals=approvals,
        now=now,
    )
    order.pickup_code_failures = 0
    order.pickup_locked_at = None
    order.pickup_locked_by = None
    order.save(
        update_fields=["pickup_code_failures", "pickup_locked_at", "pickup_locked_by"]
    )
    summary = "Pickup unlocked" + (f": {note}" if note else "")
    summary += approved_by_note(approval)
    _record_pickup_change(order, actor=actor, now=now, note=summary, location=location)
    record_order_event(
        order, EVENT_PICKUP_UNLOCKED, summary, actor=actor, location=location, now=now
    )
    return order


@transaction.atomic
def show_pickup_code(
    *, order: Order | int, actor, location: Location, now: datetime | None = None
) -> Order:
    """The pickup code of a ready order that has no email, for staff at its pickup
    shop's desk (``location``) to give the customer; refused otherwise
    (``why_no_pickup_slip``). The code is a handover secret: each time it is shown
    the order's history says who saw it, where and when."""
    now = now or timezone.now()
    user = acting_user(actor)
    if user is None or not user.is_store_staff:
        raise PermissionDenied("A pickup code is shown to staff at its shop's desk.")
    order = lock_order(order)
    refusal = why_no_pickup_slip(order, location)
    if refusal:
        raise Conflict(refusal, code="pickup_code_not_shown")
    _record_pickup_change(
        order, actor=actor, now=now, note=PICKUP_CODE_SHOWN, location=location
    )
    return order


@recording_lapsed_holds
@_counting_wrong_codes
@transaction.atomic
def collect_order(
    *,
    order: Order | int,
    actor,
    code: str = "",
    identity_checked: bool = False,
    location: Location | None = None,
    note: str = "",
    approvals: Sequence = (),
    now: datetime | None = None,
) -> Order:
    """Hand the goods over. Staff verify the pickup code, or check the customer's
    identity themselves and say so (``identity_checked`` with a note of what they saw,
    and a manager's approval for an associate).
    The held stock leaves the shop (reason ``pickup``). A locked order is handed over
    neither way; a wrong code is counted towards the lock. A card hold found lapsed
    refuses the handover and is booked lapsed (``recording_lapsed_holds``)."""
    now = now or timezone.now()
    order = lock_order(order)
    if order.status != OrderStatus.READY:
        raise IllegalTransition(
            obj=f"Order {order.number}",
            current=order.status,
            target=OrderStatus.COLLECTED,
        )
    if order.pickup_locked_at is not None:
        raise _pickup_locked(order)
    if identity_checked:
        if not (note or "").strip():
            raise ValidationFailed(
                "Say how the customer's identity was checked.",
                extra={"note": ["Required when collecting without the code."]},
            )
        note = f"Identity checked: {note.strip()}"
        approval = guard_pickup_by_identity(
            order=order,
            location=location,
            actor=actor,
            note=note,
            approvals=approvals,
            now=now,
        )
        note += approved_by_note(approval)
    elif not verify_pickup_code(order, code):
        raise _WrongCode(order.pk)
    else:
        note = note or "Pickup code verified"
    transition_order(
        order, OrderStatus.COLLECTED, actor=actor, now=now, note=note, location=location
    )
    capture_order_payments(order=order, actor=actor, now=now)
    consume_reservations(
        reservations=list(order_reservations(order)),
        reason=MovementReason.PICKUP,
        actor=acting_user(actor),
        note=f"Collected: order {order.number}",
    )
    order.collected_at = now
    order.save(update_fields=["status", "updated_at", "collected_at"])
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.COLLECTED
    )
    record_order_event(
        order,
        EVENT_ORDER_COLLECTED,
        f"Order {order.number} collected"
        + (f" at {location.name}" if location is not None else ""),
        actor=actor,
        location=location,
        now=now,
    )
    return order


def send_pickup_reminders(*, now: datetime | None = None) -> list[str]:
    """Remind customers whose pickup expires within ``OMNISTORE_PICKUP_REMINDER_DAYS``.

    Each order is reminded once (``reminder_sent_at`` and the outbox dedupe key), so
    running this again, or twice at once, sends nothing more. An order without an
    email is not reminded (there is no other channel), and nothing says it was.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.OMNISTORE_PICKUP_REMINDER_DAYS)
    due = (
        Order.objects.filter(
            status=OrderStatus.READY,
            reminder_sent_at__isnull=True,
            pickup_expires_at__lte=horizon,
            pickup_expires_at__gt=now,
        )
        .exclude(email="")
        .values_list("pk", "number")
    )
    reminded = []
    for pk, number in list(due):
        try:
            if _remind(pk, now):
                reminded.append(number)
        except Exception:  # this order only: the next run reminds it
            logger.exception("pickups: reminding order %s failed", number)
    return reminded


@transaction.atomic
def _remind(pk: int, now: datetime) -> str | None:
    order = (
        Order.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(pk=pk, status=OrderStatus.READY, reminder_sent_at__isnull=True)
        .exclude(email="")
        .first()
    )
    if order is None:
        return None
    order.reminder_sent_at = now
    order.save(update_fields=["reminder_sent_at"])
    record_order_event(
        order,
        EVENT_PICKUP_REMINDER,
        f"Reminder: order {order.number} waits for pickup until "
        f"{timezone.localtime(order.pickup_expires_at):%d %b}",
        actor=None,
        location=None,
        now=now,
    )
    send_order_email(order, "reminder")
    return order.number


def expire_uncollected_pickups(*, now: datetime | None = None) -> list[str]:
    """Cancel pickups not collected within the window: stock released, money refunded.

    One transaction per order, so one failure does not hold the others back: it is
    logged with the order's number and the order stays ready, for the next run or the
    shop; an order already cancelled or collected meanwhile is left alone. One paid
    in cash at a shop is not (``cash_held``): the cash goes back from a till, so the
    shop cancels it (it stays on the pickup desk as waiting for the shop, and on the
    manager's list of pickups past their time).
    """
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=OrderStatus.READY, pickup_expires_at__lte=now)
        .exclude(pk__in=cash_held().values("order_id"))
        .values_list("pk", "number")
    )
    expired = []
    for pk, number in due:
        try:
            if _expire_pickup(pk, now):
                expired.append(number)
        except Exception:  # this order only: the others still expire
            logger.exception("pickups: expiring order %s failed", number)
    return expired


@transaction.atomic
def _expire_pickup(pk: int, now: datetime) -> bool:
    order = (
        Order.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(pk=pk, status=OrderStatus.READY, pickup_expires_at__lte=now)
        .first()
    )
    if order is None:
        return False
    days = settings.OMNISTORE_PICKUP_EXPIRY_DAYS
    cancel_order(order=order, reason=f"Not collected within {days} days", now=now)
    return True
