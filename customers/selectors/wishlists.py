"""Wishlists as their owner, an associate or a shared link sees them, with stock."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from customers.models import (
    Customer,
    Wishlist,
    WishlistItem,
)
from inventory import selectors as inventory_selectors
from inventory.models import Location
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
    """Units of an item at the reference shop (None: no shop) and nearby shops with
    stock, nearest first."""

    store: ShopUnits | None
    nearby: list[ShopUnits]


def _active_items() -> QuerySet[WishlistItem]:
    return (
        WishlistItem.objects.filter(removed_at__isnull=True)
        .select_related("variant__product", "added_by_staff", "added_at_location")
        .prefetch_related(inventory_selectors.images_prefetch("variant__product__"))
    )


def customer_wishlists(customer: Customer) -> QuerySet[Wishlist]:
    """A customer's open lists, oldest (the default) first, each with its active
    items prefetched (newest first) and their pictures: three queries."""
    return (
        Wishlist.objects.filter(customer=customer, archived_at__isnull=True)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=_active_items().order_by("-added_at", "-id"),
                to_attr="active_items",
            )
        )
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


def wishlist_by_share_token(token: str) -> Wishlist:
    token = (token or "").strip()
    wishlist = None
    if token:
        wishlist = (
            Wishlist.objects.filter(share_token=token, archived_at__isnull=True)
            .select_related("customer")
            .prefetch_related(
                Prefetch(
                    "items",
                    queryset=_active_items().order_by("-added_at", "-id"),
                    to_attr="active_items",
                )
            )
            .first()
        )
    if wishlist is None or wishlist.customer.is_anonymised:
        raise NotFound("Wishlist not found.")
    return wishlist


def attach_wishlist_availability(
    wishlists, *, store: Location | None, nearby: int = NEARBY_SHOPS_CONSIDERED
) -> list[Wishlist]:
    """Set ``item.availability`` (an ``ItemAvailability``) on every active item.

    Two queries whatever the number of lists and items: the shops nearest to
    ``store``, then the stock levels of every item there and at ``store``.
    """
    wishlists = list(wishlists)
    items = [item for wishlist in wishlists for item in wishlist.active_items]
    if store is None:
        for item in items:
            item.availability = ItemAvailability(store=None, nearby=[])
        return wishlists
    neighbours = []
    if items and nearby:
        located = inventory_selectors.shops(
            lat=float(store.latitude), lng=float(store.longitude)
        ).exclude(pk=store.pk)[:nearby]
        neighbours = inventory_selectors.with_distance(
            list(located), float(store.latitude), float(store.longitude)
        )
    levels = (
        inventory_selectors.levels_for_variants(
            variant_ids={item.variant_id for item in items},
            location_ids=[store.pk, *(loc.pk for loc, _ in neighbours)],
        )
        if items
        else {}
    )

    def units(variant_id: int, location_id: int) -> int:
        level = levels.get((variant_id, location_id))
        # What an order there may still take (the shop's safety stock kept back),
        # as the storefront's availability and the sourcing count.
        return max(level.free, 0) if level is not None else 0

    for item in items:
        around = [
            ShopUnits(
                location=loc, available=units(item.variant_id, loc.pk), distance_km=km
            )
            for loc, km in neighbours
        ]
        item.availability = ItemAvailability(
            store=ShopUnits(location=store, available=units(item.variant_id, store.pk)),
            nearby=[shop for shop in around if shop.available > 0][:NEARBY_SHOPS_SHOWN],
        )
    return wishlists


def wishlists_with_availability(
    customer: Customer, *, store: Location | None
) -> list[Wishlist]:
    """Open lists with active items, who added each and its stock at ``store`` (the
    customer's preferred shop online, the associate's shop in a shop) and nearby,
    with their pictures: five queries."""
    return attach_wishlist_availability(customer_wishlists(customer), store=store)


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
