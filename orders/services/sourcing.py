"""Where an order's stock comes from: the pickup shop, or the nearest locations that
ship online orders (warehouses first), split over several when none holds it all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from customers.models import Customer, name_search_words
from inventory.models import Location, LocationKind, StockLevel, Variant, free_units_sql
from inventory.selectors import haversine_km, sourcing_locations_sql
from omnistore.core.db import connection_for, fetch, load
from omnistore.core.exceptions import InsufficientStock, ValidationFailed


@dataclass
class Leg:
    """Part of an order leaving one location: reserved there, or travelling on a
    transfer to the pickup shop first."""

    method: str
    location: Location
    pickup_location: Location | None
    quantities: dict[int, int] = field(default_factory=dict)
    transfer: bool = False


def active_location(value, field: str) -> Location | None:
    if value is None or value == "":
        return None
    if isinstance(value, Location):
        return value
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    rows = (
        load(
            [(Location, "l")],
            "FROM inventory_location l WHERE l.id = %s AND l.active",
            [pk],
        )
        if pk is not None
        else []
    )
    if not rows:
        raise ValidationFailed(
            "Unknown location.", extra={field: ["Unknown location."]}
        )
    return rows[0][0]


def pickup_shop(value, variant_ids: list[int]) -> tuple[Location | None, list]:
    """The pickup shop (active) and its free units of these variants, in one query:
    rows as ``_candidate_stock`` gives them. Unknown shop: a field error on ``store``."""
    if isinstance(value, Location) or value is None or value == "":
        shop = active_location(value, "store")
        return shop, _candidate_stock(variant_ids, at=shop) if shop else []
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    connection = connection_for(Location)
    fields = Location._meta.concrete_fields
    rows = (
        fetch(
            connection,
            _pickup_shop_sql(connection, len(variant_ids)),
            [*variant_ids, pk],
            [*fields, None, None],
        )
        if pk is not None
        else []
    )
    if not rows:
        raise ValidationFailed(
            "Unknown location.", extra={"store": ["Unknown location."]}
        )
    n = len(fields)
    shop = Location.from_db(connection.alias, [f.attname for f in fields], rows[0][:n])
    place = (shop.kind, shop.latitude, shop.longitude, shop.ships_online_orders)
    return shop, [
        (shop.pk, row[n], row[n + 1], *place) for row in rows if row[n] is not None
    ]


_PICKUP_SQL: dict[tuple, str] = {}


def _pickup_shop_sql(connection, count: int) -> str:
    key = (connection.alias, count)
    if key not in _PICKUP_SQL:
        quote = connection.ops.quote_name
        columns = ", ".join(
            f"l.{quote(f.column)}" for f in Location._meta.concrete_fields
        )
        _PICKUP_SQL[key] = (
            f"SELECT {columns}, s.variant_id, {free_units_sql('s')}"
            " FROM inventory_location l LEFT JOIN inventory_stocklevel s"
            " ON s.location_id = l.id"
            f" AND s.variant_id IN ({', '.join(['%s'] * count)})"
            f" AND {free_units_sql('s')} > 0"
            " WHERE l.id = %s AND l.active"
        )
    return _PICKUP_SQL[key]


# Active locations of a country, and one more by id: where a delivery's city is.
_ORIGIN_SQL = (
    "SELECT id, city, latitude, longitude, active AND country = %s"
    " FROM inventory_location WHERE (active AND country = %s) OR id = %s ORDER BY id"
)


def delivery_origin(
    address: dict, *, placing: Location | None, customer: Customer | None
) -> tuple | None:
    """The point a delivery's sources are ranked from, nearest first: the address's
    coordinates; else those of an active location in its city (the name read without
    case, accents or punctuation) and country, as a saved address has none; else the
    shop selling at a counter; else the customer's preferred shop; else none, and
    only warehouses before shops ranks them. One query when the address has no
    coordinates."""
    if "latitude" in address and "longitude" in address:
        return (address["latitude"], address["longitude"])
    preferred = customer.preferred_store_id if customer is not None else None
    field = Location._meta.get_field
    rows = fetch(
        connection_for(Location),
        _ORIGIN_SQL,
        [address["country"], address["country"], preferred],
        [None, None, field("latitude"), field("longitude"), None],
    )
    city = name_search_words(address["city"])
    for _, name, latitude, longitude, in_country in rows:
        if in_country and name_search_words(name) == city:
            return (latitude, longitude)
    if placing is not None:
        return (placing.latitude, placing.longitude)
    return next(((lat, lng) for pk, _, lat, lng, _ in rows if pk == preferred), None)


def _rank(location: Location, origin) -> tuple:
    """Sourcing order: warehouses first, then shops, each nearest first."""
    distance = (
        haversine_km(origin[0], origin[1], location.latitude, location.longitude)
        if origin is not None
        else 0.0
    )
    kind = 0 if location.kind == LocationKind.WAREHOUSE else 1
    return (kind, distance, location.pk)


def plan_legs(
    *,
    method: str,
    wanted: dict[int, int],
    variants: dict[int, Variant],
    pickup_store: Location | None,
    origin,
    pickup_stock: list | None = None,
    exclude: Location | None = None,
) -> list[Leg]:
    """Choose where every line comes from.

    Pickup: the pickup shop for what it has; the rest from one other location if one
    has all of it (else line by line), transferred to the shop. Delivery: one location
    with every line if there is one, else line by line. A line no one location holds
    is split over several, in sourcing order, so what the storefront shows as
    available online can be bought. Candidates are the locations that ship online
    orders, warehouses before shops, nearest ``origin`` first (for a delivery,
    ``delivery_origin``); their safety stock is kept back.
    Short lines are refused together.

    The pickup shop's levels are read first (``pickup_stock``: already read with the
    shop), and the candidates' only for what it lacks: no query when it has
    everything (the usual click and collect), one otherwise; delivery reads the
    candidates. They are ranked from plain rows (dozens
    of locations hold a best seller); only the locations chosen are loaded, none when
    the pickup shop has everything.

    ``exclude``: a location that sends nothing this time, not even as the pickup
    shop (one that has just said its books count units it cannot find).
    """
    stock = _StockRead()
    legs: list[Leg] = []
    remaining = dict(wanted)
    if pickup_store is not None and pickup_store != exclude:
        stock.read(
            _candidate_stock(list(wanted), at=pickup_store)
            if pickup_stock is None
            else pickup_stock
        )
        here = stock.units.get(pickup_store.pk, {})
        local = {v: min(q, here[v]) for v, q in remaining.items() if here.get(v, 0) > 0}
        if local:
            legs.append(
                Leg(
                    method, pickup_store, pickup_store, quantities=local, transfer=False
                )
            )
            remaining = {
                v: q - local.get(v, 0)
                for v, q in remaining.items()
                if q > local.get(v, 0)
            }
    if not remaining:
        return legs

    stock.read(_candidate_stock(list(remaining)))
    candidates = _ranked_candidates(stock, pickup_store, origin, exclude)
    transfer = pickup_store is not None
    whole = next(
        (loc for loc in candidates if stock.holds(loc.pk, remaining)),
        None,
    )
    if whole is not None:
        legs.append(Leg(method, whole, pickup_store, dict(remaining), transfer))
        return _load_locations(legs)
    by_location: dict[int, Leg] = {}
    short = []
    for variant_id, quantity in remaining.items():
        parts = _parts(stock, candidates, variant_id, quantity)
        if parts is None:
            short.append(variant_id)
            continue
        for source, units in parts:
            leg = by_location.setdefault(
                source.pk, Leg(method, source, pickup_store, {}, transfer)
            )
            leg.quantities[variant_id] = units
    if short:
        raise _short(short, stock, wanted, variants, pickup_store)
    return _load_locations(legs + list(by_location.values()))


def _parts(stock, candidates, variant_id: int, quantity: int):
    """Where one line comes from, as (place, units): the first candidate holding it
    all, else each in turn for what it has free until the line is whole; None when
    they all together have too few."""
    whole = next(
        (loc for loc in candidates if stock.holds(loc.pk, {variant_id: quantity})),
        None,
    )
    if whole is not None:
        return [(whole, quantity)]
    parts, left = [], quantity
    for loc in candidates:
        units = min(stock.units[loc.pk].get(variant_id, 0), left)
        if units > 0:
            parts.append((loc, units))
            left -= units
            if not left:
                return parts
    return None


class _StockRead:
    """Free units read so far, by location then variant, and the candidate places
    they were read with."""

    def __init__(self) -> None:
        self.units: dict[int, dict[int, int]] = defaultdict(dict)
        self.places: dict[int, _Place] = {}

    def read(self, rows) -> None:
        for location_id, variant_id, units, *place in rows:
            self.units[location_id][variant_id] = units
            self.places[location_id] = _Place(location_id, *place)

    def holds(self, location_id: int, quantities: dict[int, int]) -> bool:
        here = self.units[location_id]
        return all(here.get(v, 0) >= q for v, q in quantities.items())


def _ranked_candidates(
    stock: _StockRead,
    pickup_store: Location | None,
    origin,
    exclude: Location | None = None,
) -> list[_Place]:
    """The places that ship online orders, other than the pickup shop and
    ``exclude``, in sourcing order."""
    left_out = {loc.pk for loc in (pickup_store, exclude) if loc is not None}
    return sorted(
        (
            loc
            for pk, loc in stock.places.items()
            if loc.ships_online_orders and pk not in left_out
        ),
        key=lambda loc: _rank(loc, origin),
    )


def _short(
    short: list[int],
    stock: _StockRead,
    wanted: dict[int, int],
    variants: dict[int, Variant],
    pickup_store: Location | None,
) -> InsufficientStock:
    """One refusal naming every line the locations cannot supply together, with the
    units they have free for it."""
    return InsufficientStock(
        [
            {
                "variant_id": v,
                "sku": variants[v].sku,
                "requested": wanted[v],
                "available": sum(stock.units[loc].get(v, 0) for loc in stock.units),
                "location_id": pickup_store.pk if pickup_store else None,
            }
            for v in short
        ]
    )


def _candidate_stock(variant_ids: list[int], *, at: Location | None = None) -> list:
    """(location, variant, units, kind, latitude, longitude, ships online) for the
    levels with units free of these variants: at the shop ``at``, or else at every
    active location that ships online orders. Kept as SQL: every checkout runs it."""
    connection = connection_for(StockLevel)
    if at is not None:
        where, params = "s.location_id = %s", [at.pk]
    else:
        where, params = sourcing_locations_sql(connection, with_store=False), []
    field = Location._meta.get_field
    return fetch(
        connection,
        "SELECT s.location_id, s.variant_id,"
        f" {free_units_sql('s')},"
        " l.kind, l.latitude, l.longitude, l.ships_online_orders"
        " FROM inventory_stocklevel s JOIN inventory_location l ON l.id = s.location_id"
        f" WHERE s.variant_id IN ({', '.join(['%s'] * len(variant_ids))})"
        f" AND {where} AND {free_units_sql('s')} > 0",
        [*variant_ids, *params],
        [
            None,
            None,
            None,
            None,
            field("latitude"),
            field("longitude"),
            field("ships_online_orders"),
        ],
    )


class _Place(NamedTuple):
    """A candidate location as sourcing ranks it, read with the stock levels."""

    pk: int
    kind: str
    latitude: Decimal
    longitude: Decimal
    ships_online_orders: bool


def _load_locations(legs: list[Leg]) -> list[Leg]:
    """The chosen legs get their ``Location`` rows, in one query (kept as SQL: every
    delivered order's checkout runs it)."""
    ids = sorted({leg.location.pk for leg in legs if isinstance(leg.location, _Place)})
    if ids:
        rows = load(
            [(Location, "l")],
            f"FROM inventory_location l WHERE l.id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
        loaded = {location.pk: location for (location,) in rows}
        for leg in legs:
            if isinstance(leg.location, _Place):
                leg.location = loaded[leg.location.pk]
    return legs
