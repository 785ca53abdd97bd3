"""The day a delivery reached its customer, as staff give it or as it is presumed:
never ahead of now nor before the order shipped, and said in the order's history and
on the customer's timeline when it is not the day it is recorded on."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from omnistore.core.exceptions import ValidationFailed
from orders.models import Order


def check_delivery_day(order: Order, delivered_at: datetime, now: datetime) -> str:
    """Refuse a delivery ahead of ``now`` or before ``order`` shipped, before
    anything moves; else what its history and timeline say of an earlier day
    ("delivered on 03 Dec 2026"), or "" for the day it is recorded on (their time
    says it)."""
    early = order.shipped_at is not None and delivered_at < order.shipped_at
    if delivered_at > now or early:
        when = "before it shipped" if early else "in the future"
        raise ValidationFailed(
            "Check the delivery date.",
            code="delivery_date",
            extra={"delivered_at": [f"A parcel is not delivered {when}."]},
        )
    day = timezone.localdate(delivered_at)
    if day == timezone.localdate(now):
        return ""
    return f"delivered on {day:%d %b %Y}"
