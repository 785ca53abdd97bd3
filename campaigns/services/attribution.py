"""Orders attributed to the campaign whose message the buyer clicked last."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Message
from campaigns.selectors.clicks import clicked_last
from orders.models import Order
from orders.selectors.reports import without_gift_cards


@transaction.atomic
def attribute_orders(*, since: datetime, now: datetime | None = None) -> int:
    """Attribute orders placed since ``since`` to the campaign whose message the buyer
    clicked last within ``OMNISTORE_ATTRIBUTION_WINDOW`` before ordering.

    A message's click that counts is its last one before the order, else its first:
    a link opened again after the order (a forwarded link, a mail scanner) moves no
    attribution. The orders app sends no placed-order signal campaigns could hear, so
    this runs periodically (and on demand): two reads and one UPDATE per campaign,
    touching only orders not attributed yet; running it again changes nothing.
    Only orders that sold goods (``without_gift_cards``): an order of gift cards
    alone sold nothing a campaign could be credited with.
    """
    window = settings.OMNISTORE_ATTRIBUTION_WINDOW
    orders = list(
        without_gift_cards(
            Order.objects.filter(
                created_at__gte=since,
                created_at__lte=now or timezone.now(),
                attributed_campaign_id__isnull=True,
                customer__isnull=False,
            )
        ).values_list("pk", "customer_id", "created_at")
    )
    if not orders:
        return 0
    clicks = defaultdict(list)  # (campaign, first click, last click) per customer
    for row in Message.objects.filter(
        Q(clicked_at__gte=since - window) | Q(last_clicked_at__gte=since - window),
        customer_id__in={customer for _, customer, _ in orders},
    ).values_list("customer_id", "campaign_id", "clicked_at", "last_clicked_at"):
        clicks[row[0]].append(row[1:])
    chosen = defaultdict(list)
    for pk, customer, placed in orders:
        campaign = clicked_last(clicks[customer], placed, placed - window)
        if campaign is not None:
            chosen[campaign].append(pk)
    return sum(
        Order.objects.filter(pk__in=pks, attributed_campaign_id__isnull=True).update(
            attributed_campaign_id=campaign
        )
        for campaign, pks in chosen.items()
    )
