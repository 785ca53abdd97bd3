"""Automations: what triggers each kind (abandoned cart, post-purchase, win-back, back
in stock, price drop, viewed several times and not bought) and one run of every active
automation.

A shop may run several automations of one kind, each narrowed by its segment (a
thank-you for the VIPs, another for everyone). A customer still hears once about one
event: the first automation of the kind whose message for it (customer and trigger
key) was queued speaks, and what the others queue for it is skipped before sending.
Two automations of one kind never run at the same time (the second to take its lease
sees the first's and waits for the next run), so "first" is never a race; in one run,
those narrowed by a segment go before those for everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from campaigns.models import (
    AUTOMATION_KINDS,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Message,
    MessageStatus,
)
from campaigns.selectors.audiences import reachable_flags, reachable_on_any
from campaigns.selectors.automations import (
    abandoned_carts,
    lapsed_customers,
    paid_orders,
)
from campaigns.selectors.browsing import TRIGGER as VIEWED
from campaigns.selectors.browsing import viewed_not_bought
from campaigns.selectors.wishlists import (
    price_drop_items,
    price_trigger_key,
    restocked_items,
)
from campaigns.services.campaigns import hold_if_unready
from campaigns.services.common import release_lease, rows_per_batch, take_lease
from campaigns.services.delivery import SendResult, deliver_queued, prepare_run
from campaigns.services.queueing import in_segment, queue_stream
from campaigns.services.restocks import detect_restocks
from omnistore.core.exceptions import ValidationFailed
from orders.services.pickups import send_pickup_reminders

# An automation looks back this far beyond its wait, so switching one on does not
# write to every cart or order of the past.
AUTOMATION_LOOKBACK = timedelta(days=7)


@dataclass
class _Audience:
    """Who an automation's trigger selects now: rows of ``queryset`` as
    (pk, *columns, *reachable flags), each made a message row (customer, trigger
    key, *flags) by ``make_row``; ``customer`` is the customer column."""

    queryset: QuerySet
    customer: str
    columns: list[str]
    make_row: Callable


def _audience(campaign: Campaign, now: datetime) -> _Audience:
    wait = campaign.trigger_after
    kind = campaign.kind
    if kind == CampaignKind.ABANDONED_CART:
        carts = abandoned_carts(after=wait, now=now, max_age=AUTOMATION_LOOKBACK)
        found = _Audience(
            carts,
            "customer_id",
            ["customer_id"],
            lambda r: (r[1], f"cart:{r[0]}", *r[2:]),
        )
    elif kind == CampaignKind.POST_PURCHASE:
        orders = paid_orders(after=wait, now=now, max_age=AUTOMATION_LOOKBACK)
        found = _Audience(
            orders,
            "customer_id",
            ["customer_id"],
            lambda r: (r[1], f"order:{r[0]}", *r[2:]),
        )
    elif kind == CampaignKind.BACK_IN_STOCK:
        items = restocked_items(after=wait, now=now, max_age=AUTOMATION_LOOKBACK)
        found = _Audience(
            items,
            "wishlist__customer_id",
            ["wishlist__customer_id", "variant_id", "restock"],
            lambda r: (r[1], f"restock:{r[2]}:{r[3]}", *r[4:]),
        )
    elif kind == CampaignKind.PRICE_DROP:
        items = price_drop_items(
            after=wait, now=now, percent=settings.OMNISTORE_PRICE_DROP_MIN_PERCENT
        )
        found = _Audience(
            items,
            "wishlist__customer_id",
            ["wishlist__customer_id", "variant_id", "currency", "price"],
            lambda r: (r[1], price_trigger_key(r[2], r[3], r[4]), *r[5:]),
        )
    elif kind == CampaignKind.VIEWED_NOT_BOUGHT:
        found = _Audience(
            _viewed_not_bought(wait, now),
            "pk",
            ["viewed_product_id", "viewed_event_id"],
            lambda r: (r[0], f"{VIEWED}:{r[1]}:{r[2]}", *r[3:]),
        )
    elif kind == CampaignKind.WIN_BACK:
        found = _Audience(
            lapsed_customers(after=wait, now=now),
            "pk",
            ["last_order_id"],
            lambda r: (r[0], f"order:{r[1]}", *r[2:]),
        )
    else:  # pragma: no cover
        raise ValidationFailed(f"Not an automation: {kind}.")
    via = found.customer.removesuffix("_id") if found.customer != "pk" else None
    queryset = in_segment(campaign, found.queryset, found.customer, now)
    queryset = queryset.filter(reachable_on_any(campaign.channels, via=via))
    found.queryset = queryset.annotate(**reachable_flags(campaign.channels, via=via))
    return found


def _queue_automation(campaign: Campaign, *, size: int, now: datetime) -> int:
    found = _audience(campaign, now)
    return queue_stream(
        campaign, found.queryset, found.columns, found.make_row, size=size, now=now
    )


# Its trigger counts the kind's messages already queued (its caps): not checked again.
UNCHECKED_KINDS = frozenset({CampaignKind.VIEWED_NOT_BOUGHT})


def _still_due(campaign: Campaign, now: datetime):
    """For delivery: of a batch's messages as (customer, trigger key), those whose
    trigger still holds, read by the trigger's own selector for the batch's
    customers in one query (a cart bought since, a price back up, an item no
    longer wished drop out)."""
    if campaign.kind in UNCHECKED_KINDS:
        return None

    def due(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
        found = _audience(campaign, now)
        customers = {customer for customer, _ in pairs}
        rows = found.queryset.filter(**{f"{found.customer}__in": customers})
        flags = [f"ok_{channel}" for channel in campaign.channels]
        return {
            found.make_row(row)[:2]
            for row in rows.order_by().values_list("pk", *found.columns, *flags)
        }

    return due


def _viewed_not_bought(wait, now: datetime):
    """The trigger's thresholds and caps, from the settings (read per run)."""
    days = timedelta(days=1)
    return viewed_not_bought(
        after=wait,
        now=now,
        views=settings.OMNISTORE_VIEWED_NOT_BOUGHT_VIEWS,
        within=settings.OMNISTORE_VIEWED_NOT_BOUGHT_DAYS * days,
        customer_cap=settings.OMNISTORE_VIEWED_NOT_BOUGHT_CUSTOMER_CAP_DAYS * days,
        product_cap=settings.OMNISTORE_VIEWED_NOT_BOUGHT_PRODUCT_CAP_DAYS * days,
    )


TOLD_BY_ANOTHER = "Not sent: another automation of this kind told the customer first."


def _kind_running(campaign: Campaign) -> bool:
    """Whether another automation of the campaign's kind holds its lease. Asked once
    this run's own lease is written: of two runs taking theirs at once, at least one
    sees the other's and stands back."""
    return (
        Campaign.objects.filter(kind=campaign.kind, lease_until__gt=timezone.now())
        .exclude(pk=campaign.pk)
        .exists()
    )


def _skip_told_elsewhere(campaign: Campaign) -> int:
    """Mark skipped the queued messages of ``campaign`` about an event (customer and
    trigger key) whose first message of this kind belongs to another automation; a
    channel the campaign adds later to its own first message still goes."""
    first = (
        Message.objects.filter(
            campaign__kind=campaign.kind,
            customer_id=OuterRef("customer_id"),
            trigger_key=OuterRef("trigger_key"),
        )
        .order_by("pk")
        .values("campaign_id")[:1]
    )
    told = (
        Message.objects.filter(campaign_id=campaign.pk, status=MessageStatus.QUEUED)
        .exclude(trigger_key="")
        .alias(first_campaign=Subquery(first))
        .exclude(first_campaign=campaign.pk)
    )
    return Message.objects.filter(pk__in=told.values("pk")).update(
        status=MessageStatus.SKIPPED, error=TOLD_BY_ANOTHER
    )


def run_automation(
    *, campaign: Campaign | int, now: datetime | None = None, batch_size=None
) -> SendResult:
    now = now or timezone.now()
    pk = campaign.pk if isinstance(campaign, Campaign) else int(campaign)
    held = take_lease(pk, statuses=[CampaignStatus.ACTIVE], now=now)
    if held is None or held.kind not in AUTOMATION_KINDS:
        return SendResult(campaign_id=pk, busy=True)
    size = rows_per_batch(batch_size)
    try:
        if _kind_running(held):
            return SendResult(campaign_id=pk, busy=True)
        reason = hold_if_unready(held)
        if reason:
            return SendResult(campaign_id=pk, held=reason)
        queued = _queue_automation(held, size=size, now=now)
        told = _skip_told_elsewhere(held)
        run = prepare_run(held, now)
        run.still_due = _still_due(held, now)
        result = deliver_queued(run, size=size)
        result.queued = queued
        result.skipped += told
    finally:
        release_lease(held)
    return result


def run_automations(*, now: datetime | None = None, batch_size=None) -> dict[str, int]:
    """Restocks first (what back in stock messages), every active automation once
    (those narrowed by a segment before those for everyone), then the pickup
    reminders of the orders app (its own flow, each order reminded once). Returns
    messages sent per automation."""
    now = now or timezone.now()
    detect_restocks(now=now)
    sent: dict[str, int] = {}
    for_everyone = ExpressionWrapper(Q(segment__isnull=True), BooleanField())
    automations = Campaign.objects.filter(
        kind__in=AUTOMATION_KINDS, status=CampaignStatus.ACTIVE
    ).order_by(for_everyone, "pk")
    for pk, name in automations.values_list("pk", "name"):
        result = run_automation(campaign=pk, now=now, batch_size=batch_size)
        sent[name] = result.sent
    sent["pickup reminders"] = len(send_pickup_reminders(now=now))
    return sent
