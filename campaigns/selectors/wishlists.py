"""Wishlists: which wished variants came back or got cheaper, the units a wisher
can have, and what back-in-stock and price-drop messages show."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Length, Substr

from campaigns.models import (
    CampaignKind,
    Message,
    MessageStatus,
    PriceChange,
    Restock,
)
from campaigns.selectors.content import store_stock
from campaigns.selectors.prices import shop_shelves, shops_by_price_list
from customers.models import WishlistItem
from inventory.images import site_url
from inventory.markets import ShelfPrice
from inventory.models import (
    PriceList,
    PriceListPrice,
    StockLevel,
    StockMovement,
    Variant,
    free_units,
)
from inventory.selectors import online_available, picture_urls
from omnistore.core.db import connection_for, fetch


def wished_items() -> QuerySet[WishlistItem]:
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
        wished_items()
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
        then = StockLevel(
            on_hand=on_hand - on_hand_moved,
            reserved=reserved - reserved_moved,
            safety_stock=safety,
        )
        if active and online:
            units[(variant_id, None)] += max(then.free, 0)
        if (variant_id, location_id) in pairs:
            units[(variant_id, location_id)] = max(then.available, 0)
    for pair in pairs:
        units.setdefault(pair, 0)
    return units


def _available_to_wisher() -> Q:
    """The item's variant can be had: online, or at the customer's preferred shop."""
    online = (
        StockLevel.objects.filter(
            variant_id=OuterRef("variant_id"),
            location__active=True,
            location__ships_online_orders=True,
        )
        .alias(free=free_units())
        .filter(free__gt=0)
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
        wished_items()
        # The few variants back in the window first, so only their items are read.
        .filter(variant_id__in=window.values("variant_id"))
        .annotate(restock=Subquery(latest))
        .filter(restock__isnull=False)
        .filter(_available_to_wisher())
    )


PRICE = DecimalField(max_digits=10, decimal_places=2)


def in_wishers_market(items: QuerySet[WishlistItem]) -> QuerySet[WishlistItem]:
    """``items`` priced in their customer's market (their preferred shop's, as
    messages show prices): ``price_list`` (None: the catalogue's prices), ``price``
    now (None: the market's list leaves the variant out), ``currency``, the one both
    prices are in (the list's, or the home currency of the catalogue's), and ``was``,
    the price when the item was added: the catalogue's is the item's
    ``price_at_add``; a list's is the ``was`` of its first ``PriceChange`` since, or
    the price now when it has not changed (or was not on the list then). One query
    for the shops first."""
    store = "wishlist__customer__preferred_store_id"
    price_list = Case(
        *(
            When(**{f"{store}__in": shops}, then=Value(pk))
            for pk, shops in shops_by_price_list().items()
        ),
        default=Value(None),
        output_field=IntegerField(),
    )
    same = {
        "price_list_id": OuterRef("price_list"),
        "variant_id": OuterRef("variant_id"),
    }
    listed = Subquery(PriceListPrice.objects.filter(**same).values("price")[:1])
    first_change = Subquery(
        PriceChange.objects.filter(**same, at__gt=OuterRef("added_at"))
        .order_by("at", "pk")
        .values("was")[:1]
    )
    list_currency = Subquery(
        PriceList.objects.filter(pk=OuterRef("price_list")).values("currency")[:1]
    )
    catalogue = Q(price_list__isnull=True)
    return items.annotate(price_list=price_list).annotate(
        currency=Case(
            When(catalogue, then=Value(settings.OMNISTORE_CURRENCY)),
            default=list_currency,
            output_field=CharField(),
        ),
        price=Case(
            When(catalogue, then=F("variant__price")),
            default=listed,
            output_field=PRICE,
        ),
        was=Case(
            When(catalogue, then=F("price_at_add")),
            default=Coalesce(first_change, listed),
            output_field=PRICE,
        ),
    )


PRICE_TRIGGER = "drop"


def price_trigger_key(variant_id: int, currency: str, price: Decimal) -> str:
    """What a price drop is about: the variant at its new price in a currency
    (``drop:<variant>:<currency>:<price>``), so a customer who wishes it on several
    lists hears once (a message's key is the customer's), and a price is only ever
    compared with prices told in its own currency."""
    return f"{PRICE_TRIGGER}:{variant_id}:{currency}:{price:.2f}"


def _told_of_a_lower_price() -> Exists:
    """A price-drop message sent to the item's customer (outer row) about its variant
    at a price below its ``price`` now in its ``currency``, read back from the
    messages' trigger keys (``price_trigger_key``): a rise after a drop is no drop,
    and a price told in another currency (the customer's market changed, or sells in
    another) says nothing of this one. The lowest price they were told of passes, so
    another channel of that same message (or one added since) still goes; its key
    keeps it from being told twice on one channel."""
    prefix = Concat(
        Value(f"{PRICE_TRIGGER}:"),
        Cast(OuterRef("variant_id"), output_field=CharField()),
        Value(":"),
        OuterRef("currency"),
        Value(":"),
        output_field=CharField(),
    )
    about_it = Q(trigger_key__startswith=prefix)
    told = Message.objects.filter(
        about_it,
        campaign__kind=CampaignKind.PRICE_DROP,
        customer_id=OuterRef("wishlist__customer_id"),
        status=MessageStatus.SENT,
    ).alias(
        # Cast only what has the prefix: the database may test this first.
        told=Case(
            When(about_it, then=Cast(Substr("trigger_key", Length(prefix) + 1), PRICE)),
            output_field=PRICE,
        )
    )
    return Exists(told.filter(told__lt=OuterRef("price")))


def price_drop_items(*, after: timedelta, now: datetime, percent: Decimal):
    """Wished items, on the list for ``after`` at least, whose variant is still sold,
    can be had, and now costs at least ``percent`` % less in the customer's market
    than when it was added (strictly less at 0 %), and no more than the lowest price
    the customer was told of for the variant in that currency: a cut in another
    market's prices, or in the catalogue's where the customer's market sells at a list
    of its own, is none. Annotated as ``in_wishers_market``: ``price`` now, its
    ``currency`` and ``was``."""
    factor = (Decimal(100) - Decimal(percent)) / Decimal(100)
    money = DecimalField(max_digits=14, decimal_places=4)
    wished = wished_items().filter(
        added_at__lte=now - after,
        variant__active=True,
        variant__product__active=True,
    )
    return (
        in_wishers_market(wished)
        .filter(
            price__lt=F("was"),
            price__lte=ExpressionWrapper(
                F("was") * Value(factor, output_field=money), output_field=money
            ),
        )
        .exclude(_told_of_a_lower_price())
        .filter(_available_to_wisher())
    )


@dataclass
class WishlistCards:
    """The wishlist content of a batch (``wishlist_cards``); ``prices``: per shop
    (None: no shop), each variant's shelf price in the shop's market."""

    variants: dict[int, dict] = field(default_factory=dict)
    was: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    stock: dict[tuple[int, int], int] = field(default_factory=dict)
    prices: dict[int | None, dict[int, ShelfPrice]] = field(default_factory=dict)


def _prices_when_wished(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], Decimal]:
    """Per (customer, variant) of ``pairs``, the price the variant had in the
    customer's market when they wished it (``in_wishers_market``), the highest of
    their active items' (on several lists): the item a drop is decided on whenever
    any is."""
    items = wished_items().filter(
        wishlist__customer_id__in={customer for customer, _ in pairs},
        variant_id__in={variant for _, variant in pairs},
    )
    found: dict[tuple[int, int], Decimal] = {}
    rows = in_wishers_market(items).values_list(
        "wishlist__customer_id", "variant_id", "was"
    )
    for customer_id, variant_id, was in rows:
        pair = (customer_id, variant_id)
        if pair in pairs and was is not None:
            found[pair] = max(found.get(pair, was), was)
    return found


def wishlist_cards(*, variant_ids, price_drops, store_ids) -> WishlistCards:
    """What back-in-stock and price-drop messages show, for a batch in seven queries
    and one per market with a price list of its own: per variant its name, SKU,
    units online and picture; per (customer, variant) of ``price_drops`` its price
    when wished (``_prices_when_wished``); units per (variant, shop); the variants'
    shelf prices per shop."""
    price_drops = set(price_drops)
    was = _prices_when_wished(price_drops) if price_drops else {}
    wanted = set(variant_ids) | {variant for _, variant in price_drops}
    online = online_available(variant_ids=wanted) if wanted else {}
    rows = list(Variant.objects.filter(pk__in=wanted).select_related("product"))
    pictures = picture_urls(rows, absolute=site_url)
    variants = {
        v.pk: {
            "name": v.name,
            "sku": v.sku,
            "online": online.get(v.pk, 0),
            "image_url": pictures.get(v.pk, ""),
        }
        for v in rows
    }
    return WishlistCards(
        variants=variants,
        was=was,
        stock=store_stock(variant_ids=wanted, store_ids=store_ids),
        prices=shop_shelves(store_ids=store_ids, variants=rows),
    )
