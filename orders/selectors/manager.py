"""The manager pages' reads: today against the same day last week (by channel and by
associate), today's returns, pickups waiting past their promised time, stock below
its safety stock and the day's till sessions, for a set of shops.

A shop's sales are the orders placed at its counter (or taken on its phone) and the
click-and-collect orders collected or waiting there. Last week is compared up to the
same time of day, so a morning is not measured against a whole day. Every read is
one query, whatever the number of shops, orders or associates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from inventory.models import StockLevel
from inventory.selectors import available_expression
from omnistore.core.channels import Channel
from orders.models import (
    Fulfilment,
    FulfilmentMethod,
    Order,
    OrderStatus,
    Return,
    ReturnStatus,
    ReturnStatusChange,
    TillSession,
    TillSessionStatus,
)
from orders.selectors.reports import sold_at, without_gift_cards

TODAY, LAST_WEEK = "today", "last_week"
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
NOT_YET_READY = [OrderStatus.PLACED, OrderStatus.PICKED]


@dataclass
class Period:
    start: datetime
    end: datetime


@dataclass
class Days:
    """Today from midnight to now, and the same stretch of the same weekday a week
    ago (local time)."""

    today: Period
    last_week: Period

    @classmethod
    def around(cls, now: datetime) -> Days:
        local = timezone.localtime(now)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # A week back on the local clock (zoneinfo gives the offset of that day): 9:00
        # a week after a clock change is compared with 9:00, not 8:00 or 10:00.
        week = timedelta(days=7)
        return cls(Period(start, now), Period(start - week, local - week))


@dataclass
class Row:
    """One line of a comparison: orders and revenue today and a week ago."""

    key: str
    label: str
    currency: str = ""
    today_orders: int = 0
    today_revenue: Decimal = ZERO
    last_orders: int = 0
    last_revenue: Decimal = ZERO

    @property
    def change(self) -> str:
        if not self.last_revenue:
            return "new" if self.today_revenue else "–"
        percent = (self.today_revenue - self.last_revenue) * 100 / self.last_revenue
        return f"{percent:+.0f}%"


@dataclass
class Comparison:
    """Rows of one currency each: amounts in euro and in francs are never added up
    (a row's label names its currency once shops sell in more than one)."""

    rows: list[Row] = field(default_factory=list)

    @property
    def totals(self) -> list[Row]:
        """One total per currency, the company's currency first."""
        totals: dict[str, Row] = {}
        for row in self.rows:
            total = totals.setdefault(row.currency, Row("total", "All", row.currency))
            total.today_orders += row.today_orders
            total.today_revenue += row.today_revenue
            total.last_orders += row.last_orders
            total.last_revenue += row.last_revenue
        if len(totals) > 1:
            for total in totals.values():
                total.label = f"All ({total.currency})"
        return sorted(totals.values(), key=_currency_order)

    @property
    def orders_today(self) -> int:
        return sum(row.today_orders for row in self.rows)

    @property
    def orders_last_week(self) -> int:
        return sum(row.last_orders for row in self.rows)


def _shop_sales(shop_ids: list[int], days: Days) -> QuerySet[Order]:
    """The two days' sales of these shops (not cancelled; each order at one shop, as
    the sales report counts it: ``sold_at``), tagged by period, with ``sales`` (the
    total less the gift cards sold: money owed, not a sale)."""
    in_days = Q(created_at__gte=days.today.start, created_at__lte=days.today.end) | Q(
        created_at__gte=days.last_week.start, created_at__lte=days.last_week.end
    )
    orders = Order.objects.filter(in_days).exclude(status=OrderStatus.CANCELLED)
    return without_gift_cards(sold_at(orders, shop_ids)).annotate(
        period=Case(
            When(created_at__gte=days.today.start, then=Value(TODAY)),
            default=Value(LAST_WEEK),
        )
    )


def _compare(grouped, key: str, label) -> Comparison:
    rows: dict[tuple, Row] = {}
    for entry in grouped:
        row_key = (str(entry[key]), entry["currency"])
        row = rows.get(row_key)
        if row is None:
            row = rows[row_key] = Row(row_key[0], label(entry), entry["currency"])
        revenue = Decimal(entry["revenue"] or 0).quantize(CENT)
        if entry["period"] == TODAY:
            row.today_orders, row.today_revenue = entry["orders"], revenue
        else:
            row.last_orders, row.last_revenue = entry["orders"], revenue
    if len({row.currency for row in rows.values()}) > 1:
        for row in rows.values():
            row.label = f"{row.label} ({row.currency})"
    ordered = sorted(
        rows.values(), key=lambda r: (*_currency_order(r), -r.today_revenue, r.label)
    )
    return Comparison(ordered)


def _currency_order(row: Row) -> tuple[bool, str]:
    """The company's currency first, then the others by code."""
    return row.currency != settings.OMNISTORE_CURRENCY, row.currency


def sales_by_channel(shop_ids: list[int], days: Days) -> Comparison:
    grouped = (
        _shop_sales(shop_ids, days)
        .values("period", "channel", "currency")
        .annotate(orders=Count("id"), revenue=Sum("sales"))
        .order_by()
    )
    labels = dict(Channel.choices)
    return _compare(
        grouped, "channel", lambda e: labels.get(e["channel"], e["channel"])
    )


def _associate_name(entry) -> str:
    if entry["staff_member"] is None:
        return "Online (no associate)"
    name = f"{entry['staff_member__first_name']} {entry['staff_member__last_name']}"
    return name.strip() or entry["staff_member__username"]


def sales_by_associate(shop_ids: list[int], days: Days) -> Comparison:
    grouped = (
        _shop_sales(shop_ids, days)
        .values(
            "period",
            "staff_member",
            "staff_member__first_name",
            "staff_member__last_name",
            "staff_member__username",
            "currency",
        )
        .annotate(orders=Count("id"), revenue=Sum("sales"))
        .order_by()
    )
    return _compare(grouped, "staff_member", _associate_name)


def returns_today(shop_ids: list[int], days: Days) -> QuerySet[Return]:
    """Returns received, refunded or opened at these shops today, each with the
    name of who handled it at the shop (``handled_by``), in the same query. A
    return is a shop's when it was received there or when the shop received or
    refunded it (its history's location): one a warehouse received is paid back in
    cash by the shop that sold it."""
    handled_here = ReturnStatusChange.objects.filter(
        return_request=OuterRef("pk"),
        to_status__in=_AT_THE_SHOP,
        location_id__in=shop_ids,
    )
    return (
        Return.objects.filter(
            Q(created_at__gte=days.today.start)
            | Q(received_at__gte=days.today.start)
            | Q(refunded_at__gte=days.today.start),
            Q(receiving_location_id__in=shop_ids) | Exists(handled_here),
        )
        .exclude(status=ReturnStatus.CANCELLED)
        .select_related("order", "receiving_location", "created_by")
        .annotate(**{f"handler_{name}": _handler(name) for name in _HANDLER_NAME})
        .order_by("-created_at", "-id")
    )


# A return's steps taken at the shop, and the fields of who took them its page shows.
_AT_THE_SHOP = (ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
_HANDLER_NAME = ("username", "first_name", "last_name")


def _handler(field: str) -> Subquery:
    """``field`` of the last staff member who received or refunded the return."""
    steps = ReturnStatusChange.objects.filter(
        return_request=OuterRef("pk"), to_status__in=_AT_THE_SHOP, actor__isnull=False
    ).order_by("-at", "-id")
    return Subquery(steps.values(f"actor__{field}")[:1])


def handled_by(ret: Return):
    """Who handled a return of ``returns_today`` at the shop: the last to receive or
    refund it (its history), else who started it there; None: the customer, online,
    and no one at a shop since."""
    if ret.handler_username is None:
        return ret.created_by
    fields = {name: getattr(ret, f"handler_{name}") or "" for name in _HANDLER_NAME}
    return get_user_model()(**fields)


def returns_handled_today(shop_ids: list[int], days: Days, limit: int) -> list[Return]:
    """The first ``limit`` of ``returns_today``, each with ``handled_by``."""
    returns = list(returns_today(shop_ids, days)[:limit])
    for ret in returns:
        ret.handled_by = handled_by(ret)
    return returns


def late_pickups(shop_ids: list[int], now: datetime) -> QuerySet[Order]:
    """Click and collect past its promised time: not ready
    ``OMNISTORE_PICKUP_PROMISE_HOURS`` after it was placed, or ready and not
    collected by its pickup deadline. The latest first."""
    promised = now - timedelta(hours=settings.OMNISTORE_PICKUP_PROMISE_HOURS)
    waiting_here = Fulfilment.objects.filter(
        order=OuterRef("pk"),
        method=FulfilmentMethod.PICKUP,
        pickup_location_id__in=shop_ids,
    )
    late = Q(status__in=NOT_YET_READY, created_at__lt=promised) | Q(
        status=OrderStatus.READY, pickup_expires_at__lt=now
    )
    return (
        Order.objects.filter(late, fulfilment_method=FulfilmentMethod.PICKUP)
        .filter(Exists(waiting_here))
        .annotate(
            pickup_shop=Subquery(waiting_here.values("pickup_location__name")[:1])
        )
        .order_by("created_at", "id")
    )


def stock_alerts(shop_ids: list[int]) -> QuerySet[StockLevel]:
    """Levels whose available units (on hand less reserved) are below their safety
    stock, emptiest first."""
    return (
        StockLevel.objects.filter(location_id__in=shop_ids, variant__active=True)
        .annotate(available_units=available_expression())
        .filter(available_units__lt=F("safety_stock"))
        .select_related("variant__product", "location")
        .order_by("available_units", "variant__sku")
    )


def tills_today(shop_ids: list[int], days: Days) -> QuerySet[TillSession]:
    """Sessions open now, or opened or closed today."""
    return (
        TillSession.objects.filter(register__location_id__in=shop_ids)
        .filter(
            Q(status=TillSessionStatus.OPEN)
            | Q(opened_at__gte=days.today.start)
            | Q(closed_at__gte=days.today.start)
        )
        .select_related("register__location", "opened_by", "closed_by", "approved_by")
        .order_by("register__location__name", "-opened_at")
    )
