"""Personal content of a batch of messages, a fixed number of queries whatever its
size: stores, featured items, best sellers, recommendations, carts and orders."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    F,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from campaigns.models import (
    Campaign,
)
from campaigns.selectors.prices import customer_markets, market_prices, shop_prices
from inventory.images import site_url
from inventory.models import Location, StockLevel, Variant
from inventory.selectors import online_available, picture_urls
from orders.models import (
    CartLine,
    Order,
    OrderLine,
    OrderStatus,
)
from orders.selectors.carts import LINE_ON_SALE

BEST_SELLER_DAYS = 90
BEST_SELLERS_PER_CATEGORY = 12
RECOMMENDATIONS = 3


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


def featured_variants(campaign: Campaign) -> list[Variant]:
    return list(campaign.featured_variants.select_related("product").order_by("pk"))


def featured_items(variants: list[Variant]) -> list[dict]:
    """The featured items' cards, without their price: that is the customer's
    market's (``featured_prices``)."""
    pictures = picture_urls(variants, absolute=site_url) if variants else {}
    return [
        {
            "variant_id": v.pk,
            "name": v.name,
            "sku": v.sku,
            "image_url": pictures.get(v.pk, ""),
        }
        for v in variants
    ]


def featured_prices(variants: list[Variant], store_ids) -> dict[int | None, dict]:
    """The featured items' prices per shop of a batch (``shop_prices``)."""
    if not variants:
        return {}
    return shop_prices(store_ids=store_ids, variants=variants)


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
        .annotate(units=Sum("quantity"))
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
            }
        )
    return dict(result)


def recommendations(
    *, customer_ids, sellers: dict[int, list[dict]], limit: int = RECOMMENDATIONS
) -> dict[int, list[dict]]:
    """Per customer: best sellers of the categories they bought from, not bought yet
    and sold in their market, each at its price there (``market_prices``); one query
    for a batch of customers, plus those of the prices (``sellers`` comes from
    ``best_sellers``)."""
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
    markets = customer_markets(customer_ids)
    wanted = {c for ids in categories.values() for c in ids}
    prices = market_prices(
        markets=set(markets.values()),
        product_ids={item["product_id"] for c in wanted for item in sellers.get(c, [])},
    )
    result: dict[int, list[dict]] = {}
    for customer_id in customer_ids:
        shown = prices.get(markets.get(customer_id), {})
        picks: list[dict] = []
        own = products.get(customer_id, set())
        for category_id in sorted(categories.get(customer_id, [])):
            for item in sellers.get(category_id, []):
                pid = item["product_id"]
                if pid not in own and pid in shown and item not in picks:
                    picks.append(item)
                if len(picks) >= limit:
                    break
            if len(picks) >= limit:
                break
        result[customer_id] = [
            {"name": p["name"], "category": p["category"], **shown[p["product_id"]]}
            for p in picks
        ]
    return result


def cart_contents(cart_ids) -> dict[int, dict]:
    """Lines of abandoned carts with low-stock urgency: ``only_left`` is the number of
    units still sellable online when it is at or under the low-stock threshold; each
    with the link to its picture (empty without one). Items no longer sold are left
    out (checkout would refuse them), and a cart holding nothing else is absent."""
    lines = list(
        CartLine.objects.filter(LINE_ON_SALE, cart_id__in=list(cart_ids))
        .select_related("variant__product")
        .order_by("cart_id", "pk")
    )
    units = online_available(variant_ids={line.variant_id for line in lines})
    pictures = picture_urls([line.variant for line in lines], absolute=site_url)
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
                "image_url": pictures.get(line.variant_id, ""),
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
