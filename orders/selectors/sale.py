"""Reads of the assisted sale: where a basket's items are (the endless aisle) and the
shops that hand over click-and-collect orders."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from inventory.models import Location, LocationKind, StockLevel, free_units
from inventory.selectors import haversine_km, shops


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
        .annotate(units=free_units())
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
