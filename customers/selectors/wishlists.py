"""Wishlists as their owner, an associate or a shared link sees them, with stock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    When,
)

from customers.models import (
    Customer,
    Wishlist,
    WishlistItem,
)
from inventory import selectors as inventory_selectors
from inventory.markets import shelf_prices_at
from inventory.models import Location
from inventory.selectors import VARIANT_ON_SALE
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import NotFound

# The outbox topic of a list shared by email: its payload names the recipient and
# carries the owner's message, so the export reads it and erasure redacts it.
WISHLIST_SHARE_TOPIC = "customers.wishlist_share"

# --- Wishlists ----------------------------------------------------------------------

# Shops near the reference shop looked at for each item, and how many with stock are
# shown: enough to send the customer somewhere, few enough for a tablet row.
NEARBY_SHOPS_CONSIDERED = 8
NEARBY_SHOPS_SHOWN = 3


@dataclass
class ShopUnits:
    location: Location
    available: int
    distance_km: float | None = None


@dataclass
class ItemAvailability:
    """Units of an item at the reference shop (None: no shop, or the item is no
    longer sold) and nearby shops with stock, nearest first."""

    store: ShopUnits | None
    nearby: list[ShopUnits]


# The columns a list shows, in the app, on the staff pages and by its link: an item,
# its variant's name, price and colour (which pictures), who added it (a colleague's
# name; whether a customer may still write to them) and at which shop. A list holds
# hundreds of items: the rest of each row (a product's description, a login's
# password and dates) is left unread.
ITEM_COLUMNS = (
    "wishlist_id",
    "variant_id",
    "note",
    "added_by_staff_id",
    "added_at_location_id",
    "added_via",
    "added_at",
    "price_at_add",
    "variant__product_id",
    "variant__sku",
    "variant__size",
    "variant__colour",
    "variant__price",
    "variant__product__name",
    "added_by_staff__username",
    "added_by_staff__first_name",
    "added_by_staff__last_name",
    "added_by_staff__is_active",
    "added_by_staff__role",
    "added_at_location__name",
)


# Whether an item is still sold: its variant and its product active, as a cart line
# is (a retired one stays on the list, shown as no longer sold, with no stock).
ON_SALE = VARIANT_ON_SALE


def _active_items() -> QuerySet[WishlistItem]:
    """The items on a list, each with ``on_sale`` (read in the same query)."""
    return (
        WishlistItem.objects.filter(removed_at__isnull=True)
        .select_related("variant__product", "added_by_staff", "added_at_location")
        .only(*ITEM_COLUMNS)
        .annotate(on_sale=ExpressionWrapper(ON_SALE, output_field=BooleanField()))
        .prefetch_related(inventory_selectors.images_prefetch("variant__product__"))
        .order_by("-added_at", "-id")
    )


def open_wishlists(customer: Customer) -> QuerySet[Wishlist]:
    """A customer's open lists, oldest (the default) first, each with the number of
    its active items (``item_count``): one query, no item read."""
    return (
        Wishlist.objects.filter(customer=customer, archived_at__isnull=True)
        .annotate(item_count=Count("items", filter=Q(items__removed_at__isnull=True)))
        .order_by("created_at", "id")
    )


def customer_wishlists(
    customer: Customer, *, items_per_list: int | None = None
) -> QuerySet[Wishlist]:
    """A customer's open lists (``open_wishlists``), each with its active items
    prefetched (newest first; only the first ``items_per_list`` of each when given)
    and their pictures: three queries."""
    items = _active_items()
    if items_per_list is not None:
        items = items[:items_per_list]
    return open_wishlists(customer).prefetch_related(
        Prefetch("items", queryset=items, to_attr="active_items")
    )


def wishlist_for_customer(customer: Customer, wishlist_id) -> Wishlist:
    """One open list of this customer; anyone else's (or an archived one) is not
    found."""
    wishlist = None
    if is_digits(wishlist_id):
        wishlist = customer_wishlists(customer).filter(pk=wishlist_id).first()
    if wishlist is None:
        raise NotFound("Wishlist not found.")
    return wishlist


# A merge folds the merged profile's default list into the survivor's
# (``Wishlist.folded_into``), and a later merge of the survivor may fold that one in
# turn: a shared link follows at most this many folds to the list its items went to.
FOLDS_FOLLOWED = 4


def _folds(depth: int) -> str:
    """The lookup path ``depth`` folds along: ``folded_into__folded_into`` for 2."""
    return "__".join(["folded_into"] * depth)


def list_opened_by_link(token: str) -> QuerySet[Wishlist]:
    """The pk of the open list a shared link opens (``opened``), as a subquery: the
    link's own list, or the open list a merge folded it into (through at most
    ``FOLDS_FOLLOWED`` folds). None when the link's list, or the last one it went
    into, was archived by its owner: that link is closed."""
    whens = [When(archived_at__isnull=True, then=F("pk"))]
    for depth in range(1, FOLDS_FOLLOWED + 1):
        hops = _folds(depth)
        folded_into_open = Q(
            **{f"{hops}__isnull": False, f"{hops}__archived_at__isnull": True}
        )
        whens.append(When(folded_into_open, then=F(f"{hops}__pk")))
    return (
        Wishlist.objects.filter(share_token=token)
        .annotate(opened=Case(*whens, default=None))
        .values("opened")
    )


def wishlist_by_share_token(token: str) -> Wishlist:
    """The list a shared link opens, as anyone holding it reads it: its own, or the
    one a merge folded it into (``list_opened_by_link``), with its owner and active
    items. A link renewed, a list archived by its owner or an erased owner's: not
    found. Three queries, as for any list."""
    token = (token or "").strip()
    wishlist = None
    if token:
        wishlist = (
            Wishlist.objects.filter(
                pk__in=list_opened_by_link(token), archived_at__isnull=True
            )
            .select_related("customer__preferred_store")
            .prefetch_related(
                Prefetch("items", queryset=_active_items(), to_attr="active_items")
            )
            .first()
        )
    if wishlist is None or wishlist.customer.is_anonymised:
        raise NotFound("Wishlist not found.")
    return wishlist


def attach_item_availability(
    items,
    *,
    store: Location | None,
    nearby: int = NEARBY_SHOPS_CONSIDERED,
    own_shop: bool = False,
) -> list[WishlistItem]:
    """Set ``item.availability`` (an ``ItemAvailability``) on each of ``items``
    (read by ``_active_items``); an item no longer sold has no stock to show.

    A shop counts the units an order there may still take (its safety stock kept
    back), as the storefront's availability and the sourcing do; ``own_shop``: the
    associate works at ``store``, which counts what is on its shelf and not held for
    an order, as the stock lookup and the counter sale do (nearby shops still count
    what an order may take).

    Two queries whatever the number of items: the ``nearby`` shops nearest to
    ``store`` (none asked: no query), then the stock levels of every item there and
    at ``store``.
    """
    every = list(items)
    for item in every:
        item.availability = ItemAvailability(store=None, nearby=[])
    items = [item for item in every if item.on_sale]
    if store is None or not items:
        return every
    neighbours = []
    if nearby:
        located = inventory_selectors.shops(
            lat=float(store.latitude), lng=float(store.longitude)
        ).exclude(pk=store.pk)[:nearby]
        neighbours = inventory_selectors.with_distance(
            list(located), float(store.latitude), float(store.longitude)
        )
    levels = inventory_selectors.levels_for_variants(
        variant_ids={item.variant_id for item in items},
        location_ids=[store.pk, *(loc.pk for loc, _ in neighbours)],
    )

    def units(variant_id: int, location_id: int) -> int:
        level = levels.get((variant_id, location_id))
        if level is None:
            return 0
        on_the_shelf = own_shop and location_id == store.pk
        return max(level.available if on_the_shelf else level.free, 0)

    for item in items:
        around = []
        for loc, km in neighbours:
            available = units(item.variant_id, loc.pk)
            if available > 0:
                around.append(
                    ShopUnits(location=loc, available=available, distance_km=km)
                )
                if len(around) == NEARBY_SHOPS_SHOWN:
                    break
        item.availability = ItemAvailability(
            store=ShopUnits(location=store, available=units(item.variant_id, store.pk)),
            nearby=around,
        )
    return every


def attach_wishlist_availability(
    wishlists,
    *,
    store: Location | None,
    nearby: int = NEARBY_SHOPS_CONSIDERED,
    own_shop: bool = False,
) -> list[Wishlist]:
    """``attach_item_availability`` for the active items of every list: two
    queries."""
    wishlists = list(wishlists)
    attach_item_availability(
        [item for wishlist in wishlists for item in wishlist.active_items],
        store=store,
        nearby=nearby,
        own_shop=own_shop,
    )
    return wishlists


@dataclass
class ShopPrice:
    """An item's price at the reference shop: its market's shelf price (None: not
    on the market's price list, so not sold there) in the market's currency.
    ``was`` is the price the customer saw when adding it, set only when the shelf
    price is lower and in the same prices: ``price_at_add`` records the
    catalogue's."""

    amount: Decimal | None
    currency: str
    was: Decimal | None = None


def attach_shop_prices(items, *, store: Location | None) -> list[WishlistItem]:
    """Set ``item.shop_price`` (a ``ShopPrice``) on each of ``items``: what the
    counter sale at ``store`` rings it up at, its market's shelf price
    (``shelf_prices_at``: a shop outside every market and no shop at all sell at the
    catalogue's prices in the home currency). One query for a market with its own
    price list (the markets are kept by the process), none otherwise."""
    items = list(items)
    if not items:
        return items
    prices = shelf_prices_at(store, [item.variant for item in items])
    for item in items:
        shelf = prices[item.variant_id]
        was = None
        if shelf.catalogue and shelf.amount < item.price_at_add:
            was = item.price_at_add
        item.shop_price = ShopPrice(shelf.amount, shelf.currency, was)
    return items


def items_an_email_shows(wishlist: Wishlist) -> list[WishlistItem]:
    """The items of ``wishlist`` its shared email lists, newest first: those still
    sold (``ON_SALE``) and priced in the owner's market (``attach_shop_prices`` at
    their preferred shop; an item not on its price list is left out), each with its
    ``shop_price``. A share is refused when there are none, and an email whose list
    lost them all before it left is not sent: both read them here. One query, one
    more for a market with its own price list (and the owner's shop when not read
    with the list); no pictures."""
    items = list(
        wishlist.items.filter(ON_SALE, removed_at__isnull=True)
        .select_related("variant__product")
        .order_by("-added_at", "-id")
    )
    return [
        item
        for item in attach_shop_prices(items, store=wishlist.customer.preferred_store)
        if item.shop_price.amount is not None
    ]


def attach_wishlist_shop_prices(wishlists, *, store: Location | None) -> list[Wishlist]:
    """``attach_shop_prices`` for the active items of every list at once: one query
    for a market with its own price list, none otherwise."""
    wishlists = list(wishlists)
    attach_shop_prices(
        [item for wishlist in wishlists for item in wishlist.active_items], store=store
    )
    return wishlists


def wishlists_with_availability(
    customer: Customer,
    *,
    store: Location | None,
    items_per_list: int | None = None,
    whole_list: int | None = None,
) -> list[Wishlist]:
    """Open lists with active items (the first ``items_per_list`` of each when given,
    every one of the list ``whole_list``), who added each and its stock at ``store``
    (the associate's shop: what its shelf holds for a sale) and nearby, with their
    pictures: five queries, seven with a whole list."""
    wishlists = list(customer_wishlists(customer, items_per_list=items_per_list))
    for wishlist in wishlists:
        if wishlist.pk == whole_list and items_per_list is not None:
            wishlist.active_items = list(_active_items().filter(wishlist=wishlist))
    return attach_wishlist_availability(wishlists, store=store, own_shop=True)


@dataclass
class WishlistSummary:
    """A customer's open lists (each with its ``item_count``), how many items they
    hold in all, and the latest few of them."""

    wishlists: list[Wishlist]
    item_count: int
    latest: list[WishlistItem]


def wishlist_summary(
    customer: Customer, *, store: Location | None, latest: int
) -> WishlistSummary:
    """The lists and the ``latest`` items across them, each with its stock at
    ``store`` (the associate's shop: what its shelf holds for a sale; no nearby
    shops): at most four queries, however long the lists."""
    wishlists = list(open_wishlists(customer))
    item_count = sum(wishlist.item_count for wishlist in wishlists)
    items = []
    if item_count:
        items = list(
            _active_items().filter(wishlist__in=[w.pk for w in wishlists])[:latest]
        )
    attach_item_availability(items, store=store, nearby=0, own_shop=True)
    return WishlistSummary(wishlists=wishlists, item_count=item_count, latest=items)


def wishlist_items_for_variants(variant_ids) -> QuerySet[WishlistItem]:
    """Active items wanting any of ``variant_ids`` on open lists of live customers,
    with the list, its customer and the product's pictures: what back-in-stock and
    price-drop messages read."""
    return (
        WishlistItem.objects.filter(
            variant_id__in=list(variant_ids),
            removed_at__isnull=True,
            wishlist__archived_at__isnull=True,
            wishlist__customer__merged_into__isnull=True,
            wishlist__customer__is_anonymised=False,
        )
        .select_related("wishlist__customer", "variant__product")
        .prefetch_related(inventory_selectors.images_prefetch("variant__product__"))
        .order_by("variant_id", "id")
    )
