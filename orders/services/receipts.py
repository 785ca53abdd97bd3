"""Sending a receipt again: the customer lost it, or asks for it at the counter."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from customers.services.timeline import record_event
from omnistore.core.exceptions import ValidationFailed
from orders.emails import enqueue_order_email
from orders.models import Order

EVENT_RECEIPT_RESENT = "receipt_resent"


@transaction.atomic
def resend_receipt(
    *, order: Order, actor=None, location=None, now: datetime | None = None
) -> None:
    """Queue the receipt email again (it leaves after commit, through the outbox).
    Each request is its own message, so asking twice sends twice; who asked is on
    the customer's timeline."""
    now = now or timezone.now()
    if not order.email:
        raise ValidationFailed(
            "This order has no email address to send the receipt to.",
            code="no_email",
            extra={"email": ["The order has no email address."]},
        )
    enqueue_order_email(order=order, kind="receipt", dedupe=f"again:{now.timestamp()}")
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
