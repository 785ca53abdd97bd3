"""Conditions of the segment rule language: each leaf becomes a condition on
``Customer`` (a column test, an ``EXISTS`` or a correlated aggregate), so a segment is
one ``SELECT`` whatever its shape. Purchases are orders that were not cancelled."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import In

from campaigns.models import Message
from customers.models import Consent, ConsentChannel, WishlistItem
from omnistore.core.channels import ASSISTED_CHANNELS, ONLINE_CHANNELS
from orders.models import Order, OrderLine, OrderStatus


@dataclass
class Build:
    """What compiling one rule tree collects: aliases to add, the time it is now and
    how many different values its ``in`` lists name (what bounds the query's size)."""

    now: datetime
    aliases: dict[str, Any] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=itertools.count)
    listed: int = 0

    def alias(self, expression) -> str:
        name = f"seg_{next(self.counter)}"
        self.aliases[name] = expression
        return name


def _purchases(**filters) -> QuerySet[Order]:
    return Order.objects.filter(customer=OuterRef("pk"), **filters).exclude(
        status=OrderStatus.CANCELLED
    )


def _since(build: Build, days) -> datetime | None:
    return build.now - timedelta(days=days) if days else None


def _windowed(qs: QuerySet, since: datetime | None, path: str = "created_at"):
    return qs.filter(**{f"{path}__gte": since}) if since is not None else qs


def _compare(name: str, op: str, value) -> Q:
    if op == "eq":
        return Q(**{name: value})
    if op == "ne":
        return ~Q(**{name: value})
    return Q(**{f"{name}__{op}": value})


def _text(column: str) -> Callable[..., Q]:
    def build(op, value, rule, b: Build) -> Q:
        if op == "eq":
            return Q(**{f"{column}__iexact": value})
        if op == "ne":
            return ~Q(**{f"{column}__iexact": value})
        if op == "contains":
            return Q(**{f"{column}__icontains": value})
        # One IN over the lowered column, not one OR per value: a list of 500
        # stays one expression (SQLite refuses expressions nested 1,000 deep).
        return Q(In(Lower(column), sorted({str(item).lower() for item in value})))

    return build


def distinct(values) -> list:
    """The values of an ``in`` list, each once and in a stable order: a list may
    repeat a value hundreds of times, the query names it once."""
    return sorted(set(values), key=str)


def _choice(column: str) -> Callable[..., Q]:
    def build(op, value, rule, b: Build) -> Q:
        if op == "in":
            return Q(**{f"{column}__in": distinct(value)})
        return _compare(column, op, value)

    return build


def _consent(channel: str) -> Callable[..., Q]:
    def build(op, value, rule, b: Build) -> Q:
        granted = Q(
            Exists(
                Consent.objects.filter(
                    customer=OuterRef("pk"), channel=channel, granted=True
                )
            )
        )
        return granted if op == "is_true" else ~granted

    return build


def _birthday_month(op, value, rule, b: Build) -> Q:
    if op == "in":
        return Q(birthday__month__in=distinct(value))
    if op == "ne":
        return Q(birthday__isnull=False) & ~Q(birthday__month=value)
    return _compare("birthday__month", op, value)


def _channels_used(op, value, rule, b: Build) -> Q:
    """Where a customer buys is two facts (bought online, bought from a shop: at its
    counter or by phone, an assisted sale), so any list of the four values is at most
    two of them joined: ``in`` with a value repeated 500 times is the same small
    condition as with the value once."""
    online = Q(Exists(_purchases(channel__in=ONLINE_CHANNELS)))
    store = Q(Exists(_purchases(channel__in=ASSISTED_CHANNELS)))
    shapes = {
        "online_only": online & ~store,
        "store_only": store & ~online,
        "both": online & store,
        "none": ~online & ~store,
    }
    if op != "in":
        return shapes[value] if op == "eq" else ~shapes[value]
    wanted = frozenset(value)
    if len(wanted) == len(shapes):
        return Q(pk__isnull=False)  # every customer (an empty Q would vanish in OR)
    if len(wanted) == len(shapes) - 1:
        [missing] = set(shapes) - wanted
        return ~shapes[missing]
    pairs = {
        frozenset({"online_only", "both"}): online,
        frozenset({"store_only", "both"}): store,
        frozenset({"store_only", "none"}): ~online,
        frozenset({"online_only", "none"}): ~store,
    }
    if wanted in pairs:
        return pairs[wanted]
    either = Q()
    for item in sorted(wanted):
        either |= shapes[item]
    return either


def _last_order_days(op, value, rule, b: Build) -> Q:
    """Days since the latest purchase, as EXISTS tests the order index can answer."""
    cutoff = b.now - timedelta(days=value)
    if op == "lte":  # bought at or after the cutoff
        return Q(Exists(_purchases(created_at__gte=cutoff)))
    if op == "lt":
        return Q(Exists(_purchases(created_at__gt=cutoff)))
    ever = Q(Exists(_purchases()))
    if op == "gte":
        return ever & ~Q(Exists(_purchases(created_at__gt=cutoff)))
    return ever & ~Q(Exists(_purchases(created_at__gte=cutoff)))  # gt


def _orders_count(op, value, rule, b: Build) -> Q:
    purchases = _windowed(_purchases(), _since(b, rule.get("days")))
    # "at least one" and "none" are plain (anti-)semi-joins; other counts aggregate.
    if (op, value) in (("gte", 1), ("gt", 0)):
        return Q(Exists(purchases))
    if (op, value) in (("eq", 0), ("lt", 1), ("lte", 0)):
        return ~Q(Exists(purchases))
    counted = (
        purchases.order_by().values("customer").annotate(n=Count("pk")).values("n")
    )
    name = b.alias(Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))
    return _compare(name, op, value)


def _total_spent(op, value, rule, b: Build) -> Q:
    """Purchases in the home currency (OMNISTORE_CURRENCY) only: the rule's value is
    one amount, and euros and francs are never added up nor converted."""
    purchases = _windowed(
        _purchases(currency=settings.OMNISTORE_CURRENCY), _since(b, rule.get("days"))
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    summed = (
        purchases.order_by().values("customer").annotate(s=Sum("total")).values("s")
    )
    name = b.alias(
        Coalesce(
            Subquery(summed, output_field=money),
            Value(Decimal("0")),
            output_field=money,
        )
    )
    return _compare(name, op, value)


def _bought_within(channels: frozenset[str]) -> Callable[..., Q]:
    def build(op, value, rule, b: Build) -> Q:
        did = Q(
            Exists(
                _purchases(
                    channel__in=channels, created_at__gte=b.now - timedelta(days=value)
                )
            )
        )
        return did if op == "is_true" else ~did

    return build


def _bought_category(op, value, rule, b: Build) -> Q:
    slugs = distinct(value) if op == "in" else [value]
    lines = OrderLine.objects.filter(order__customer=OuterRef("pk")).exclude(
        order__status=OrderStatus.CANCELLED
    )
    lines = _windowed(lines, _since(b, rule.get("days")), "order__created_at")
    lines = lines.filter(
        Q(variant__product__category__slug__in=slugs)
        | Q(variant__product__category__parent__slug__in=slugs)
    )
    bought = Q(Exists(lines))
    return ~bought if op == "ne" else bought


def _engaged(op, value, rule, b: Build) -> Q:
    since = b.now - timedelta(days=value)
    messages = Message.objects.filter(customer=OuterRef("pk")).filter(
        Q(opened_at__gte=since) | Q(last_clicked_at__gte=since)
    )
    if rule.get("campaign") is not None:
        messages = messages.filter(campaign_id=rule["campaign"])
    engaged = Q(Exists(messages))
    return engaged if op == "is_true" else ~engaged


def _wished(rule, since: datetime | None = None) -> Q:
    """An active item on an open list of the customer, narrowed by the rule's options:
    one semi-join the wishlist's customer index answers."""
    items = WishlistItem.objects.filter(
        wishlist__customer=OuterRef("pk"),
        wishlist__archived_at__isnull=True,
        removed_at__isnull=True,
    )
    if rule.get("variant") is not None:
        items = items.filter(variant_id=rule["variant"])
    if rule.get("category") is not None:
        slug = rule["category"]
        items = items.filter(
            Q(variant__product__category__slug=slug)
            | Q(variant__product__category__parent__slug=slug)
        )
    return Q(Exists(_windowed(items, since, "added_at")))


def _has_wishlist_item(op, value, rule, b: Build) -> Q:
    wished = _wished(rule)
    return wished if op == "is_true" else ~wished


def _wishlist_added_within(op, value, rule, b: Build) -> Q:
    added = _wished(rule, b.now - timedelta(days=value))
    return added if op == "is_true" else ~added


def _preferred_store(op, value, rule, b: Build) -> Q:
    if op == "in":
        return Q(preferred_store_id__in=distinct(value))
    return _compare("preferred_store_id", op, value)


def _points(op, value, rule, b: Build) -> Q:
    return _compare("points_balance", op, value)


# How each field of the rule language (``campaigns.rules.FIELDS``) becomes a condition
# on ``Customer``.
CONDITIONS: dict[str, Callable[..., Q]] = {
    "first_name": _text("first_name"),
    "last_name": _text("last_name"),
    "created_channel": _choice("created_channel"),
    "birthday_month": _birthday_month,
    "preferred_store": _preferred_store,
    "preferred_store_city": _text("preferred_store__city"),
    "channels_used": _channels_used,
    "last_order_days": _last_order_days,
    "orders_count": _orders_count,
    "total_spent": _total_spent,
    "bought_in_store_within_days": _bought_within(ASSISTED_CHANNELS),
    "bought_online_within_days": _bought_within(ONLINE_CHANNELS),
    "bought_category": _bought_category,
    "engaged_with_campaign": _engaged,
    "points_balance": _points,
    "has_wishlist_item": _has_wishlist_item,
    "wishlist_item_added_within_days": _wishlist_added_within,
    **{f"consent.{channel}": _consent(channel) for channel in ConsentChannel.values},
}
