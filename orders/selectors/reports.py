"""Reports for the admin: sales by channel and shop, and the returns rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from customers.models import Customer
from inventory.models import Location
from omnistore.core.channels import ASSISTED_CHANNELS, ONLINE_CHANNELS, Channel
from omnistore.core.labels import label_of
from orders.models import (
    CANCELLABLE_STATUSES,
    Fulfilment,
    FulfilmentMethod,
    Order,
    OrderLine,
    OrderStatus,
    ReturnLine,
    ReturnStatus,
)
from orders.selectors.giftcards import cards_sold_amount
from orders.selectors.orders import given_back_of_row
from orders.selectors.payments import paid_of_row
from orders.selectors.vat import cancelled_parts_amount


@dataclass
class RateRow:
    key: int
    label: str
    sold: int
    returned: int

    @property
    def rate(self) -> float:
        return self.returned / self.sold if self.sold else 0.0

    @property
    def percent(self) -> str:
        return f"{self.rate * 100:.1f}%"


def _sold_lines(since: datetime | None, shop_ids=None) -> QuerySet[OrderLine]:
    """``shop_ids``: only lines handed over at those shops (None: every shop)."""
    # Handed over: not cancelled, nor still waiting to be (kept spend's rule too).
    lines = OrderLine.objects.exclude(
        order__status__in=[OrderStatus.CANCELLED, *CANCELLABLE_STATUSES]
    ).exclude(fulfilment__cancelled_at__isnull=False)
    if since is not None:
        lines = lines.filter(order__created_at__gte=since)
    if shop_ids is not None:
        lines = lines.filter(
            Q(fulfilment__pickup_location__in=shop_ids)
            | Q(
                fulfilment__pickup_location__isnull=True,
                fulfilment__location__in=shop_ids,
            )
        )
    return lines


def _returned_lines(since: datetime | None, shop_ids=None) -> QuerySet[ReturnLine]:
    """Units actually back: returns received (refunded, closed), not just asked for."""
    lines = ReturnLine.objects.filter(
        return_request__status__in=[
            ReturnStatus.RECEIVED,
            ReturnStatus.REFUNDED,
            ReturnStatus.CLOSED,
        ]
    )
    if since is not None:
        lines = lines.filter(order_line__order__created_at__gte=since)
    if shop_ids is not None:
        lines = lines.filter(return_request__receiving_location__in=shop_ids)
    return lines


def returns_rate_by_shop(
    *, since: datetime | None = None, shop_ids=None
) -> list[RateRow]:
    """Per shop: units handed over there (sold at its counter, collected there, or
    shipped from it) against units returned there. Two grouped queries and one for
    the names."""
    handed = Coalesce("fulfilment__pickup_location", "fulfilment__location")
    sold = {
        row["shop"]: row["units"]
        for row in _sold_lines(since, shop_ids)
        .annotate(shop=handed)
        .values("shop")
        .annotate(units=Sum("quantity"))
        .order_by()
        if row["shop"] is not None
    }
    returned = {
        row["return_request__receiving_location"]: row["units"]
        for row in _returned_lines(since, shop_ids)
        .filter(return_request__receiving_location__isnull=False)
        .values("return_request__receiving_location")
        .annotate(units=Sum("quantity"))
        .order_by()
    }
    ids = set(sold) | set(returned)
    names = dict(Location.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = [
        RateRow(pk, names.get(pk, str(pk)), sold.get(pk, 0), returned.get(pk, 0))
        for pk in ids
    ]
    return sorted(rows, key=lambda r: (-r.rate, -r.returned, r.label))


def returns_rate_by_product(
    *, since: datetime | None = None, limit: int = 20, shop_ids=None
) -> list[RateRow]:
    """Per product: units sold against units returned, the most returned first."""
    returned_rows = list(
        _returned_lines(since, shop_ids)
        .values("order_line__variant__product", "order_line__variant__product__name")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "order_line__variant__product")[:limit]
    )
    ids = [row["order_line__variant__product"] for row in returned_rows]
    sold = {
        row["variant__product"]: row["units"]
        for row in _sold_lines(since, shop_ids)
        .filter(variant__product__in=ids)
        .values("variant__product")
        .annotate(units=Sum("quantity"))
        .order_by()
    }
    rows = [
        RateRow(
            row["order_line__variant__product"],
            row["order_line__variant__product__name"],
            sold.get(row["order_line__variant__product"], 0),
            row["units"],
        )
        for row in returned_rows
    ]
    return sorted(rows, key=lambda r: (-r.rate, -r.returned, r.label))


def without_gift_cards(orders: QuerySet[Order]) -> QuerySet[Order]:
    """The orders that sold goods, each with ``sales`` and ``sales_net``: its total
    and net total less the gift cards it sold (a card is money owed, not a sale: it
    sells when it is spent) and the lines of its parts cancelled before they left
    (never sold, as a cancelled order is not). An order that sold only gift cards
    (an e-gift card online, a card alone at a counter) sold nothing: it is left out,
    so it counts as no order of its channel or shop."""
    cards = cards_sold_amount()
    goods = OrderLine.objects.filter(order=OuterRef("pk"))
    return orders.filter(Exists(goods)).annotate(
        sales=F("total") - cards - cancelled_parts_amount(),
        sales_net=F("net_total") - cards - cancelled_parts_amount("net"),
    )


@dataclass
class SalesReport:
    by_channel: list[dict]
    by_shop: list[dict]
    click_and_collect: dict
    cross_channel: dict


COUNTER_SALE = Q(channel__in=ASSISTED_CHANNELS, placing_location__isnull=False)


def sold_at(orders: QuerySet[Order], shop_ids) -> QuerySet[Order]:
    """The orders that count as sales of these shops, each at one shop: a counter
    sale at the shop that rang it up (however it is handed over), a click-and-collect
    order placed away from a counter at the shop it is collected from. All of them
    when ``shop_ids`` is None (the whole chain)."""
    if shop_ids is None:
        return orders
    collected_there = Fulfilment.objects.filter(
        order=OuterRef("pk"),
        method=FulfilmentMethod.PICKUP,
        pickup_location_id__in=shop_ids,
    )
    return orders.filter(
        (COUNTER_SALE & Q(placing_location_id__in=shop_ids))
        | (~COUNTER_SALE & Exists(collected_there))
    )


def _pickup_shop(field: str = "pickup_location") -> Subquery:
    """An order's pickup shop (``field`` of it), read from its first part that has
    one: every part of a click-and-collect order goes to the same shop, so an order
    in several parts is still one row."""
    return Subquery(
        Fulfilment.objects.filter(order=OuterRef("pk"), pickup_location__isnull=False)
        .order_by("pk")
        .values(field)[:1]
    )


def _shop_entry(name: str, currency: str) -> dict:
    zero = Decimal("0.00")
    return {
        "shop": name,
        "currency": currency,
        "counter_orders": 0,
        "counter_revenue": zero,
        "counter_net": zero,
        "pickup_orders": 0,
        "pickup_revenue": zero,
        "pickup_net": zero,
    }


def _sales_by_shop(orders: QuerySet[Order], shop_ids=None) -> list[dict]:
    """Per shop and currency, gross and net, each order once in one column: a
    counter sale (the till's, however it is handed over) at the shop that rang it
    up; a click-and-collect order placed away from a counter at the shop it is
    collected from. Two aggregate queries. Only ``shop_ids`` when given."""
    shops: dict[tuple[int, str], dict] = {}
    counter = (
        orders.filter(COUNTER_SALE)
        .values("placing_location_id", "placing_location__name", "currency")
        .annotate(orders=Count("id"), revenue=Sum("sales"), net=Sum("sales_net"))
        .order_by()
    )
    for row in counter:
        entry = shops.setdefault(
            (row["placing_location_id"], row["currency"]),
            _shop_entry(row["placing_location__name"], row["currency"]),
        )
        entry["counter_orders"] = row["orders"]
        entry["counter_revenue"] = row["revenue"]
        entry["counter_net"] = row["net"]
    pickups = (
        orders.filter(fulfilment_method=FulfilmentMethod.PICKUP)
        .exclude(COUNTER_SALE)
        .annotate(
            pickup_shop=_pickup_shop(),
            pickup_name=_pickup_shop("pickup_location__name"),
        )
        .values("pickup_shop", "pickup_name", "currency")
        .annotate(orders=Count("id"), revenue=Sum("sales"), net=Sum("sales_net"))
        .order_by()
    )
    for row in pickups:
        if row["pickup_shop"] is None:
            continue
        entry = shops.setdefault(
            (row["pickup_shop"], row["currency"]),
            _shop_entry(row["pickup_name"], row["currency"]),
        )
        entry["pickup_orders"] = row["orders"]
        entry["pickup_revenue"] = row["revenue"]
        entry["pickup_net"] = row["net"]
    if shop_ids is not None:
        shops = {key: entry for key, entry in shops.items() if key[0] in shop_ids}
    return sorted(
        shops.values(),
        key=lambda e: (e["currency"], -(e["counter_revenue"] + e["pickup_revenue"])),
    )


def sales_report(*, since=None, shop_ids=None) -> SalesReport:
    """Sales by channel and by shop, gross (``revenue``, VAT included) and net, per
    currency — amounts in euro and in francs are never added up — the
    click-and-collect share of online orders and how many customers buy across
    channels (online, in store: a phone order is a shop's assisted sale, so it counts
    in store): five aggregate queries whatever the volume. Goods only: an order that
    sold only gift cards counts nowhere (``without_gift_cards``).

    A shop's sales are its counter sales (placing location, whatever the
    fulfilment) plus the click-and-collect orders placed away from a counter and
    handed over or waiting there (pickup location): each order counts once. ``shop_ids`` limits it all to
    the orders of those shops (a manager's); None is the whole chain."""
    orders = sold_at(Order.objects.exclude(status=OrderStatus.CANCELLED), shop_ids)
    if since is not None:
        orders = orders.filter(created_at__gte=since)
    sold = without_gift_cards(orders)
    by_channel = list(
        sold.values("channel", "currency")
        .annotate(orders=Count("id"), revenue=Sum("sales"), net=Sum("sales_net"))
        .order_by("currency", "-revenue")
    )
    for row in by_channel:
        row["label"] = label_of(Channel, row["channel"])
    by_shop = _sales_by_shop(sold, shop_ids)
    # The chain: how many online orders are collected. A manager's shops: how much
    # of their orders is click and collect (their online orders are all collected
    # there by definition, so that share would always be 100 %).
    online = (
        sold if shop_ids is not None else sold.filter(channel__in=ONLINE_CHANNELS)
    ).aggregate(
        total=Count("id"),
        pickup=Count(
            "id",
            filter=Q(
                channel__in=ONLINE_CHANNELS,
                fulfilment_method=FulfilmentMethod.PICKUP,
            ),
        ),
    )
    online["of_shops"] = shop_ids is not None
    online["share"] = (
        round(100 * online["pickup"] / online["total"], 1) if online["total"] else 0.0
    )
    bought_online = sold.filter(customer=OuterRef("pk"), channel__in=ONLINE_CHANNELS)
    # A phone order is an assisted sale of a shop: its buyer bought in store.
    bought_in_store = sold.filter(
        customer=OuterRef("pk"), channel__in=ASSISTED_CHANNELS
    )
    cross = (
        Customer.objects.filter(merged_into__isnull=True)
        .annotate(online=Exists(bought_online), in_store=Exists(bought_in_store))
        .aggregate(
            both=Count("id", filter=Q(online=True, in_store=True)),
            online_only=Count("id", filter=Q(online=True, in_store=False)),
            store_only=Count("id", filter=Q(online=False, in_store=True)),
        )
    )
    buyers = sum(cross.values())
    cross["share_both"] = round(100 * cross["both"] / buyers, 1) if buyers else 0.0
    return SalesReport(
        by_channel=by_channel,
        by_shop=by_shop,
        click_and_collect=online,
        cross_channel=cross,
    )


def orders_for_export(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Orders for the CSV export with what each row shows; money and units come from
    subqueries, so a million orders stream in chunks of one query each, never one query
    per order. ``paid`` is the money taken and ``refunded`` all the order gave back,
    as its page counts them (``paid_of_row``: never a card only held;
    ``given_back_of_row``: its payments' refunds and its returns' store credit)."""
    units = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    orders = (
        queryset.select_related("customer", "placing_location", "staff_member")
        .annotate(
            paid=paid_of_row(),
            refunded=given_back_of_row(),
            units=Coalesce(Subquery(units, output_field=IntegerField()), Value(0)),
        )
        .order_by("created_at", "id")
    )
    return orders
