"""Click and collect: the pickup code at the counter, reminders, and expiry of pickups
not collected in time.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.models import Location, MovementReason
from inventory.services.reservations import consume_reservations
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import IllegalTransition, ValidationFailed
from orders.models import FulfilmentStatus, Order, OrderStatus

from .common import lock_order, record_order_event, send_order_email
from .fulfilment import cancel_order, order_reservations, transition_order
from .payments import capture_order_payments

EVENT_ORDER_COLLECTED = "order_collected"


EVENT_PICKUP_REMINDER = "pickup_reminder"


def verify_pickup_code(order: Order, code: str) -> bool:
    given = (code or "").strip().upper().replace(" ", "")
    return bool(order.pickup_code) and hmac.compare_digest(given, order.pickup_code)


@transaction.atomic
def collect_order(
    *,
    order: Order | int,
    actor,
    code: str = "",
    identity_checked: bool = False,
    location: Location | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Order:
    """Hand the goods over. Staff verify the pickup code, or check the customer's
    identity themselves and say so (``identity_checked`` with a note of what they saw).
    The held stock leaves the shop (reason ``pickup``)."""
    now = now or timezone.now()
    order = lock_order(order)
    if order.status != OrderStatus.READY:
        raise IllegalTransition(
            obj=f"Order {order.number}",
            current=order.status,
            target=OrderStatus.COLLECTED,
        )
    if identity_checked:
        if not (note or "").strip():
            raise ValidationFailed(
                "Say how the customer's identity was checked.",
                extra={"note": ["Required when collecting without the code."]},
            )
        note = f"Identity checked: {note.strip()}"
    elif not verify_pickup_code(order, code):
        raise ValidationFailed(
            "That pickup code does not match this order.",
            code="wrong_pickup_code",
            extra={"code": ["Wrong pickup code."]},
        )
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
    running this again, or twice at once, sends nothing more.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.OMNISTORE_PICKUP_REMINDER_DAYS)
    due = Order.objects.filter(
        status=OrderStatus.READY,
        reminder_sent_at__isnull=True,
        pickup_expires_at__lte=horizon,
        pickup_expires_at__gt=now,
    ).values_list("pk", flat=True)
    reminded = []
    for pk in list(due):
        number = _remind(pk, now)
        if number:
            reminded.append(number)
    return reminded


@transaction.atomic
def _remind(pk: int, now: datetime) -> str | None:
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=OrderStatus.READY, reminder_sent_at__isnull=True)
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

    One transaction per order, so one failure does not hold the others back; an order
    already cancelled or collected meanwhile is left alone.
    """
    now = now or timezone.now()
    due = list(
        Order.objects.filter(
            status=OrderStatus.READY, pickup_expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    days = settings.OMNISTORE_PICKUP_EXPIRY_DAYS
    expired = []
    for pk in due:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=OrderStatus.READY, pickup_expires_at__lte=now)
                .first()
            )
            if order is None:
                continue
            cancel_order(
                order=order,
                reason=f"Not collected within {days} days",
                now=now,
            )
            expired.append(order.number)
    return expired
