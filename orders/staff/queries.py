"""Reads the staff order screens need beyond ``orders.selectors``: the picking queue
with what the shelf needs (barcodes), orders picked and waiting for their next step,
the pickup desk search, where a basket's items are, and the dashboard counts.

Each costs a fixed number of queries whatever the number of orders or lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet

from customers.models import IdentityKind
from customers.services import normalize_email, normalize_phone
from inventory.models import Location, LocationKind, StockLevel
from inventory.selectors import haversine_km, shops
from orders import selectors
from orders.models import Fulfilment, FulfilmentMethod, Order, OrderLine, OrderStatus


def _for_the_shelf(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Lines in SKU order with their variant (barcode to scan) and fulfilment."""
    return orders.prefetch_related(None).prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("fulfilment", "variant").order_by(
                "sku", "id"
            ),
        ),
        Prefetch(
            "fulfilments",
            queryset=Fulfilment.objects.select_related(
                "location", "pickup_location", "transfer"
            ),
        ),
    )


def picking_queue(*, location: Location) -> QuerySet[Order]:
    """Placed orders this shop takes off its shelves, oldest first (three queries)."""
    return _for_the_shelf(selectors.orders_to_pick(location=location))


def awaiting_transfer(*, location: Location) -> QuerySet[Order]:
    """Pickups here whose goods are still travelling from elsewhere (three queries)."""
    return _for_the_shelf(selectors.orders_awaiting_transfer(location=location))


def picked_here(*, location: Location) -> QuerySet[Order]:
    """Picked orders whose next step happens at this shop: pickups here to be made
    ready, deliveries sourced here to be shipped. Oldest first (three queries)."""
    here = Q(
        fulfilments__pickup_location=location,
        fulfilments__method=FulfilmentMethod.PICKUP,
    ) | Q(
        fulfilments__location=location,
        fulfilments__method=FulfilmentMethod.DELIVERY,
    )
    orders = (
        Order.objects.filter(here, status=OrderStatus.PICKED)
        .select_related("customer")
        .distinct()
        .order_by("updated_at", "id")
    )
    return _for_the_shelf(orders)


def pickup_search(
    *, location: Location, query: str, region: str | None = None
) -> QuerySet[Order]:
    """Orders ready at this desk matching a scanned pickup QR, an order number, or the
    customer's name, email or phone (in any format). Everything when ``query`` is
    empty; expiring first. Three queries."""
    waiting = selectors.pickups_waiting(location=location)
    query = (query or "").strip()[:100]
    if not query:
        return waiting
    scanned = selectors.parse_pickup_qr(query)
    if scanned is not None:
        return waiting.filter(number=scanned[0])
    where = Q(number=query.upper())
    email = normalize_email(query)
    if email:
        where |= (
            Q(email__iexact=email)
            | Q(customer__email__iexact=email)
            | Q(
                customer__identities__kind=IdentityKind.EMAIL,
                customer__identities__value=email,
            )
        )
    if any(ch.isdigit() for ch in query):
        phone = normalize_phone(query, region=region)
        if phone:
            where |= (
                Q(phone=phone)
                | Q(customer__phone=phone)
                | Q(
                    customer__identities__kind=IdentityKind.PHONE,
                    customer__identities__value=phone,
                )
            )
    elif "@" not in query:
        words = query.replace(",", " ").split()
        name = Q()
        for word in words[:4]:
            name &= Q(customer__first_name__istartswith=word) | Q(
                customer__last_name__istartswith=word
            )
        if words:
            where |= name
    return waiting.filter(where)


def work_counts(*, location: Location) -> dict[str, int]:
    """Dashboard: orders to pick here, pickups waiting at the desk and returns to
    process at this shop (three queries)."""
    return {
        "orders_to_pick": selectors.orders_to_pick(location=location).count(),
        "pickups_waiting": selectors.pickups_waiting(location=location).count(),
        "returns_waiting": selectors.returns_waiting(location=location).count(),
    }


@dataclass
class Source:
    """A location holding some of a basket: units it can give per variant."""

    location: Location
    distance_km: float | None
    units: dict[int, int] = field(default_factory=dict)
    has_all: bool = False

    @property
    def is_warehouse(self) -> bool:
        return self.location.kind == LocationKind.WAREHOUSE


def basket_sources(
    *, wanted: dict[int, int], origin: Location | None, limit: int = 12
) -> list[Source]:
    """Where a basket's items are, for the endless aisle: locations that ship online
    orders or hand over pickups, with the units each can give (safety stock kept back,
    as checkout sources them). Those holding every line first, then nearest. One query.
    """
    if not wanted:
        return []
    levels = (
        StockLevel.objects.filter(
            Q(location__ships_online_orders=True)
            | Q(location__kind=LocationKind.SHOP, location__click_and_collect=True),
            variant_id__in=list(wanted),
            location__active=True,
        )
        .annotate(units=F("on_hand") - F("reserved") - F("safety_stock"))
        .filter(units__gt=0)
        .select_related("location")
    )
    found: dict[int, Source] = {}
    for level in levels:
        source = found.get(level.location_id)
        if source is None:
            distance = None
            if origin is not None:
                distance = round(
                    haversine_km(
                        origin.latitude,
                        origin.longitude,
                        level.location.latitude,
                        level.location.longitude,
                    ),
                    1,
                )
            source = found[level.location_id] = Source(level.location, distance)
        source.units[level.variant_id] = level.units
    for source in found.values():
        source.has_all = all(source.units.get(v, 0) >= q for v, q in wanted.items())
    ranked = sorted(
        found.values(),
        key=lambda s: (not s.has_all, s.distance_km or 0.0, s.location.name),
    )
    return ranked[:limit]


def pickup_shops(*, origin: Location | None) -> QuerySet[Location]:
    """Shops that hand over click-and-collect orders, nearest to ``origin`` first."""
    if origin is None:
        return shops().filter(click_and_collect=True)
    return shops(lat=float(origin.latitude), lng=float(origin.longitude)).filter(
        click_and_collect=True
    )
