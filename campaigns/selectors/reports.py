"""The performance report: per campaign and channel, and single- against
multi-channel campaigns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q

from campaigns.channels import MessageChannel
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Message,
    MessageStatus,
)
from campaigns.selectors.clicks import clicked_last
from orders.models import DiscountRedemption, Order, OrderStatus
from orders.selectors.orders import given_back_by_order
from orders.selectors.reports import without_gift_cards
from orders.selectors.vat import cancelled_parts_amount


def _rate(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass
class ChannelStats:
    channel: str
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    queued: int = 0
    opened: int = 0
    clicked: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal("0.00")
    other_revenue: dict[str, Decimal] = field(default_factory=dict)

    @property
    def open_rate(self) -> Decimal:
        return _rate(self.opened, self.sent)

    @property
    def click_rate(self) -> Decimal:
        return _rate(self.clicked, self.sent)

    @property
    def label(self) -> str:
        return MessageChannel(self.channel).label


@dataclass
class CampaignStats:
    campaign_id: int
    name: str
    kind: str
    status: str
    channels: list[str]
    by_channel: dict[str, ChannelStats] = field(default_factory=dict)
    conversions: int = 0
    # Orders with the campaign's code by buyers it had sent nothing by then: never
    # conversions, shown apart.
    code_used_by_others: int = 0
    # ``revenue`` is in OMNISTORE_CURRENCY; orders in other currencies (francs in
    # Switzerland) are summed apart, never added to it.
    revenue: Decimal = Decimal("0.00")
    other_revenue: dict[str, Decimal] = field(default_factory=dict)

    @property
    def multichannel(self) -> bool:
        return len(self.channels) > 1

    @property
    def kind_label(self) -> str:
        return CampaignKind(self.kind).label

    @property
    def status_label(self) -> str:
        return CampaignStatus(self.status).label

    @property
    def by_channel_any(self) -> bool:
        """Whether any message of the campaign exists (sent, failed or queued)."""
        return any(s.sent or s.failed or s.queued for s in self.by_channel.values())

    def _sum(self, name: str) -> int:
        return sum(getattr(stats, name) for stats in self.by_channel.values())

    @property
    def sent(self) -> int:
        return self._sum("sent")

    @property
    def delivered(self) -> int:
        return self._sum("delivered")

    @property
    def opened(self) -> int:
        return self._sum("opened")

    @property
    def clicked(self) -> int:
        return self._sum("clicked")

    @property
    def open_rate(self) -> Decimal:
        return _rate(self.opened, self.sent)

    @property
    def click_rate(self) -> Decimal:
        return _rate(self.clicked, self.sent)

    @property
    def conversion_rate(self) -> Decimal:
        return _rate(self.conversions, self.sent)


@dataclass
class GroupStats:
    label: str
    campaigns: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal("0.00")

    @property
    def open_rate(self) -> Decimal:
        return _rate(self.opened, self.sent)

    @property
    def click_rate(self) -> Decimal:
        return _rate(self.clicked, self.sent)

    @property
    def conversion_rate(self) -> Decimal:
        return _rate(self.conversions, self.sent)

    @property
    def revenue_per_message(self) -> Decimal:
        if not self.sent:
            return Decimal("0.00")
        return (self.revenue / self.sent).quantize(Decimal("0.01"))


@dataclass
class CampaignReport:
    campaigns: list[CampaignStats]
    single: GroupStats
    multi: GroupStats


def campaign_report(*, campaign_ids=None) -> CampaignReport:
    """Per campaign and channel: sent, delivered, opens, clicks, conversions and
    revenue (attributed orders that sold goods, not cancelled nor refunded in full,
    of buyers the campaign had sent a message: what they sold, net of refunds), the
    uses of its code by others, then single-channel and multi-channel campaigns
    side by side. Each order is credited to one channel (``_credited_channels``):
    that of the click the attribution followed, else that of the campaign's latest
    message sent to the buyer before the order, so a campaign's revenue is the sum
    of its channels' and each of its conversions is under a channel. A fixed number
    of queries, and two more per order with a return or a refund."""
    campaigns = Campaign.objects.order_by("-created_at", "-id")
    if campaign_ids is not None:
        campaigns = campaigns.filter(pk__in=list(campaign_ids))
    rows = {
        c.pk: CampaignStats(
            campaign_id=c.pk,
            name=c.name,
            kind=c.kind,
            status=c.status,
            channels=list(c.channels or []),
        )
        for c in campaigns.only("pk", "name", "kind", "status", "channels")
    }
    _count_messages(rows)
    _count_conversions(rows)
    _count_code_uses_by_others(rows)
    for stats in rows.values():
        for channel in stats.channels:
            stats.by_channel.setdefault(channel, ChannelStats(channel=channel))
        stats.by_channel = dict(
            sorted(
                stats.by_channel.items(),
                key=lambda item: MessageChannel.values.index(item[0]),
            )
        )
    # Campaigns that never sent anything (drafts, automations not yet triggered) are
    # left out: they would only dilute the comparison; one whose code others used
    # stays, to show it.
    shown = [
        s
        for s in rows.values()
        if s.by_channel_any or s.conversions or s.code_used_by_others
    ]
    return CampaignReport(campaigns=shown, **_compare_groups(shown))


def _count_messages(rows: dict[int, CampaignStats]) -> None:
    """Message counts per campaign and channel, in one aggregate query."""
    messages = (
        Message.objects.filter(campaign_id__in=list(rows))
        .values("campaign_id", "channel")
        .annotate(
            sent=Count("pk", filter=Q(status=MessageStatus.SENT)),
            delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
            failed=Count("pk", filter=Q(status=MessageStatus.FAILED)),
            queued=Count("pk", filter=Q(status=MessageStatus.QUEUED)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
        .order_by()
    )
    for row in messages:
        stats = rows[row["campaign_id"]]
        stats.by_channel[row["channel"]] = ChannelStats(
            channel=row["channel"],
            sent=row["sent"],
            delivered=row["delivered"],
            failed=row["failed"],
            queued=row["queued"],
            opened=row["opened"],
            clicked=row["clicked"],
        )


def _credited_channels(orders) -> dict[int, str | None]:
    """The channel each order's conversion is credited to: the channel of the
    message whose click the attribution followed (the same rule, ``clicked_last``),
    else, when no click decides (an order the campaign's code brought), the channel
    of the campaign's latest message sent to the buyer before the order (the only
    channel of a single-channel campaign). An order counted as a conversion always
    has such a message (``_reached``), so every conversion is under a channel. One
    query for every order."""
    window = settings.OMNISTORE_ATTRIBUTION_WINDOW
    clicks = defaultdict(list)
    sent = defaultdict(list)
    messages = Message.objects.filter(
        Q(clicked_at__isnull=False) | Q(status=MessageStatus.SENT),
        campaign_id__in={o[1] for o in orders},
        customer_id__in={o[2] for o in orders if o[2]},
    ).values_list(
        "campaign_id",
        "customer_id",
        "channel",
        "status",
        "sent_at",
        "pk",
        "clicked_at",
        "last_clicked_at",
    )
    for campaign_id, customer_id, channel, status, at, pk, first, last in messages:
        if first is not None:
            clicks[(campaign_id, customer_id)].append((channel, first, last))
        if status == MessageStatus.SENT and at is not None:
            sent[(campaign_id, customer_id)].append((at, pk, channel))
    channels = {}
    for pk, campaign_id, customer_id, placed, *_ in orders:
        key = (campaign_id, customer_id)
        channel = clicked_last(clicks[key], placed, placed - window)
        if channel is None:
            before = [m for m in sent[key] if m[0] <= placed]
            channel = max(before)[2] if before else None
        channels[pk] = channel
    return channels


def _reached(campaign, customer, placed) -> Exists:
    """Whether the campaign had sent the customer a message when the order was
    placed: an order of anyone else is none of its conversions."""
    return Exists(
        Message.objects.filter(
            campaign_id=campaign,
            customer_id=customer,
            status=MessageStatus.SENT,
            sent_at__lte=placed,
        )
    )


def _count_conversions(rows: dict[int, CampaignStats]) -> None:
    """Buyers of attributed orders and their revenue per campaign, and per channel
    the order is credited to (``_credited_channels``: the message clicked, else the
    campaign's latest message sent to the buyer before the order; a buyer whose
    orders went to two channels counts once for the campaign and once under each
    channel). A conversion is a buyer the campaign reached (``_reached``)
    who ordered, counted once however many orders they placed, so conversions never
    exceed the messages sent; revenue is every such order's. Revenue is what the
    order sold (``without_gift_cards``: goods, not the gift cards it sold, which are
    money owed until spent; an order of cards alone sold nothing and is no
    conversion) net of what was refunded (``given_back_by_order``: goods exchanged
    count as their replacement's sale, an order of its own, not as this one's); an
    order refunded in full is no conversion. Revenue in another currency than
    OMNISTORE_CURRENCY goes to ``other_revenue`` by currency, per campaign and per
    channel."""
    home = settings.OMNISTORE_CURRENCY
    orders = list(
        without_gift_cards(
            Order.objects.filter(attributed_campaign_id__in=list(rows))
            .exclude(status=OrderStatus.CANCELLED)
            .filter(
                _reached(
                    OuterRef("attributed_campaign_id"),
                    OuterRef("customer_id"),
                    OuterRef("created_at"),
                )
            )
        )
        # The refund of a part cancelled before it left is among the order's
        # refunds, and already out of its sales.
        .annotate(cancelled_parts=cancelled_parts_amount())
        .values_list(
            "pk",
            "attributed_campaign_id",
            "customer_id",
            "created_at",
            "currency",
            "sales",
            "cancelled_parts",
        )
    )
    refunded = given_back_by_order({o[0] for o in orders})  # two queries
    channels = _credited_channels(orders)
    buyers = defaultdict(set)  # by (campaign, channel); channel None: all channels
    for pk, campaign_id, customer, _placed, currency, sales, parts in orders:
        revenue = sales - (refunded.get(pk, Decimal("0")) - parts)
        if revenue <= 0:
            continue
        stats = rows[campaign_id]
        channel = channels[pk]
        per = (
            stats.by_channel.setdefault(channel, ChannelStats(channel=channel))
            if channel
            else None
        )
        for counted, key in ((stats, None), (per, channel)):
            if counted is None:
                continue
            if customer not in buyers[(campaign_id, key)]:
                buyers[(campaign_id, key)].add(customer)
                counted.conversions += 1
            if currency == home:
                counted.revenue += revenue
            else:
                other = counted.other_revenue
                other[currency] = other.get(currency, Decimal("0.00")) + revenue


def _count_code_uses_by_others(rows: dict[int, CampaignStats]) -> None:
    """Orders, not cancelled, that used a campaign's code though the campaign had
    sent their buyer nothing by then (a guest, a friend, a coupon site): the code
    was passed on, the campaign did not bring them. One query."""
    uses = (
        DiscountRedemption.objects.filter(
            code__campaign_id__in=list(rows), released_at__isnull=True
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .exclude(
            _reached(
                OuterRef("code__campaign_id"),
                OuterRef("order__customer_id"),
                OuterRef("order__created_at"),
            )
        )
        .order_by()
        .values("code__campaign_id")
        .annotate(orders=Count("order_id"))
    )
    for row in uses:
        rows[row["code__campaign_id"]].code_used_by_others = row["orders"]


def _compare_groups(shown: list[CampaignStats]) -> dict[str, GroupStats]:
    single = GroupStats(label="Single-channel")
    multi = GroupStats(label="Multi-channel")
    for stats in shown:
        group = multi if stats.multichannel else single
        group.campaigns += 1
        group.sent += stats.sent
        group.opened += stats.opened
        group.clicked += stats.clicked
        group.conversions += stats.conversions
        group.revenue += stats.revenue
    return {"single": single, "multi": multi}
