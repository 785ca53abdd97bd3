"""What triggers "viewed several times, not bought", and what its message shows.

A customer qualifies when, with their personalisation consent, they viewed one
product at least ``views`` times in the last ``within``, the last time at least
``after`` ago (not while still browsing), have not bought it since the window opened
(a cancelled order is no purchase), and their preferred shop, open, has it free to
sell. The frequency cap: no message of this kind to them in the last
``customer_cap``, and none about that product in the last ``product_cap``. Of several
products, the one viewed most (then last) is the one messaged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Concat, Greatest

from campaigns.models import CampaignKind, Message
from campaigns.segments.compiler import live_customers
from campaigns.selectors.prices import market_prices, money, shop_markets
from customers.models import BrowseEvent, Customer
from customers.selectors.browsing import tracking_consents
from inventory.models import Product, StockLevel, free_units
from orders.models import OrderLine, OrderStatus

TRIGGER = "viewed"


def _messages_of_kind():
    return Message.objects.filter(campaign__kind=CampaignKind.VIEWED_NOT_BOUGHT)


def _in_stock_at_preferred_shop():
    """Free units of the viewed product (the event row's) at the customer's shop (the
    outer customer row's)."""
    return (
        StockLevel.objects.filter(
            location_id=OuterRef(OuterRef("preferred_store_id")),
            variant__product_id=OuterRef("product_id"),
            variant__active=True,
        )
        .annotate(free=free_units())
        .filter(free__gt=0)
    )


def _candidates(*, views: int, since: datetime, cutoff: datetime, product_cap):
    """The customer's (outer row) qualifying products, best first, with their count
    and latest view: one row per product."""
    bought = OrderLine.objects.filter(
        order__customer_id=OuterRef("customer_id"),
        variant__product_id=OuterRef("product_id"),
        order__created_at__gte=since,
    ).exclude(order__status=OrderStatus.CANCELLED)
    capped = _messages_of_kind().filter(
        customer_id=OuterRef("customer_id"),
        created_at__gte=product_cap,
        trigger_key__startswith=Concat(
            Value(f"{TRIGGER}:"),
            Cast(OuterRef("product_id"), output_field=CharField()),
            Value(":"),
            output_field=CharField(),
        ),
    )
    return (
        BrowseEvent.objects.filter(customer_id=OuterRef("pk"), occurred_at__gte=since)
        .filter(Exists(_in_stock_at_preferred_shop()))
        .exclude(Exists(bought))
        .exclude(Exists(capped))
        .order_by()
        .values("product_id")
        .annotate(views=Count("pk"), last=Max("occurred_at"), last_id=Max("pk"))
        .filter(views__gte=views, last__lte=cutoff)
        .order_by("-views", "-last", "product_id")
    )


def viewed_not_bought(
    *,
    after: timedelta,
    now: datetime,
    views: int,
    within: timedelta,
    customer_cap: timedelta,
    product_cap: timedelta,
) -> QuerySet[Customer]:
    """Live customers who qualify, annotated ``viewed_product_id`` and
    ``viewed_event_id`` (their latest view of it, which names the trigger)."""
    since = now - within
    best = _candidates(
        views=views, since=since, cutoff=now - after, product_cap=now - product_cap
    )
    return (
        live_customers()
        .filter(preferred_store__isnull=False, preferred_store__active=True)
        .filter(Exists(tracking_consents().filter(customer=OuterRef("pk"))))
        .filter(
            Exists(
                BrowseEvent.objects.filter(
                    customer_id=OuterRef("pk"), occurred_at__gte=since
                )
            )
        )
        .exclude(
            Exists(
                _messages_of_kind().filter(
                    customer_id=OuterRef("pk"), created_at__gte=now - customer_cap
                )
            )
        )
        .annotate(
            viewed_product_id=Subquery(
                best.values("product_id")[:1], output_field=IntegerField()
            ),
            viewed_event_id=Subquery(
                best.values("last_id")[:1], output_field=IntegerField()
            ),
        )
        .filter(viewed_product_id__isnull=False)
    )


def viewed_cards(pairs) -> dict[tuple[int, int | None], dict]:
    """The message's card for each (product, shop) of a batch: name, lowest price of
    its active variants in the shop's market (``market_prices``; empty when the
    market does not sell it) and free units at the shop: three queries, and one per
    market with a price list of its own."""
    pairs = set(pairs)
    product_ids = {product for product, _ in pairs}
    store_ids = {store for _, store in pairs if store}
    if not product_ids:
        return {}
    names = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "name"))
    markets = shop_markets(store_ids)
    prices = market_prices(markets={None, *markets.values()}, product_ids=product_ids)
    units = {
        (row["variant__product_id"], row["location_id"]): row["units"] or 0
        for row in StockLevel.objects.filter(
            variant__product_id__in=product_ids,
            variant__active=True,
            location_id__in=store_ids,
        )
        .values("variant__product_id", "location_id")
        .annotate(
            units=Sum(Greatest(free_units(), Value(0), output_field=IntegerField()))
        )
    }
    return {
        (product, store): {
            "name": names[product],
            **prices[markets.get(store)].get(product, money(None, "")),
            "in_store": units.get((product, store), 0) if store else 0,
        }
        for product, store in pairs
        if product in names
    }
