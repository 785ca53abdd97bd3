"""Reads of the campaigns app: audiences, personal content and reports.

Everything here works on sets: a segment is one query, the personal content of a batch
of messages a fixed number of queries, and the report a few aggregate queries whatever
the number of campaigns and messages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from customers.models import Consent, Customer, WishlistItem
from inventory.models import Location, StockLevel, StockMovement, Variant
from inventory.selectors import online_available
from omnistore.core.db import connection_for, fetch
from orders.models import Order, OrderLine, OrderStatus

from .models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Message,
    MessageChannel,
    MessageStatus,
    Restock,
    Segment,
)
from .segments import compile_rules, live_customers

PREVIEW_SAMPLE = 20
BEST_SELLER_DAYS = 90
BEST_SELLERS_PER_CATEGORY = 12
RECOMMENDATIONS = 3


# --- Audiences ----------------------------------------------------------------------


def segment_customers(segment: Segment | dict, *, now: datetime | None = None):
    rules = segment.rules if isinstance(segment, Segment) else segment
    return compile_rules(rules, now=now)


@dataclass
class SegmentPreview:
    count: int
    sample: list[Customer]


def segment_preview(segment: Segment | dict, *, limit: int = PREVIEW_SAMPLE):
    """How many customers the rules select and the first ``limit`` of them (two
    queries)."""
    customers = segment_customers(segment)
    sample = list(customers.select_related("preferred_store").order_by("pk")[:limit])
    count = len(sample) if len(sample) < limit else customers.count()
    return SegmentPreview(count=count, sample=sample)


def reachable(channel: str, *, via: str = "") -> Q:
    """Customers with a granted consent and an address for ``channel``; ``via`` is the
    relation to the customer when filtering another model (``"customer"``)."""
    ref = f"{via}_id" if via else "pk"
    prefix = f"{via}__" if via else ""
    condition = Q(
        Exists(
            Consent.objects.filter(
                customer=OuterRef(ref), channel=channel, granted=True
            )
        )
    )
    if channel == MessageChannel.EMAIL:
        condition &= ~Q(**{f"{prefix}email": ""})
    elif channel == MessageChannel.SMS:
        condition &= ~Q(**{f"{prefix}phone": ""})
    return condition


def reachable_flags(channels, *, via: str = "") -> dict:
    """``ok_<channel>`` annotations: may this row's customer get ``channel``?"""
    return {
        f"ok_{channel}": ExpressionWrapper(
            reachable(channel, via=via), output_field=BooleanField()
        )
        for channel in channels
    }


def reachable_on_any(channels, *, via: str = "") -> Q:
    either = Q()
    for channel in channels:
        either |= reachable(channel, via=via)
    return either


def campaign_audience(campaign: Campaign, *, now: datetime | None = None):
    """Customers of the campaign's segment (all live customers when it has none)
    reachable on at least one of its channels, annotated ``ok_<channel>``."""
    customers = (
        segment_customers(campaign.segment, now=now)
        if campaign.segment_id
        else live_customers()
    )
    return customers.filter(reachable_on_any(campaign.channels)).annotate(
        **reachable_flags(campaign.channels)
    )


def message_deliverable() -> Q:
    """Checked again when a queued message is sent: consent still granted, an address
    still there, the profile neither merged away nor erased."""
    consent = Exists(
        Consent.objects.filter(
            customer=OuterRef("customer_id"), channel=OuterRef("channel"), granted=True
        )
    )
    no_address = Q(channel=MessageChannel.EMAIL, customer__email="") | Q(
        channel=MessageChannel.SMS, customer__phone=""
    )
    return (
        Q(consent)
        & Q(customer__merged_into__isnull=True, customer__is_anonymised=False)
        & ~no_address
    )


# --- Automations: what triggers -----------------------------------------------------


def abandoned_carts(*, after: timedelta, now: datetime, max_age: timedelta):
    """Open carts of live customers, with lines, untouched since ``after`` ago (and not
    older than ``max_age`` more), whose customer has not bought since."""
    from orders.models import Cart, CartLine, CartStatus

    cutoff = now - after
    return (
        Cart.objects.filter(
            status=CartStatus.OPEN,
            customer__isnull=False,
            customer__merged_into__isnull=True,
            customer__is_anonymised=False,
            updated_at__lte=cutoff,
            updated_at__gt=cutoff - max_age,
        )
        .filter(Exists(CartLine.objects.filter(cart=OuterRef("pk"))))
        .exclude(
            Exists(
                Order.objects.filter(
                    customer=OuterRef("customer"),
                    created_at__gte=OuterRef("updated_at"),
                )
            )
        )
    )


def paid_orders(*, after: timedelta, now: datetime, max_age: timedelta):
    """Paid, not cancelled orders of live customers placed ``after`` ago (not older
    than ``max_age`` more)."""
    from orders.models import Payment, PaymentStatus

    cutoff = now - after
    return (
        Order.objects.filter(
            customer__isnull=False,
            customer__merged_into__isnull=True,
            customer__is_anonymised=False,
            created_at__lte=cutoff,
            created_at__gt=cutoff - max_age,
        )
        .exclude(status=OrderStatus.CANCELLED)
        .filter(
            Exists(
                Payment.objects.filter(
                    order=OuterRef("pk"),
                    status__in=[PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED],
                )
            )
        )
    )


def lapsed_customers(*, after: timedelta, now: datetime):
    """Live customers who bought before but not in the last ``after``, annotated with
    their latest order's id (``last_order_id``): buying again makes a new trigger."""
    purchases = Order.objects.filter(customer=OuterRef("pk")).exclude(
        status=OrderStatus.CANCELLED
    )
    latest = purchases.order_by("-created_at", "-id").values("pk")[:1]
    return (
        live_customers()
        .filter(Exists(purchases))
        .exclude(Exists(purchases.filter(created_at__gt=now - after)))
        .annotate(last_order_id=Subquery(latest))
    )


# --- Automations: wishlists ---------------------------------------------------------


def _wished_items() -> QuerySet[WishlistItem]:
    """Active items on open lists of live customers."""
    return WishlistItem.objects.filter(
        removed_at__isnull=True,
        wishlist__archived_at__isnull=True,
        wishlist__customer__merged_into__isnull=True,
        wishlist__customer__is_anonymised=False,
    )


def wished_variant_ids(variant_ids) -> set[int]:
    """Which of ``variant_ids`` are on a wishlist: one read of the items' variant
    index, cheap enough to follow every stock change."""
    variant_ids = list(variant_ids)
    if not variant_ids:
        return set()
    rows = fetch(  # kept as SQL: it follows every stock change, checkouts included
        connection_for(WishlistItem),
        "SELECT DISTINCT variant_id FROM customers_wishlistitem"
        f" WHERE variant_id IN ({', '.join(['%s'] * len(variant_ids))})"
        " AND removed_at IS NULL",
        variant_ids,
        [None],
    )
    return {variant_id for (variant_id,) in rows}


@dataclass(frozen=True)
class WishedStock:
    """Who waits for a variant: since when (its earliest active item) and at which
    shops (the wishers' preferred stores)."""

    since: datetime
    stores: frozenset[int]


def wished_stock(variant_ids) -> dict[int, WishedStock]:
    """Variants of ``variant_ids`` that live customers wish for, in one query."""
    rows = (
        _wished_items()
        .filter(variant_id__in=list(variant_ids))
        .values_list("variant_id", "wishlist__customer__preferred_store_id")
        .annotate(first=Min("added_at"))
        .order_by()
    )
    since: dict[int, datetime] = {}
    stores: dict[int, set[int]] = defaultdict(set)
    for variant_id, store_id, first in rows:
        since[variant_id] = min(since.get(variant_id, first), first)
        if store_id:
            stores[variant_id].add(store_id)
    return {
        pk: WishedStock(since=first, stores=frozenset(stores[pk]))
        for pk, first in since.items()
    }


Scope = tuple[int, int | None]  # (variant, shop); no shop: online


def wished_units(*, variant_ids, pairs) -> dict[Scope, int]:
    """Units now, as the storefront counts them: online per variant (``(variant,
    None)``) and at each (variant, shop) of ``pairs``. Two queries."""
    units: dict[Scope, int] = {
        (pk, None): n for pk, n in online_available(variant_ids=variant_ids).items()
    }
    pairs = set(pairs)
    if pairs:
        levels = StockLevel.objects.filter(
            variant_id__in={v for v, _ in pairs},
            location_id__in={loc for _, loc in pairs},
        ).values_list("variant_id", "location_id", "on_hand", "reserved")
        for variant_id, location_id, on_hand, reserved in levels:
            if (variant_id, location_id) in pairs:
                units[(variant_id, location_id)] = max(on_hand - reserved, 0)
        for pair in pairs:
            units.setdefault(pair, 0)
    return units


def wished_units_at(*, since: dict[int, datetime], pairs) -> dict[Scope, int]:
    """Units as they were at ``since[variant]``, counted like ``wished_units``: the
    levels now less the ledger's movements since then, location by location (with
    today's safety stock). Two queries, the levels first: stock that arrives between
    the two is then taken off levels that do not hold it yet, and the units at
    ``since`` come out lower (never below zero per location), not higher. Read the
    other way round, a receipt committed in between counted as stock that was already
    there, and its return from nothing went unseen."""
    if not since:
        return {}
    pairs = {(v, loc) for v, loc in pairs if v in since}
    stores = {loc for _, loc in pairs}
    levels = list(
        StockLevel.objects.filter(variant_id__in=list(since))
        .filter(
            Q(location__active=True, location__ships_online_orders=True)
            | Q(location_id__in=stores)
        )
        .values_list(
            "variant_id",
            "location_id",
            "on_hand",
            "reserved",
            "safety_stock",
            "location__active",
            "location__ships_online_orders",
        )
    )
    later = Q()
    for variant_id, moment in since.items():
        later |= Q(variant_id=variant_id, created_at__gt=moment)
    moved = {
        (row["variant_id"], row["location_id"]): (row["on_hand"], row["reserved"])
        for row in StockMovement.objects.filter(later)
        .values("variant_id", "location_id")
        .annotate(on_hand=Sum("delta_on_hand"), reserved=Sum("delta_reserved"))
        .order_by()
    }
    units: dict[Scope, int] = {(v, None): 0 for v in since}
    for variant_id, location_id, on_hand, reserved, safety, active, online in levels:
        on_hand_moved, reserved_moved = moved.get((variant_id, location_id), (0, 0))
        free = (on_hand - on_hand_moved) - (reserved - reserved_moved)
        if active and online:
            units[(variant_id, None)] += max(free - safety, 0)
        if (variant_id, location_id) in pairs:
            units[(variant_id, location_id)] = max(free, 0)
    for pair in pairs:
        units.setdefault(pair, 0)
    return units


def _available_to_wisher() -> Q:
    """The item's variant can be had: online, or at the customer's preferred shop."""
    online = StockLevel.objects.filter(
        variant_id=OuterRef("variant_id"),
        location__active=True,
        location__ships_online_orders=True,
        on_hand__gt=F("reserved") + F("safety_stock"),
    )
    in_store = StockLevel.objects.filter(
        variant_id=OuterRef("variant_id"),
        location_id=OuterRef("wishlist__customer__preferred_store_id"),
        on_hand__gt=F("reserved"),
    )
    return Q(Exists(online)) | Q(Exists(in_store))


def restocked_items(*, after: timedelta, now: datetime, max_age: timedelta):
    """Wished items whose variant came back (online, or at the customer's preferred
    shop) after the item was put on the list, ``after`` ago and not older than
    ``max_age`` more, and can still be had; annotated ``restock``, the variant's latest
    such restock number."""
    cutoff = now - after
    window = Restock.objects.filter(at__lte=cutoff, at__gt=cutoff - max_age)
    restocks = window.filter(
        variant_id=OuterRef("variant_id"), at__gte=OuterRef("added_at")
    ).filter(
        Q(location__isnull=True)
        | Q(location_id=OuterRef("wishlist__customer__preferred_store_id"))
    )
    latest = restocks.order_by("-number").values("number")[:1]
    return (
        _wished_items()
        # The few variants back in the window first, so only their items are read.
        .filter(variant_id__in=window.values("variant_id"))
        .annotate(restock=Subquery(latest))
        .filter(restock__isnull=False)
        .filter(_available_to_wisher())
    )


def price_drop_items(*, after: timedelta, now: datetime, percent: Decimal):
    """Wished items, on the list for ``after`` at least, whose variant is still sold,
    can be had, and now costs at least ``percent`` % less than when it was added
    (strictly less at 0 %); annotated ``price``, the price now."""
    factor = (Decimal(100) - Decimal(percent)) / Decimal(100)
    money = DecimalField(max_digits=14, decimal_places=4)
    return (
        _wished_items()
        .filter(
            added_at__lte=now - after,
            variant__active=True,
            variant__product__active=True,
            variant__price__lt=F("price_at_add"),
            variant__price__lte=ExpressionWrapper(
                F("price_at_add") * Value(factor, output_field=money),
                output_field=money,
            ),
        )
        .filter(_available_to_wisher())
        .annotate(price=F("variant__price"))
    )


def wishlist_cards(
    *, variant_ids, item_ids, store_ids
) -> tuple[dict[int, dict], dict[int, dict], dict[tuple[int, int], int]]:
    """What back-in-stock and price-drop messages show, for a batch in four queries:
    per variant its name, SKU, price and units online; per item its variant and the
    price it was added at; units per (variant, shop)."""
    items = {
        row["pk"]: row
        for row in WishlistItem.objects.filter(pk__in=list(item_ids)).values(
            "pk", "variant_id", "price_at_add"
        )
    }
    wanted = set(variant_ids) | {row["variant_id"] for row in items.values()}
    online = online_available(variant_ids=wanted) if wanted else {}
    variants = {
        v.pk: {
            "name": v.name,
            "sku": v.sku,
            "price": str(v.price),
            "online": online.get(v.pk, 0),
        }
        for v in Variant.objects.filter(pk__in=wanted).select_related("product")
    }
    stock = store_stock(variant_ids=wanted, store_ids=store_ids)
    return variants, items, stock


# --- Personal content ---------------------------------------------------------------


def store_cards(store_ids) -> dict[int, dict]:
    return {
        loc["pk"]: {
            "name": loc["name"],
            "city": loc["city"],
            "address": loc["address"],
            "opening_hours": loc["opening_hours"],
        }
        for loc in Location.objects.filter(pk__in=set(store_ids)).values(
            "pk", "name", "city", "address", "opening_hours"
        )
    }


def featured_items(campaign: Campaign) -> list[dict]:
    return [
        {
            "variant_id": v.pk,
            "name": v.name,
            "sku": v.sku,
            "price": str(v.price),
        }
        for v in campaign.featured_variants.select_related("product").order_by("pk")
    ]


def store_stock(*, variant_ids, store_ids) -> dict[tuple[int, int], int]:
    """Units available per (variant, store), in one query."""
    if not variant_ids or not store_ids:
        return {}
    rows = StockLevel.objects.filter(
        variant_id__in=list(variant_ids), location_id__in=list(set(store_ids))
    ).values_list("variant_id", "location_id", "on_hand", "reserved")
    return {(v, loc): max(on_hand - reserved, 0) for v, loc, on_hand, reserved in rows}


def best_sellers(*, now: datetime | None = None) -> dict[int, list[dict]]:
    """Per category, the products sold most in the last ``BEST_SELLER_DAYS`` days
    (top ``BEST_SELLERS_PER_CATEGORY``), in one windowed query."""
    since = (now or timezone.now()) - timedelta(days=BEST_SELLER_DAYS)
    rows = (
        OrderLine.objects.filter(order__created_at__gte=since)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values(
            "variant__product_id",
            "variant__product__name",
            "variant__product__category_id",
            "variant__product__category__name",
        )
        .annotate(units=Sum("quantity"), price=Min("variant__price"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("variant__product__category_id")],
                order_by=[F("units").desc(), F("variant__product_id").asc()],
            )
        )
        .filter(rank__lte=BEST_SELLERS_PER_CATEGORY)
        .order_by("variant__product__category_id", "rank")
    )
    result: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        result[row["variant__product__category_id"]].append(
            {
                "product_id": row["variant__product_id"],
                "name": row["variant__product__name"],
                "category": row["variant__product__category__name"],
                "price": str(row["price"]),
            }
        )
    return dict(result)


def recommendations(
    *, customer_ids, sellers: dict[int, list[dict]], limit: int = RECOMMENDATIONS
) -> dict[int, list[dict]]:
    """Per customer: best sellers of the categories they bought from, not bought yet
    (one query for a batch of customers; ``sellers`` comes from ``best_sellers``)."""
    bought = (
        OrderLine.objects.filter(order__customer_id__in=list(customer_ids))
        .exclude(order__status=OrderStatus.CANCELLED)
        .values_list(
            "order__customer_id",
            "variant__product_id",
            "variant__product__category_id",
        )
        .distinct()
    )
    products: dict[int, set[int]] = defaultdict(set)
    categories: dict[int, list[int]] = defaultdict(list)
    for customer_id, product_id, category_id in bought:
        products[customer_id].add(product_id)
        if category_id not in categories[customer_id]:
            categories[customer_id].append(category_id)
    result: dict[int, list[dict]] = {}
    for customer_id in customer_ids:
        picks: list[dict] = []
        own = products.get(customer_id, set())
        for category_id in sorted(categories.get(customer_id, [])):
            for item in sellers.get(category_id, []):
                if item["product_id"] not in own and item not in picks:
                    picks.append(item)
                if len(picks) >= limit:
                    break
            if len(picks) >= limit:
                break
        result[customer_id] = [
            {"name": p["name"], "category": p["category"], "price": p["price"]}
            for p in picks
        ]
    return result


def cart_contents(cart_ids) -> dict[int, dict]:
    """Lines of abandoned carts with low-stock urgency: ``only_left`` is the number of
    units still sellable online when it is at or under the low-stock threshold."""
    from orders.models import CartLine

    lines = list(
        CartLine.objects.filter(cart_id__in=list(cart_ids))
        .select_related("variant__product")
        .order_by("cart_id", "pk")
    )
    units = online_available(variant_ids={line.variant_id for line in lines})
    threshold = settings.OMNISTORE_LOW_STOCK_DEFAULT
    carts: dict[int, dict] = {}
    for line in lines:
        left = units.get(line.variant_id, 0)
        only_left = left if 0 < left <= threshold else None
        cart = carts.setdefault(line.cart_id, {"lines": [], "low_stock": False})
        cart["lines"].append(
            {
                "name": line.variant.name,
                "quantity": line.quantity,
                "only_left": only_left,
            }
        )
        cart["low_stock"] = cart["low_stock"] or only_left is not None
    return carts


def order_cards(order_ids) -> dict[int, dict]:
    return {
        row["pk"]: {
            "number": row["number"],
            "total": str(row["total"]),
            "currency": row["currency"],
        }
        for row in Order.objects.filter(pk__in=list(order_ids)).values(
            "pk", "number", "total", "currency"
        )
    }


# --- Reports ------------------------------------------------------------------------


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
    revenue: Decimal = Decimal("0.00")

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


def _click_channel():
    """The channel of the campaign message last clicked by the buyer before the order
    (the message the attribution followed)."""
    window = settings.OMNISTORE_ATTRIBUTION_WINDOW
    return Subquery(
        Message.objects.filter(
            campaign_id=OuterRef("attributed_campaign_id"),
            customer_id=OuterRef("customer_id"),
            last_clicked_at__lte=OuterRef("created_at"),
            last_clicked_at__gte=OuterRef("created_at") - window,
        )
        .order_by("-last_clicked_at")
        .values("channel")[:1]
    )


def campaign_report(*, campaign_ids=None) -> CampaignReport:
    """Per campaign and channel: sent, delivered, opens, clicks, conversions and
    revenue (attributed orders not cancelled), then single-channel and multi-channel
    campaigns side by side. Three aggregate queries."""
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
    orders = (
        Order.objects.filter(attributed_campaign_id__in=list(rows))
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(click_channel=_click_channel())
        .values("attributed_campaign_id", "click_channel")
        .annotate(conversions=Count("pk"), revenue=Sum("total"))
        .order_by()
    )
    for row in orders:
        stats = rows[row["attributed_campaign_id"]]
        stats.conversions += row["conversions"]
        stats.revenue += row["revenue"] or Decimal("0")
        channel = row["click_channel"]
        if channel:
            per = stats.by_channel.setdefault(channel, ChannelStats(channel=channel))
            per.conversions += row["conversions"]
            per.revenue += row["revenue"] or Decimal("0")
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
    # left out: they would only dilute the comparison.
    shown = [s for s in rows.values() if s.by_channel_any or s.conversions]
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
    return CampaignReport(campaigns=shown, single=single, multi=multi)


def campaign_messages(campaign: Campaign) -> QuerySet[Message]:
    return Message.objects.filter(campaign=campaign).select_related("customer")


def due_campaigns(*, now: datetime) -> list[int]:
    """Broadcasts whose time has come, and sends left unfinished (a crash, a provider
    outage) whose lease has expired."""
    return list(
        Campaign.objects.filter(
            kind=CampaignKind.BROADCAST,
            status__in=[CampaignStatus.SCHEDULED, CampaignStatus.SENDING],
            send_at__lte=now,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)
    )
