"""Sending a receipt again: the customer lost it, or asks for it at the counter."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from customers.services.timeline import record_event
from omnistore.core.exceptions import ValidationFailed
from omnistore.core.models import OutboxMessage
from orders.emails import TOPIC as ORDER_EMAIL_TOPIC
from orders.emails import enqueue_order_email
from orders.models import Order

EVENT_RECEIPT_RESENT = "receipt_resent"


# A receipt sent again is for the customer who lost it, not a way to fill their
# inbox: at most this many receipt emails for one order in an hour.
RECEIPTS_PER_HOUR = 5


@transaction.atomic
def resend_receipt(
    *,
    order: Order,
    actor=None,
    location=None,
    now: datetime | None = None,
    once: str = "",
) -> bool:
    """Queue the receipt email again (it leaves after commit, through the outbox);
    who asked is on the customer's timeline. ``once`` is the asking form's token: the
    same form sent twice (a double tap) sends one email, and False says so. More than
    ``RECEIPTS_PER_HOUR`` receipts of one order in an hour are refused."""
    now = now or timezone.now()
    if not order.email:
        raise ValidationFailed(
            "This order has no email address to send the receipt to.",
            code="no_email",
            extra={"email": ["The order has no email address."]},
        )
    Order.objects.select_for_update(no_key=True).filter(pk=order.pk).first()
    sent = OutboxMessage.objects.filter(
        topic=ORDER_EMAIL_TOPIC,
        payload__order_id=order.pk,
        payload__kind="receipt",
        created_at__gte=now - timedelta(hours=1),
    ).count()
    if sent >= RECEIPTS_PER_HOUR:
        raise ValidationFailed(
            f"The receipt was already sent {sent} times in the last hour: "
            "ask the customer to check their spam folder, or print it.",
            code="too_many_receipts",
        )
    if not enqueue_order_email(
        order=order, kind="receipt", dedupe=f"again:{once or now.timestamp()}"
    ):
        return False
    if order.customer_id:
        record_event(
            customer=Customer(pk=order.customer_id),
            kind=EVENT_RECEIPT_RESENT,
            summary=f"Receipt of order {order.number} sent again to {order.email}",
            actor=actor,
            location=location,
            data={"order": order.number},
            reference_type="order",
            reference_id=order.number,
            occurred_at=now,
        )
    return True
