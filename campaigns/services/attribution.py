"""Orders attributed to the campaign whose message the buyer clicked last, else to the
campaign whose code they used after it reached them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Message, MessageStatus
from campaigns.selectors.clicks import clicked_last
from orders.models import DiscountCode, Order
from orders.selectors.reports import without_gift_cards


@transaction.atomic
def attribute_orders(*, since: datetime, now: datetime | None = None) -> int:
    """Attribute orders placed since ``since`` to the campaign whose message the buyer
    clicked last within ``OMNISTORE_ATTRIBUTION_WINDOW`` before ordering; an order no
    click attributes goes to the campaign of its discount code when that campaign
    sent the buyer a message within the window before the order (``_match_by_code``).

    A message's click that counts is its last one before the order, else its first:
    a link opened again after the order (a forwarded link, a mail scanner) moves no
    attribution. The orders app sends no placed-order signal campaigns could hear, so
    this runs periodically (and on demand): four reads and one UPDATE per campaign,
    touching only orders not attributed yet; running it again changes nothing.
    Only orders that sold goods (``without_gift_cards``): an order of gift cards
    alone sold nothing a campaign could be credited with. Only orders of a customer
    profile: a guest no profile matched was reached by no message. A merge moves
    orders and messages to the profile kept, so its buyer's messages are found.
    """
    window = settings.OMNISTORE_ATTRIBUTION_WINDOW
    now = now or timezone.now()
    orders = list(
        without_gift_cards(
            Order.objects.filter(
                created_at__gte=since,
                created_at__lte=now,
                attributed_campaign_id__isnull=True,
                customer__isnull=False,
            )
        ).values_list("pk", "customer_id", "created_at", "discount_code")
    )
    if not orders:
        return 0
    clicks = defaultdict(list)  # (campaign, first click, last click) per customer
    for row in Message.objects.filter(
        Q(clicked_at__gte=since - window) | Q(last_clicked_at__gte=since - window),
        customer_id__in={customer for _, customer, _, _ in orders},
    ).values_list("customer_id", "campaign_id", "clicked_at", "last_clicked_at"):
        clicks[row[0]].append(row[1:])
    chosen = defaultdict(list)
    unclicked = []
    for pk, customer, placed, code in orders:
        campaign = clicked_last(clicks[customer], placed, placed - window)
        if campaign is not None:
            chosen[campaign].append(pk)
        elif code:
            unclicked.append((pk, customer, placed, code))
    for pk, campaign in _match_by_code(unclicked, window=window, since=since, now=now):
        chosen[campaign].append(pk)
    return sum(
        Order.objects.filter(pk__in=pks, attributed_campaign_id__isnull=True).update(
            attributed_campaign_id=campaign
        )
        for campaign, pks in chosen.items()
    )


def _match_by_code(
    orders: list[tuple[int, int, datetime, str]],
    *,
    window: timedelta,
    since: datetime,
    now: datetime,
) -> list[tuple[int, int]]:
    """(order, campaign) for each of ``orders`` (pk, customer, placed, code) whose
    code a campaign gave out and that campaign sent the buyer a message within
    ``window`` before the order. A code passed on to someone the campaign never
    reached (a guest, a friend, a coupon site) brings that campaign no order: the
    report counts those uses apart. Two queries, none without such orders."""
    if not orders:
        return []
    campaign_of = dict(
        DiscountCode.objects.filter(
            code__in={code for *_, code in orders}, campaign_id__isnull=False
        ).values_list("code", "campaign_id")
    )
    if not campaign_of:
        return []
    sent = defaultdict(list)  # when each campaign's messages reached each customer
    for customer, campaign, at in Message.objects.filter(
        campaign_id__in=set(campaign_of.values()),
        customer_id__in={customer for _, customer, _, _ in orders},
        status=MessageStatus.SENT,
        sent_at__gte=since - window,
        sent_at__lte=now,
    ).values_list("customer_id", "campaign_id", "sent_at"):
        sent[(customer, campaign)].append(at)
    return [
        (pk, campaign_of[code])
        for pk, customer, placed, code in orders
        if code in campaign_of
        and any(
            placed - window <= at <= placed
            for at in sent[(customer, campaign_of[code])]
        )
    ]
