"""Orders attributed to the campaign whose message the buyer clicked last."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery

from campaigns.models import Message
from orders.models import Order


def attribute_orders(*, since: datetime, now: datetime | None = None) -> int:
    """Attribute orders placed since ``since`` to the campaign whose message the buyer
    clicked last within ``OMNISTORE_ATTRIBUTION_WINDOW`` before ordering.

    The orders app sends no placed-order signal campaigns could hear, so this runs
    periodically (and on demand); it is one UPDATE, touches only orders not attributed
    yet, and running it again changes nothing.
    """
    window = settings.OMNISTORE_ATTRIBUTION_WINDOW
    placed = OuterRef("created_at")
    clicks = Message.objects.filter(customer_id=OuterRef("customer_id")).filter(
        Q(last_clicked_at__lte=placed, last_clicked_at__gte=placed - window)
        | Q(clicked_at__lte=placed, clicked_at__gte=placed - window)
    )
    latest = clicks.order_by("-last_clicked_at", "-pk").values("campaign_id")[:1]
    return (
        Order.objects.filter(
            created_at__gte=since,
            attributed_campaign_id__isnull=True,
            customer__isnull=False,
        )
        .filter(Exists(clicks))
        .update(attributed_campaign_id=Subquery(latest))
    )
