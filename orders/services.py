"""Writes on carts and orders: checkout, the order lifecycle, payments and refunds.

Rules kept here:
- ``place_order`` is one durable transaction: the order row is inserted first, so a
  repeated ``Idempotency-Key`` fails on its unique constraint before any stock is touched
  and the caller gets the order that already exists (two parallel requests make one);
- stock moves only through ``inventory.services`` (one ``reserve_stock`` call for every
  line, so a short line refuses the whole order and nothing stays reserved);
- an order row is locked (``SELECT ... FOR UPDATE``) before its status changes; lock
  order is order → customer → stock rows, the same in every service here;
- side effects (emails, points) leave through the outbox, written in the same
  transaction, and their handlers are idempotent.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from customers.models import Channel, Customer
from customers.selectors import customer_for_user
from customers.services import (
    PointsBooking,
    earn_points_in_bulk,
    match_customer,
    record_event,
    reverse_points,
)
from inventory import services as inventory
from inventory.models import (
    Location,
    LocationKind,
    MovementReason,
    Product,
    Reservation,
    ReservationStatus,
    StockLevel,
    TransferStatus,
    Variant,
)
from inventory.selectors import haversine_km, sourcing_locations_sql
from omnistore.core import outbox, webhooks
from omnistore.core.db import connection_for, db_value, fetch, insert_rows, load
from omnistore.core.exceptions import (
    Conflict,
    IllegalTransition,
    InsufficientStock,
    NotFound,
    ReturnNotAllowed,
    ValidationFailed,
)

from .models import (
    CART_TOKENS,
    Cart,
    CartLine,
    CartStatus,
    DiscountChannels,
    DiscountCode,
    DiscountKind,
    DiscountRedemption,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundMethod,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnLine,
    ReturnReason,
    ReturnRefund,
    ReturnStatus,
    ReturnStatusChange,
    StoreCreditKind,
    StoreCreditTransaction,
)
from .payments import (
    ChargeResult,
    PaymentDeclined,
    PaymentProvider,
    RefundResult,
    get_provider,
    register_provider,
)
from .selectors import (
    RETURNABLE_ORDER_STATUSES,
    cart_lines,
    handed_over_at,
    return_deadline,
    returned_quantities,
)

MAX_LINE_QUANTITY = 99
MAX_LINES = 50
TRANSFER_LEAD_DAYS = 2
ORDER_REFERENCE = "order"
ONLINE_CHANNELS = frozenset({Channel.WEB, Channel.APP})
ONLINE_PAYMENT_METHODS = frozenset(
    {
        PaymentMethod.CARD_ONLINE,
        PaymentMethod.GIFT_CARD,
        PaymentMethod.MOBILE_WALLET,
        PaymentMethod.STORE_CREDIT,
    }
)
# Letters and digits that cannot be misread on a receipt or over the phone.
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"

EVENT_ORDER_PLACED = "order_placed"
EVENT_ORDER_PICKED = "order_picked"
EVENT_ORDER_READY = "order_ready"
EVENT_ORDER_COLLECTED = "order_collected"
EVENT_ORDER_SHIPPED = "order_shipped"
EVENT_ORDER_DELIVERED = "order_delivered"
EVENT_ORDER_CANCELLED = "order_cancelled"
EVENT_PICKUP_REMINDER = "pickup_reminder"
EVENT_REFUND = "refund_issued"

_NEXT = {
    OrderStatus.PLACED: {OrderStatus.PICKED, OrderStatus.CANCELLED},
    OrderStatus.PICKED: {OrderStatus.READY, OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.READY: {OrderStatus.COLLECTED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
}
# Which fulfilment method each forward step belongs to.
_STEP_METHOD = {
    OrderStatus.READY: FulfilmentMethod.PICKUP,
    OrderStatus.COLLECTED: FulfilmentMethod.PICKUP,
    OrderStatus.SHIPPED: FulfilmentMethod.DELIVERY,
    OrderStatus.DELIVERED: FulfilmentMethod.DELIVERY,
}


# --- Carts --------------------------------------------------------------------------


def storefront_customer(*, user, channel: str = Channel.WEB) -> Customer:
    """The profile behind a signed-in storefront user, created on first use."""
    try:
        return customer_for_user(user)
    except NotFound:
        return match_customer(
            user=user,
            email=user.email or None,
            first_name=user.first_name,
            last_name=user.last_name,
            channel=channel,
        )


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _check_quantity(quantity, field: str = "quantity") -> int:
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 0 < quantity <= MAX_LINE_QUANTITY
    ):
        raise ValidationFailed(
            f"Quantity must be between 1 and {MAX_LINE_QUANTITY}.",
            extra={field: [f"Must be a whole number from 1 to {MAX_LINE_QUANTITY}."]},
        )
    return quantity


def _sellable_variants(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """Active variants of active products by id; unknown or retired ones are refused."""
    ids = set(variant_ids)
    found = {}
    for variant, product in (
        load(
            [(Variant, "v"), (Product, "p")],
            "FROM inventory_variant v JOIN inventory_product p ON p.id = v.product_id"
            f" WHERE v.id IN ({', '.join(['%s'] * len(ids))}) AND v.active AND p.active",
            list(ids),
        )
        if ids
        else []
    ):
        variant.product = product
        found[variant.pk] = variant
    missing = sorted(ids - found.keys())
    if missing:
        raise ValidationFailed(
            "Some items are not for sale.",
            extra={"variant": [f"Item {pk} is not for sale." for pk in missing]},
        )
    return found


def create_cart(
    *, channel: str = Channel.WEB, customer: Customer | None = None
) -> Cart:
    """A new anonymous cart, or the customer's open cart (there is one at most)."""
    if customer is not None:
        return ensure_customer_cart(customer=customer, channel=channel)
    cart = start_cart(channel=channel)
    insert_rows([cart])
    return cart


def start_cart(*, channel: str = Channel.WEB) -> Cart:
    """A new anonymous cart, not stored yet: its first line stores it.

    The storefront hands out the token at once, signed (only an anonymous cart's
    token is): it stands for an empty open cart until then. A visitor who never adds
    anything, and every crawler, leaves no row behind, and starting a cart costs no
    write.
    """
    token = CART_TOKENS.sign(secrets.token_urlsafe(12))  # 60 characters
    return Cart(token=token, channel=channel)


def ensure_customer_cart(*, customer: Customer, channel: str = Channel.WEB) -> Cart:
    cart = Cart.objects.filter(customer=customer, status=CartStatus.OPEN).first()
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(
                customer=customer, token=_new_token(), channel=channel
            )
    except IntegrityError:  # a parallel request created it first
        return Cart.objects.get(customer=customer, status=CartStatus.OPEN)


def _store_cart(cart: Cart, now: datetime) -> bool:
    """Store a started cart with its first lines; False when a parallel request with
    the same token stored it first (``cart`` is then that row)."""
    cart.created_at = cart.updated_at = now
    if insert_rows([cart], ignore_duplicates=True):
        return True
    stored = Cart.objects.get(token=cart.token)
    if stored.status != CartStatus.OPEN or stored.customer_id is not None:
        raise Conflict("This cart is closed.", code="cart_closed")
    cart.pk, cart.created_at = stored.pk, stored.created_at
    cart._state.adding, cart._state.db = False, stored._state.db
    return False


@transaction.atomic
def add_cart_lines(
    *, cart: Cart, lines: Sequence[tuple[int, int]], now: datetime | None = None
) -> list[CartLine]:
    """Add quantities (to lines already there, too); returns every line of the cart.

    Lines come back with variant and product loaded, in the cart's order.
    """
    if cart.status != CartStatus.OPEN:
        raise Conflict("This cart is closed.", code="cart_closed")
    if not lines:
        raise ValidationFailed("Add at least one item.", extra={"lines": ["Required."]})
    wanted: dict[int, int] = defaultdict(int)
    for variant_id, quantity in lines:
        wanted[int(variant_id)] += _check_quantity(quantity)
    now = now or timezone.now()
    stored_now = cart.pk is None and _store_cart(cart, now)
    current = {
        line.variant_id: line for line in ([] if stored_now else cart_lines(cart))
    }
    new_ids = [pk for pk in wanted if pk not in current]
    variants = _sellable_variants(new_ids) if new_ids else {}
    if len(current) + len(new_ids) > MAX_LINES:
        raise ValidationFailed(
            f"A cart holds at most {MAX_LINES} different items.",
            extra={"lines": [f"At most {MAX_LINES} different items."]},
        )
    rows = []
    for variant_id, quantity in wanted.items():
        line = current.get(variant_id)
        if line is None:
            line = CartLine(cart=cart, variant=variants[variant_id], added_at=now)
            line.quantity = _check_quantity(quantity)
            current[variant_id] = line
        else:
            line.quantity = _check_quantity(line.quantity + quantity)
        rows.append(line)
    insert_rows(rows, update_on=("cart", "variant"), update_fields=("quantity",))
    if not stored_now:
        _touch(cart, now)
    return sorted(current.values(), key=lambda line: line.pk)


def _touch(cart: Cart, now: datetime) -> None:
    connection = connection_for(Cart)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_cart SET updated_at = %s WHERE id = %s",
            [db_value(Cart._meta.get_field("updated_at"), now, connection), cart.pk],
        )
    cart.updated_at = now


def _close_cart(cart: Cart, order: Order, now: datetime) -> bool:
    """Mark the open cart converted into ``order``; False when it was not open (a
    parallel checkout of the same cart got there first)."""
    connection = connection_for(Cart)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_cart SET status = %s, order_id = %s, updated_at = %s"
            " WHERE id = %s AND status = %s",
            [
                CartStatus.CONVERTED,
                order.pk,
                db_value(Cart._meta.get_field("updated_at"), now, connection),
                cart.pk,
                CartStatus.OPEN,
            ],
        )
        closed = cursor.rowcount == 1
    if closed:
        cart.status, cart.order, cart.updated_at = CartStatus.CONVERTED, order, now
    return closed


def _cart_line(cart: Cart, line_id) -> CartLine:
    try:
        return CartLine.objects.select_related("variant__product").get(
            pk=int(line_id), cart=cart
        )
    except (CartLine.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such line in this cart.") from None


@transaction.atomic
def set_cart_line_quantity(
    *, cart: Cart, line_id: int, quantity: int, now: datetime | None = None
) -> CartLine:
    if cart.status != CartStatus.OPEN:
        raise Conflict("This cart is closed.", code="cart_closed")
    line = _cart_line(cart, line_id)
    line.quantity = _check_quantity(quantity)
    line.save(update_fields=["quantity"])
    _touch(cart, now or timezone.now())
    return line


@transaction.atomic
def remove_cart_line(*, cart: Cart, line_id: int, now: datetime | None = None) -> None:
    if cart.status != CartStatus.OPEN:
        raise Conflict("This cart is closed.", code="cart_closed")
    _cart_line(cart, line_id).delete()
    _touch(cart, now or timezone.now())


@transaction.atomic
def merge_anonymous_cart(*, token: str, customer: Customer) -> Cart:
    """Fold an anonymous cart into the customer's open cart (quantities add up).

    Runs when a signed-in request still carries the token of a cart filled before
    signing in; the anonymous cart is kept, marked merged, pointing at the survivor.
    """
    target = ensure_customer_cart(customer=customer)
    source = (
        Cart.objects.select_for_update()
        .filter(token=token, status=CartStatus.OPEN, customer__isnull=True)
        .first()
    )
    if source is None or source.pk == target.pk:
        return target
    _fold_lines(source=source, target=target)
    return target


def _fold_lines(*, source: Cart, target: Cart) -> None:
    now = timezone.now()
    mine = {line.variant_id: line for line in CartLine.objects.filter(cart=target)}
    theirs = list(CartLine.objects.filter(cart=source))
    rows = []
    for line in theirs:
        kept = mine.get(line.variant_id)
        quantity = min(
            line.quantity + (kept.quantity if kept else 0), MAX_LINE_QUANTITY
        )
        rows.append(
            CartLine(cart=target, variant_id=line.variant_id, quantity=quantity)
        )
    if rows:
        CartLine.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["cart", "variant"],
            update_fields=["quantity"],
        )
    Cart.objects.filter(pk=source.pk).update(
        status=CartStatus.MERGED, merged_into=target, updated_at=now
    )
    _touch(target, now)


def fold_customer_carts(*, survivor: Customer, other: Customer) -> int:
    """Customers merge: the loser's open cart folds into the survivor's (one open cart
    per customer); returns how many carts were folded."""
    source = Cart.objects.filter(customer=other, status=CartStatus.OPEN).first()
    if source is None:
        return 0
    target = Cart.objects.filter(customer=survivor, status=CartStatus.OPEN).first()
    if target is None:
        return 0  # nothing to clash with: the merge re-points the cart as it is
    _fold_lines(source=source, target=target)
    return 1


def redact_customer_orders(*, customer: Customer) -> int:
    """Erasure: orders stay for the books, the contact data on them goes."""
    orders = Order.objects.filter(customer=customer)
    Fulfilment.objects.filter(order__in=orders).exclude(address={}).update(address={})
    return orders.update(email="", phone="")


# --- Checkout -----------------------------------------------------------------------


@dataclass(frozen=True)
class LineRequest:
    """One line to buy; ``variant`` may be a loaded ``Variant`` (no query) or its id."""

    variant: Variant | int
    quantity: int


@dataclass(frozen=True)
class PaymentRequest:
    method: str
    token: str = ""
    amount: Decimal | None = None


@dataclass
class _Leg:
    """Part of an order leaving one location: reserved there, or travelling on a
    transfer to the pickup shop first."""

    method: str
    location: Location
    pickup_location: Location | None
    quantities: dict[int, int] = field(default_factory=dict)
    transfer: bool = False


def _new_number() -> str:
    chars = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(10))
    return f"OS-{chars[:5]}-{chars[5:]}"


def _new_pickup_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _location(value, field: str) -> Location | None:
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


def _pickup_shop(value, variant_ids: list[int]) -> tuple[Location | None, list]:
    """The pickup shop (active) and its free units of these variants, in one query:
    rows as ``_candidate_stock`` gives them. Unknown shop: a field error on ``store``."""
    if isinstance(value, Location) or value is None or value == "":
        shop = _location(value, "store")
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
            f"SELECT {columns}, s.variant_id, s.on_hand - s.reserved - s.safety_stock"
            " FROM inventory_location l LEFT JOIN inventory_stocklevel s"
            " ON s.location_id = l.id"
            f" AND s.variant_id IN ({', '.join(['%s'] * count)})"
            " AND s.on_hand - s.reserved - s.safety_stock > 0"
            " WHERE l.id = %s AND l.active"
        )
    return _PICKUP_SQL[key]


def _clean_address(address) -> dict:
    address = address if isinstance(address, dict) else {}
    errors = {}
    clean = {}
    for key in ("name", "line1", "line2", "city", "postcode", "country", "phone"):
        value = str(address.get(key) or "").strip()
        if len(value) > 250:
            errors[key] = ["Too long."]
        clean[key] = value
    for key in ("line1", "city", "postcode"):
        if not clean[key]:
            errors[key] = ["Required for delivery."]
    clean["country"] = (clean["country"] or "IT").upper()
    if len(clean["country"]) != 2:
        errors["country"] = ["Use the two-letter country code."]
    for key in ("latitude", "longitude"):
        if address.get(key) not in (None, ""):
            try:
                clean[key] = float(address[key])
            except (TypeError, ValueError):
                errors[key] = ["Must be a number."]
    if errors:
        raise ValidationFailed("Check the delivery address.", extra={"address": errors})
    return clean


def _rank(location: Location, origin) -> tuple:
    """Sourcing order: warehouses first, then shops, each nearest first."""
    distance = (
        haversine_km(origin[0], origin[1], location.latitude, location.longitude)
        if origin is not None
        else 0.0
    )
    kind = 0 if location.kind == LocationKind.WAREHOUSE else 1
    return (kind, distance, location.pk)


def _plan_legs(
    *,
    method: str,
    wanted: dict[int, int],
    variants: dict[int, Variant],
    pickup_store: Location | None,
    origin,
    pickup_stock: list | None = None,
) -> list[_Leg]:
    """Choose where every line comes from.

    Pickup: the pickup shop for what it has; the rest from one other location if one
    has all of it (else line by line), transferred to the shop. Delivery: one location
    with every line if there is one, else line by line. Candidates are the locations
    that ship online orders, warehouses before shops, nearest first; their safety stock
    is kept back. Short lines are refused together.

    The pickup shop's levels are read first (``pickup_stock``: already read with the
    shop), and the candidates' only for what it lacks: no query when it has
    everything (the usual click and collect), one otherwise; delivery reads the
    candidates. They are ranked from plain rows (dozens
    of locations hold a best seller); only the locations chosen are loaded, none when
    the pickup shop has everything.
    """
    stock: dict[int, dict[int, int]] = defaultdict(dict)
    locations: dict[int, _Place] = {}

    def read(rows) -> None:
        for location_id, variant_id, units, *place in rows:
            stock[location_id][variant_id] = units
            locations[location_id] = _Place(location_id, *place)

    legs: list[_Leg] = []
    remaining = dict(wanted)
    if pickup_store is not None:
        read(
            _candidate_stock(list(wanted), at=pickup_store)
            if pickup_stock is None
            else pickup_stock
        )
        here = stock.get(pickup_store.pk, {})
        local = {v: q for v, q in remaining.items() if here.get(v, 0) >= q}
        if local:
            legs.append(
                _Leg(
                    method, pickup_store, pickup_store, quantities=local, transfer=False
                )
            )
            remaining = {v: q for v, q in remaining.items() if v not in local}
    if not remaining:
        return legs

    read(_candidate_stock(list(remaining)))
    candidates = sorted(
        (
            loc
            for pk, loc in locations.items()
            if loc.ships_online_orders
            and (pickup_store is None or pk != pickup_store.pk)
        ),
        key=lambda loc: _rank(loc, origin),
    )
    transfer = pickup_store is not None
    whole = next(
        (
            loc
            for loc in candidates
            if all(stock[loc.pk].get(v, 0) >= q for v, q in remaining.items())
        ),
        None,
    )
    if whole is not None:
        legs.append(_Leg(method, whole, pickup_store, dict(remaining), transfer))
        return _load_locations(legs)
    by_location: dict[int, _Leg] = {}
    short = []
    for variant_id, quantity in remaining.items():
        source = next(
            (loc for loc in candidates if stock[loc.pk].get(variant_id, 0) >= quantity),
            None,
        )
        if source is None:
            short.append(variant_id)
            continue
        leg = by_location.setdefault(
            source.pk, _Leg(method, source, pickup_store, {}, transfer)
        )
        leg.quantities[variant_id] = quantity
    if short:
        raise InsufficientStock(
            [
                {
                    "variant_id": v,
                    "sku": variants[v].sku,
                    "requested": wanted[v],
                    "available": max(
                        (stock[loc].get(v, 0) for loc in stock), default=0
                    ),
                    "location_id": pickup_store.pk if pickup_store else None,
                }
                for v in short
            ]
        )
    return _load_locations(legs + list(by_location.values()))


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
        " s.on_hand - s.reserved - s.safety_stock,"
        " l.kind, l.latitude, l.longitude, l.ships_online_orders"
        " FROM inventory_stocklevel s JOIN inventory_location l ON l.id = s.location_id"
        f" WHERE s.variant_id IN ({', '.join(['%s'] * len(variant_ids))})"
        f" AND {where} AND s.on_hand - s.reserved - s.safety_stock > 0",
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


def _load_locations(legs: list[_Leg]) -> list[_Leg]:
    """The chosen legs get their ``Location`` rows, in one query."""
    ids = {leg.location.pk for leg in legs if isinstance(leg.location, _Place)}
    if ids:
        loaded = Location.objects.order_by().in_bulk(ids)
        for leg in legs:
            if isinstance(leg.location, _Place):
                leg.location = loaded[leg.location.pk]
    return legs


def _check_payments(
    payments: Sequence[PaymentRequest] | None, *, total: Decimal, channel: str
) -> list[PaymentRequest]:
    payments = list(payments or [])
    if total == 0:
        return []
    if not payments:
        raise ValidationFailed(
            "Choose how the order is paid.", extra={"payment": ["Required."]}
        )
    clean: list[PaymentRequest] = []
    errors: list[str] = []
    rest = total
    for index, payment in enumerate(payments):
        if payment.method not in PaymentMethod.values:
            errors.append(f"Unknown payment method {payment.method!r}.")
            continue
        if channel in ONLINE_CHANNELS and payment.method not in ONLINE_PAYMENT_METHODS:
            errors.append(f"{PaymentMethod(payment.method).label} is not taken online.")
            continue
        last = index == len(payments) - 1
        amount = rest if payment.amount is None and last else payment.amount
        if amount is None or _money(amount) <= 0:
            errors.append("Each payment needs a positive amount.")
            continue
        amount = _money(amount)
        rest -= amount
        clean.append(PaymentRequest(payment.method, payment.token, amount))
    if not errors and rest != 0:
        errors.append(f"Payments must add up to the order total {total}.")
    if errors:
        raise ValidationFailed("The payment is not valid.", extra={"payment": errors})
    return clean


@dataclass
class _Checkout:
    channel: str
    method: str
    lines: list[tuple[Variant, int]]
    legs: list[_Leg]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    payments: list[PaymentRequest]
    pickup_store: Location | None
    placing_location: Location | None
    address: dict
    customer: Customer | None
    user: object
    staff: object
    email: str
    phone: str
    first_name: str
    last_name: str
    loyalty_number: str
    idempotency_key: str
    discount_code: str
    cart: Cart | None
    now: datetime
    scope: str = ""
    discount: DiscountCode | None = None
    line_discounts: dict[int, Decimal] = field(default_factory=dict)


def place_order(
    *,
    lines: Sequence[LineRequest | tuple[Variant | int, int]],
    channel: str,
    fulfilment: str,
    pickup_store: Location | int | None = None,
    address: dict | None = None,
    customer: Customer | None = None,
    user=None,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    loyalty_number: str = "",
    payments: Sequence[PaymentRequest] | None = None,
    placing_location: Location | int | None = None,
    staff=None,
    idempotency_key: str = "",
    discount_code: str = "",
    cart: Cart | None = None,
    now: datetime | None = None,
) -> Order:
    """Check out: price the lines, source and hold the stock, take the payment, record
    the order, attach it to the customer and queue the receipt — all or nothing.

    The customer is ``customer`` (chosen by staff), else the signed-in ``user``'s
    profile, else the profile matched by ``email``/``phone``/``loyalty_number`` (a guest
    lands on the profile that already has that identity); a carry-out sale to a walk-in
    may have none. ``carry_out`` sells from ``placing_location`` at once and completes
    the order. With an ``idempotency_key`` a repeated call returns the first order
    (its ``idempotent_replay`` attribute is True).
    """
    checkout = _prepare_checkout(
        lines=lines,
        channel=channel,
        method=fulfilment,
        pickup_store=pickup_store,
        address=address,
        customer=customer,
        user=user,
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        loyalty_number=loyalty_number,
        payments=payments,
        placing_location=placing_location,
        staff=staff,
        idempotency_key=idempotency_key,
        discount_code=discount_code,
        cart=cart,
        now=now or timezone.now(),
    )
    for attempt in range(3):
        try:
            with transaction.atomic(durable=True):
                return _write_order(checkout, number=_new_number())
        except IntegrityError:
            if checkout.idempotency_key and checkout.scope:
                existing = Order.objects.filter(
                    idempotency_scope=checkout.scope,
                    idempotency_key=checkout.idempotency_key,
                ).first()
                if existing is not None:
                    existing.idempotent_replay = True
                    return existing
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _prepare_checkout(*, lines, channel, method, **kw) -> _Checkout:
    """Validate everything that can be checked before the transaction opens."""
    errors: dict[str, list] = {}
    if channel not in Channel.values:
        errors["channel"] = [f"Must be one of: {', '.join(Channel.values)}."]
    if method not in FulfilmentMethod.values:
        errors["fulfilment"] = [
            f"Must be one of: {', '.join(FulfilmentMethod.values)}."
        ]
    key = (kw["idempotency_key"] or "").strip()
    if len(key) > 100:
        errors["idempotency_key"] = ["At most 100 characters."]
    if not lines:
        errors["lines"] = ["The order has no items."]
    if errors:
        raise ValidationFailed("The order is not valid.", extra=errors)

    wanted: dict[int, int] = defaultdict(int)
    loaded: dict[int, Variant] = {}
    for item in lines:
        variant, quantity = (
            (item.variant, item.quantity) if isinstance(item, LineRequest) else item
        )
        pk = variant.pk if isinstance(variant, Variant) else int(variant)
        if isinstance(variant, Variant):
            loaded[pk] = variant
        wanted[pk] += _check_quantity(quantity, "lines")
    for quantity in wanted.values():
        _check_quantity(quantity, "lines")
    stale = [
        pk
        for pk in wanted
        if pk not in loaded or not loaded[pk].active or not loaded[pk].product.active
    ]
    if stale:
        loaded.update(_sellable_variants(stale))

    placing = _location(kw["placing_location"], "placing_location")
    pickup_store, pickup_stock = None, None
    address: dict = {}
    origin = None
    if method == FulfilmentMethod.PICKUP:
        pickup_store, pickup_stock = _pickup_shop(kw["pickup_store"], list(wanted))
        if pickup_store is None:
            errors["store"] = ["Choose the shop to collect from."]
        elif not (
            pickup_store.kind == LocationKind.SHOP
            and pickup_store.click_and_collect
            and pickup_store.active
        ):
            errors["store"] = ["This shop does not offer click and collect."]
        else:
            origin = (pickup_store.latitude, pickup_store.longitude)
    elif method == FulfilmentMethod.DELIVERY:
        address = _clean_address(kw["address"])
        if "latitude" in address and "longitude" in address:
            origin = (address["latitude"], address["longitude"])
        elif placing is not None:
            origin = (placing.latitude, placing.longitude)
    elif method == FulfilmentMethod.CARRY_OUT:
        if channel != Channel.STORE:
            errors["fulfilment"] = ["Carry-out sales happen in a shop."]
        elif placing is None or not placing.sells_in_store:
            errors["placing_location"] = ["Choose the shop that sells."]
    if channel in (Channel.STORE, Channel.PHONE) and placing is None:
        errors.setdefault("placing_location", ["Say where the order is taken."])
    user = kw["user"]
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if (
        kw["customer"] is None
        and not signed_in
        and not (kw["email"] or kw["phone"] or kw["loyalty_number"])
        and method != FulfilmentMethod.CARRY_OUT
    ):
        errors["email"] = ["Give an email address or a phone number."]
    if errors:
        raise ValidationFailed("The order is not valid.", extra=errors)

    order_lines = [(loaded[pk], quantity) for pk, quantity in wanted.items()]
    subtotal = sum(
        (_money(variant.price) * quantity for variant, quantity in order_lines),
        Decimal("0.00"),
    )
    discount, discount_total, line_discounts = None, Decimal("0.00"), {}
    if normalize_discount_code(kw["discount_code"]):
        discount, discount_total, line_discounts = _price_discount(
            kw["discount_code"],
            lines=order_lines,
            subtotal=subtotal,
            channel=channel,
            customer=kw["customer"],
            identified=signed_in
            or bool(kw["email"] or kw["phone"] or kw["loyalty_number"]),
            now=kw["now"],
        )
    total = subtotal - discount_total
    payments = _check_payments(kw["payments"], total=total, channel=channel)

    if method == FulfilmentMethod.CARRY_OUT:
        legs = [_Leg(method, placing, None, dict(wanted))]
    else:
        legs = _plan_legs(
            method=method,
            wanted=dict(wanted),
            variants=loaded,
            pickup_store=pickup_store,
            pickup_stock=pickup_stock,
            origin=origin,
        )
    return _Checkout(
        channel=channel,
        method=method,
        lines=order_lines,
        legs=legs,
        subtotal=subtotal,
        discount_total=discount_total,
        total=total,
        payments=payments,
        pickup_store=pickup_store,
        placing_location=placing,
        address=address,
        customer=kw["customer"],
        user=user if signed_in else None,
        staff=kw["staff"] if getattr(kw["staff"], "is_authenticated", False) else None,
        email=(kw["email"] or "").strip(),
        phone=(kw["phone"] or "").strip(),
        first_name=kw["first_name"] or "",
        last_name=kw["last_name"] or "",
        loyalty_number=(kw["loyalty_number"] or "").strip(),
        idempotency_key=key,
        discount_code=discount.code if discount is not None else "",
        cart=kw["cart"],
        now=kw["now"],
        discount=discount,
        line_discounts=line_discounts,
    )


def _resolve_customer(checkout: _Checkout) -> Customer | None:
    if checkout.customer is not None:
        return checkout.customer
    location = checkout.placing_location or checkout.pickup_store
    common = {
        "first_name": checkout.first_name,
        "last_name": checkout.last_name,
        "channel": checkout.channel,
        "location": checkout.placing_location,
        "actor": checkout.staff,
        "region": location.country if location is not None else None,
    }
    if checkout.user is not None:
        return storefront_customer(user=checkout.user, channel=checkout.channel)
    if checkout.email or checkout.phone or checkout.loyalty_number:
        return match_customer(
            email=checkout.email or None,
            phone=checkout.phone or None,
            loyalty_number=checkout.loyalty_number or None,
            **common,
        )
    return None


def _scope(checkout: _Checkout, customer: Customer | None) -> str:
    if customer is not None:
        return f"customer:{customer.pk}"
    if checkout.staff is not None:
        return f"staff:{checkout.staff.pk}"
    return "guest"


def _write_order(checkout: _Checkout, *, number: str) -> Order:
    now = checkout.now
    customer = _resolve_customer(checkout)
    # A guest's profile comes from match_customer, which locked the live row here.
    matched_here = checkout.customer is None and checkout.user is None
    checkout.scope = _scope(checkout, customer)
    methods = {leg.method for leg in checkout.legs}
    carry_out = checkout.method == FulfilmentMethod.CARRY_OUT
    order = Order(
        number=number,
        customer=customer,
        channel=checkout.channel,
        placing_location=checkout.placing_location,
        staff_member=checkout.staff,
        status=OrderStatus.COMPLETED if carry_out else OrderStatus.PLACED,
        fulfilment_method=methods.pop() if len(methods) == 1 else "mixed",
        currency=settings.OMNISTORE_CURRENCY,
        subtotal=checkout.subtotal,
        discount_total=checkout.discount_total,
        total=checkout.total,
        email=checkout.email or (customer.email if customer else ""),
        phone=checkout.phone or (customer.phone if customer else ""),
        idempotency_scope=checkout.scope if checkout.idempotency_key else "",
        idempotency_key=checkout.idempotency_key,
        discount_code=checkout.discount_code,
        attributed_campaign_id=checkout.discount.campaign_id
        if checkout.discount is not None
        else None,
        created_at=now,
        updated_at=now,
    )
    insert_rows([order])
    if checkout.cart is not None and not _close_cart(checkout.cart, order, now):
        raise Conflict("This cart was already checked out.", code="cart_closed")
    if checkout.discount is not None:
        _claim_discount(checkout, order, customer)

    variants = {variant.pk: variant for variant, _ in checkout.lines}
    fulfilments = []
    held: list[inventory.StockRequest] = []
    for leg in checkout.legs:
        transfer = None
        if leg.transfer:
            transfer = inventory.request_transfer(
                source=leg.location,
                destination=leg.pickup_location,
                lines=[(variants[v], q) for v, q in leg.quantities.items()],
                actor=checkout.staff,
                note=f"For order {number}",
                reference_type=ORDER_REFERENCE,
                reference_id=number,
            )
        elif not carry_out:
            held += [
                inventory.StockRequest(v, leg.location.pk, q)
                for v, q in leg.quantities.items()
            ]
        lead = TRANSFER_LEAD_DAYS if leg.transfer else 0
        fulfilments.append(
            Fulfilment(
                order=order,
                method=leg.method,
                status=FulfilmentStatus.COMPLETED
                if carry_out
                else FulfilmentStatus.PENDING,
                location=leg.location,
                pickup_location=leg.pickup_location,
                address=checkout.address,
                ready_date=(now + timedelta(days=lead)).date(),
                transfer=transfer,
                created_at=now,
            )
        )
    insert_rows(fulfilments)

    order_lines = []
    for leg, fulfilment in zip(checkout.legs, fulfilments, strict=True):
        for variant_id, quantity in leg.quantities.items():
            variant = variants[variant_id]
            price = _money(variant.price)
            discount = checkout.line_discounts.get(variant_id, Decimal("0.00"))
            order_lines.append(
                OrderLine(
                    order=order,
                    fulfilment=fulfilment,
                    variant=variant,
                    sku=variant.sku,
                    name=variant.name[:250],
                    quantity=quantity,
                    unit_price=price,
                    discount=discount,
                    line_total=price * quantity - discount,
                )
            )
    insert_rows(order_lines)

    if carry_out:
        inventory.sell_stock(
            requests=[
                inventory.StockRequest(v, checkout.placing_location.pk, q)
                for v, q in checkout.legs[0].quantities.items()
            ],
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            actor=checkout.staff,
        )
    elif held:
        inventory.reserve_stock(
            requests=held,
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            actor=checkout.staff,
        )

    payment_rows = []
    for index, request in enumerate(checkout.payments):
        key = (
            f"{checkout.scope}:{checkout.idempotency_key}:{index}"
            if checkout.idempotency_key
            else f"{number}:{index}"
        )
        if request.method == PaymentMethod.STORE_CREDIT:
            result = spend_store_credit(
                customer=customer,
                order=order,
                amount=request.amount,
                reference=key,
                actor=checkout.staff,
            )
        else:
            provider = get_provider()
            result = provider.charge(
                method=request.method,
                amount=request.amount,
                currency=order.currency,
                token=request.token,
                idempotency_key=key,
            )
        payment_rows.append(
            Payment(
                order=order,
                method=request.method,
                amount=request.amount,
                currency=order.currency,
                provider=result.provider,
                provider_reference=result.reference,
                status=result.status,
                created_at=now,
            )
        )
    insert_rows(payment_rows)
    history = [
        OrderStatusChange(
            order=order,
            to_status=order.status,
            actor=checkout.staff,
            location=checkout.placing_location,
            at=now,
            note=f"Placed via {Channel(order.channel).label}",
        )
    ]
    insert_rows(history)

    if customer is not None:
        where = checkout.placing_location or checkout.pickup_store
        record_event(
            customer=customer,
            kind=EVENT_ORDER_PLACED,
            summary=(
                f"Order {number} placed ({Channel(order.channel).label}"
                f"{' · ' + where.name if where else ''}): "
                f"{order.total} {order.currency}"
            ),
            actor=checkout.staff,
            location=where,
            channel=order.channel,
            data={
                "number": number,
                "total": str(order.total),
                "fulfilment": order.fulfilment_method,
                "lines": len(order_lines),
            },
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            occurred_at=now,
            locked=matched_here,
        )
    outbox.enqueue(
        "orders.placed", {"order_id": order.pk}, dedupe_key=f"orders.placed:{order.pk}"
    )
    _order_webhook(order, "placed")
    _cache(order, "lines", order_lines)
    _cache(order, "fulfilments", fulfilments)
    _cache(order, "payments", payment_rows)
    _cache(order, "history", history)
    for payment in payment_rows:
        _cache(payment, "refunds", [])
    order.idempotent_replay = False
    return order


def _cache(instance, name: str, objects: list) -> None:
    """Keep rows just written as the instance's prefetched relation: the response is
    rendered from memory instead of reading back what this transaction wrote."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


# --- Loyalty ------------------------------------------------------------------------


def order_points(order: Order) -> int:
    rate = Decimal(str(settings.OMNISTORE_LOYALTY_POINTS_PER_UNIT))
    return int(math.floor(order.total * rate))


def award_order_points(*, order: Order | int) -> int:
    """Points for a paid order, once; a cancelled order earns none."""
    return award_points_for_orders(orders=[order])[0]


def award_points_for_orders(*, orders: Sequence[Order | int]) -> list[int]:
    """Points for paid orders, once each; a cancelled order earns none. Returns the
    points of each order (0 when it earns none).

    The order rows are locked first, in id order, so this and ``cancel_order`` see
    each other: points are either credited before the cancel (which then reverses
    them) or not at all. The ledger, balances, timelines and orders are then written
    with the same few queries for any number of orders. Inside a caller's transaction
    (the outbox handler) it joins it without a savepoint: it raises only before it
    writes.
    """
    if transaction.get_connection().in_atomic_block:
        return _award_points(orders)
    with transaction.atomic():
        return _award_points(orders)


def _award_points(orders: Sequence[Order | int]) -> list[int]:
    try:
        pks = [o.pk if isinstance(o, Order) else int(o) for o in orders]
        locked = {
            order.pk: order
            for order in Order.objects.select_for_update()
            .filter(pk__in=set(pks))
            .order_by("pk")
            .prefetch_related("payments")
        }
        due = {pk: locked[pk] for pk in pks}
    except (KeyError, TypeError, ValueError):
        raise NotFound("Order not found.") from None
    points: dict[int, int] = {}
    for order in due.values():
        if (
            order.customer_id is None
            or order.status == OrderStatus.CANCELLED
            or order.loyalty_points
        ):
            continue
        paid = sum(
            (
                p.amount
                for p in order.payments.all()
                if p.status in (PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED)
            ),
            Decimal("0"),
        )
        earned = order_points(order)
        if earned > 0 and paid >= order.total:
            points[order.pk] = earned
    if points:
        earn_points_in_bulk(  # profiles locked (and followed) by pk there
            bookings=[
                PointsBooking(
                    customer=due[pk].customer_id,
                    points=earned,
                    reason=f"Order {due[pk].number}",
                    reference_type=ORDER_REFERENCE,
                    reference_id=due[pk].number,
                )
                for pk, earned in points.items()
            ]
        )
        Order.objects.filter(pk__in=points).update(
            loyalty_points=Case(
                *(When(pk=pk, then=Value(earned)) for pk, earned in points.items()),
                default=F("loyalty_points"),
                output_field=IntegerField(),
            )
        )
    return [points.get(pk, 0) for pk in pks]


# --- Lifecycle ----------------------------------------------------------------------


def _lock_order(order: Order | int) -> Order:
    pk = order.pk if isinstance(order, Order) else order
    try:
        return Order.objects.select_for_update().get(pk=pk)
    except (Order.DoesNotExist, TypeError, ValueError):
        raise NotFound("Order not found.") from None


def _transition(
    order: Order,
    target: str,
    *,
    actor,
    now: datetime,
    note: str = "",
    location: Location | None = None,
) -> None:
    if target not in _NEXT.get(order.status, set()):
        raise IllegalTransition(
            obj=f"Order {order.number}", current=order.status, target=target
        )
    method = _STEP_METHOD.get(target)
    if method is not None and order.fulfilment_method != method:
        raise IllegalTransition(
            obj=f"{order.get_fulfilment_method_display()} order {order.number}",
            current=order.status,
            target=target,
        )
    history_from = order.status
    OrderStatusChange.objects.create(
        order=order,
        from_status=order.status,
        to_status=target,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        location=location,
        at=now,
        note=(note or "")[:250],
    )
    order.status = target
    order.updated_at = now
    _order_webhook(order, "status_changed", previous=history_from)


def _order_webhook(order: Order, event: str, *, previous: str = "") -> None:
    """Subscribers hear of every new order and every status change (signed webhooks)."""
    webhooks.emit(
        f"order.{event}",
        {
            "number": order.number,
            "customer_id": order.customer_id,
            "channel": order.channel,
            "fulfilment": order.fulfilment_method,
            "status": order.status,
            "previous_status": previous,
            "total": str(order.total),
            "currency": order.currency,
        },
    )


def _order_reservations(order: Order):
    return Reservation.objects.filter(
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        status=ReservationStatus.ACTIVE,
    )


def _event(order: Order, kind: str, summary: str, *, actor, location, now) -> None:
    if order.customer_id is None:
        return
    record_event(
        customer=Customer(pk=order.customer_id),
        kind=kind,
        summary=summary,
        actor=actor,
        location=location,
        channel=order.channel,
        data={"number": order.number, "status": order.status},
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        occurred_at=now,
    )


def _email(order: Order, kind: str, *, dedupe: str = "") -> None:
    from .emails import enqueue_order_email

    enqueue_order_email(order=order, kind=kind, dedupe=dedupe)


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def mark_picked(
    *,
    order: Order | int,
    actor=None,
    location: Location | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Order:
    """The goods are taken off the shelf. Goods that came on a transfer are held at the
    pickup shop now that they are there; a transfer still on its way refuses."""
    now = now or timezone.now()
    order = _lock_order(order)
    _transition(
        order, OrderStatus.PICKED, actor=actor, now=now, note=note, location=location
    )
    fulfilments = list(
        order.fulfilments.select_related("transfer", "pickup_location").exclude(
            status=FulfilmentStatus.CANCELLED
        )
    )
    waiting = [
        f
        for f in fulfilments
        if f.transfer and f.transfer.status != TransferStatus.RECEIVED
    ]
    if waiting:
        raise Conflict(
            f"Order {order.number} waits for transfer "
            f"{', '.join(str(f.transfer) for f in waiting)} to arrive.",
            code="awaiting_transfer",
            extra={"transfers": [f.transfer_id for f in waiting]},
        )
    arrived = [f for f in fulfilments if f.transfer_id]
    if arrived:
        lines = OrderLine.objects.filter(fulfilment__in=arrived).select_related(
            "fulfilment"
        )
        inventory.reserve_stock(
            requests=[
                inventory.StockRequest(
                    line.variant_id, line.fulfilment.pickup_location_id, line.quantity
                )
                for line in lines
            ],
            reference_type=ORDER_REFERENCE,
            reference_id=order.number,
            actor=_actor(actor),
        )
    Fulfilment.objects.filter(pk__in=[f.pk for f in fulfilments]).update(
        status=FulfilmentStatus.PICKED
    )
    order.save(update_fields=["status", "updated_at"])
    _event(
        order,
        EVENT_ORDER_PICKED,
        f"Order {order.number} picked",
        actor=actor,
        location=location,
        now=now,
    )
    return order


@transaction.atomic
def mark_ready(
    *,
    order: Order | int,
    actor=None,
    location: Location | None = None,
    now: datetime | None = None,
) -> Order:
    """Ready at the pickup shop: a pickup code is issued, the customer is told (code and
    QR) and the pickup window of ``OMNISTORE_PICKUP_EXPIRY_DAYS`` starts."""
    now = now or timezone.now()
    order = _lock_order(order)
    _transition(order, OrderStatus.READY, actor=actor, now=now, location=location)
    order.pickup_code = _new_pickup_code()
    order.ready_at = now
    order.pickup_expires_at = now + timedelta(
        days=settings.OMNISTORE_PICKUP_EXPIRY_DAYS
    )
    order.save(
        update_fields=[
            "status",
            "updated_at",
            "pickup_code",
            "ready_at",
            "pickup_expires_at",
        ]
    )
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.READY
    )
    _event(
        order,
        EVENT_ORDER_READY,
        f"Order {order.number} ready for pickup",
        actor=actor,
        location=location,
        now=now,
    )
    _email(order, "ready")
    return order


def verify_pickup_code(order: Order, code: str) -> bool:
    given = (code or "").strip().upper().replace(" ", "")
    return bool(order.pickup_code) and hmac.compare_digest(given, order.pickup_code)


@transaction.atomic
def collect_order(
    *,
    order: Order | int,
    actor,
    code: str = "",
    identity_checked: bool = False,
    location: Location | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Order:
    """Hand the goods over. Staff verify the pickup code, or check the customer's
    identity themselves and say so (``identity_checked`` with a note of what they saw).
    The held stock leaves the shop (reason ``pickup``)."""
    now = now or timezone.now()
    order = _lock_order(order)
    if order.status != OrderStatus.READY:
        raise IllegalTransition(
            obj=f"Order {order.number}",
            current=order.status,
            target=OrderStatus.COLLECTED,
        )
    if identity_checked:
        if not (note or "").strip():
            raise ValidationFailed(
                "Say how the customer's identity was checked.",
                extra={"note": ["Required when collecting without the code."]},
            )
        note = f"Identity checked: {note.strip()}"
    elif not verify_pickup_code(order, code):
        raise ValidationFailed(
            "That pickup code does not match this order.",
            code="wrong_pickup_code",
            extra={"code": ["Wrong pickup code."]},
        )
    else:
        note = note or "Pickup code verified"
    _transition(
        order, OrderStatus.COLLECTED, actor=actor, now=now, note=note, location=location
    )
    inventory.consume_reservations(
        reservations=list(_order_reservations(order)),
        reason=MovementReason.PICKUP,
        actor=_actor(actor),
        note=f"Collected: order {order.number}",
    )
    order.collected_at = now
    order.save(update_fields=["status", "updated_at", "collected_at"])
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.COLLECTED
    )
    _event(
        order,
        EVENT_ORDER_COLLECTED,
        f"Order {order.number} collected"
        + (f" at {location.name}" if location is not None else ""),
        actor=actor,
        location=location,
        now=now,
    )
    return order


@transaction.atomic
def ship_order(
    *,
    order: Order | int,
    actor=None,
    tracking_reference: str = "",
    location: Location | None = None,
    now: datetime | None = None,
) -> Order:
    """Handed to the carrier: the held stock leaves its location (reason ``shipment``)."""
    now = now or timezone.now()
    order = _lock_order(order)
    _transition(
        order,
        OrderStatus.SHIPPED,
        actor=actor,
        now=now,
        location=location,
        note=f"Tracking {tracking_reference}" if tracking_reference else "",
    )
    inventory.consume_reservations(
        reservations=list(_order_reservations(order)),
        reason=MovementReason.SHIPMENT,
        actor=_actor(actor),
        note=f"Shipped: order {order.number}",
    )
    order.shipped_at = now
    order.save(update_fields=["status", "updated_at", "shipped_at"])
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.SHIPPED, tracking_reference=tracking_reference[:100]
    )
    _event(
        order,
        EVENT_ORDER_SHIPPED,
        f"Order {order.number} shipped",
        actor=actor,
        location=location,
        now=now,
    )
    _email(order, "shipped")
    return order


@transaction.atomic
def mark_delivered(
    *, order: Order | int, actor=None, now: datetime | None = None
) -> Order:
    now = now or timezone.now()
    order = _lock_order(order)
    _transition(order, OrderStatus.DELIVERED, actor=actor, now=now)
    order.delivered_at = now
    order.save(update_fields=["status", "updated_at", "delivered_at"])
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.DELIVERED
    )
    _event(
        order,
        EVENT_ORDER_DELIVERED,
        f"Order {order.number} delivered",
        actor=actor,
        location=None,
        now=now,
    )
    return order


@transaction.atomic
def cancel_order(
    *,
    order: Order | int,
    actor=None,
    reason: str = "",
    by_customer: bool = False,
    location: Location | None = None,
    now: datetime | None = None,
) -> Order:
    """Cancel before collection or shipment: held stock is released, a transfer not yet
    shipped is cancelled, every payment is refunded in full, points are reversed, the
    customer is told. A customer may cancel only until the order is picked."""
    now = now or timezone.now()
    order = _lock_order(order)
    if by_customer and order.status != OrderStatus.PLACED:
        raise IllegalTransition(
            obj=f"Order {order.number}",
            current=order.status,
            target=OrderStatus.CANCELLED,
        )
    reason = (reason or ("Cancelled by the customer" if by_customer else "")).strip()
    _transition(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        now=now,
        note=reason or "Cancelled",
        location=location,
    )
    if order.discount_code:
        _release_discount(order, now=now)
    inventory.release_reservations(
        reservations=list(_order_reservations(order)),
        actor=_actor(actor),
        note=f"Order {order.number} cancelled",
    )
    fulfilments = list(order.fulfilments.select_related("transfer"))
    for fulfilment in fulfilments:
        transfer = fulfilment.transfer
        if transfer is not None and transfer.status == TransferStatus.REQUESTED:
            inventory.cancel_transfer(
                transfer=transfer,
                actor=_actor(actor),
                note=f"Order {order.number} cancelled",
            )
    order.fulfilments.update(status=FulfilmentStatus.CANCELLED)
    for payment in order.payments.all():
        if payment.refundable > 0 and payment.status != PaymentStatus.REFUNDED:
            refund_payment(
                payment=payment,
                amount=payment.refundable,
                reason=reason or f"Order {order.number} cancelled",
                reference=f"cancel:{order.number}:{payment.pk}",
                actor=actor,
            )
    if order.loyalty_points and order.customer_id:
        reverse_points(
            customer=Customer(pk=order.customer_id),
            points=order.loyalty_points,
            reason=f"Order {order.number} cancelled",
            reference_type=ORDER_REFERENCE,
            reference_id=order.number,
            actor=actor,
        )
        order.loyalty_points = 0
    order.cancelled_at = now
    order.save(update_fields=["status", "updated_at", "cancelled_at", "loyalty_points"])
    _event(
        order,
        EVENT_ORDER_CANCELLED,
        f"Order {order.number} cancelled" + (f": {reason}" if reason else ""),
        actor=actor,
        location=location,
        now=now,
    )
    _email(order, "cancelled")
    return order


@transaction.atomic
def refund_payment(
    *,
    payment: Payment | int,
    amount: Decimal,
    reason: str,
    reference: str,
    actor=None,
) -> Refund:
    """Give money back through the payment's provider, once per ``reference``.

    The payment row is locked, so parallel refunds of one payment queue up and can
    never together exceed what was paid; a repeated ``reference`` returns the first
    refund unchanged (no double refund on a retry).
    """
    if not reference:
        raise ValidationFailed(
            "A refund needs a reference.", extra={"reference": ["Required."]}
        )
    done = Refund.objects.filter(reference=reference).first()
    if done is not None:
        return done
    pk = payment.pk if isinstance(payment, Payment) else payment
    payment = Payment.objects.select_for_update().select_related("order").get(pk=pk)
    done = Refund.objects.filter(reference=reference).first()
    if done is not None:
        return done
    try:
        amount = _money(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationFailed(
            "Enter an amount.", extra={"amount": ["Not a number."]}
        ) from None
    if amount <= 0 or amount > payment.refundable:
        raise ValidationFailed(
            f"At most {payment.refundable} {payment.currency} can be refunded.",
            extra={"amount": [f"Between 0.01 and {payment.refundable}."]},
        )
    result = get_provider(payment.provider).refund(
        provider_reference=payment.provider_reference,
        amount=amount,
        currency=payment.currency,
        idempotency_key=reference,
    )
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=(reason or "")[:250],
        reference=reference,
        provider_reference=result.reference,
        actor=_actor(actor),
    )
    payment.refunded_amount += amount
    if payment.refunded_amount == payment.amount:
        payment.status = PaymentStatus.REFUNDED
    payment.save(update_fields=["refunded_amount", "status"])
    order = payment.order
    _event(
        order,
        EVENT_REFUND,
        f"Refund of {amount} {payment.currency} for order {order.number}: {reason}",
        actor=actor,
        location=None,
        now=timezone.now(),
    )
    return refund


# --- Pickup window ------------------------------------------------------------------


def send_pickup_reminders(*, now: datetime | None = None) -> list[str]:
    """Remind customers whose pickup expires within ``OMNISTORE_PICKUP_REMINDER_DAYS``.

    Each order is reminded once (``reminder_sent_at`` and the outbox dedupe key), so
    running this again, or twice at once, sends nothing more.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.OMNISTORE_PICKUP_REMINDER_DAYS)
    due = Order.objects.filter(
        status=OrderStatus.READY,
        reminder_sent_at__isnull=True,
        pickup_expires_at__lte=horizon,
        pickup_expires_at__gt=now,
    ).values_list("pk", flat=True)
    reminded = []
    for pk in list(due):
        number = _remind(pk, now)
        if number:
            reminded.append(number)
    return reminded


@transaction.atomic
def _remind(pk: int, now: datetime) -> str | None:
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=OrderStatus.READY, reminder_sent_at__isnull=True)
        .first()
    )
    if order is None:
        return None
    order.reminder_sent_at = now
    order.save(update_fields=["reminder_sent_at"])
    _event(
        order,
        EVENT_PICKUP_REMINDER,
        f"Reminder: order {order.number} waits for pickup until "
        f"{timezone.localtime(order.pickup_expires_at):%d %b}",
        actor=None,
        location=None,
        now=now,
    )
    _email(order, "reminder")
    return order.number


def expire_uncollected_pickups(*, now: datetime | None = None) -> list[str]:
    """Cancel pickups not collected within the window: stock released, money refunded.

    One transaction per order, so one failure does not hold the others back; an order
    already cancelled or collected meanwhile is left alone.
    """
    now = now or timezone.now()
    due = list(
        Order.objects.filter(
            status=OrderStatus.READY, pickup_expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    days = settings.OMNISTORE_PICKUP_EXPIRY_DAYS
    expired = []
    for pk in due:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=OrderStatus.READY, pickup_expires_at__lte=now)
                .first()
            )
            if order is None:
                continue
            cancel_order(
                order=order,
                reason=f"Not collected within {days} days",
                now=now,
            )
            expired.append(order.number)
    return expired


# --- Returns --------------------------------------------------------------------------
#
# Returns anywhere, refunds and store credit. Rules kept here:
# - ``request_return`` locks the order's lines (``SELECT ... FOR UPDATE``, pk order) and
#   counts the units already on returns inside that lock: two desks returning the same
#   line at once queue up and the second sees the first's units, so never more come
#   back than were bought;
# - the return window runs ``OMNISTORE_RETURN_WINDOW_DAYS`` from the handover; outside
#   it only staff accept a return, with a reason kept on the return and its history;
# - receive, refund, close and cancel lock the return row first (return → stock
#   levels → payments → customer); refunding a return already refunded returns it
#   unchanged, and a payment is refunded at most once per return (``ReturnRefund`` is
#   unique per (return, payment) and ``Refund.reference`` names both);
# - store credit moves by one conditional ``UPDATE`` (``balance >= amount`` to spend),
#   with its ledger row, whose unique reference makes every movement happen once.

RETURN_REFERENCE = "return"
STORE_CREDIT_PROVIDER = "store_credit"
EVENT_RETURN_REQUESTED = "return_requested"
EVENT_RETURN_RECEIVED = "return_received"
EVENT_RETURN_REFUNDED = "return_refunded"
EVENT_RETURN_CLOSED = "return_closed"
EVENT_RETURN_CANCELLED = "return_cancelled"
EVENT_STORE_CREDIT = "store_credit"

_RETURN_NEXT = {
    ReturnStatus.REQUESTED: {ReturnStatus.RECEIVED, ReturnStatus.CANCELLED},
    ReturnStatus.RECEIVED: {ReturnStatus.REFUNDED},
    ReturnStatus.REFUNDED: {ReturnStatus.CLOSED},
}


@dataclass(frozen=True)
class ReturnLineRequest:
    """Units of one order line to take back. ``condition`` is what the customer says
    (online) or what staff see (at the counter); ``disposition`` is used when the goods
    are received at once and defaults from the condition."""

    order_line: int
    quantity: int
    reason: str = ReturnReason.OTHER
    note: str = ""
    condition: str = ReturnCondition.SELLABLE
    disposition: str = ""


@dataclass(frozen=True)
class ReceiveLine:
    """What staff see on one returned line, and where it goes."""

    line: int
    condition: str = ""
    disposition: str = ""


@dataclass
class ExchangeResult:
    return_request: Return
    order: Order
    credit_used: Decimal
    credit_left: Decimal
    paid: Decimal


def _is_staff(actor) -> bool:
    return bool(getattr(actor, "is_store_staff", False))


def _new_return_code() -> str:
    return "R-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def _choice(value, choices, field: str, errors: dict, default=""):
    value = value or default
    if value not in choices.values:
        errors.setdefault(field, []).append(
            f"Must be one of: {', '.join(choices.values)}."
        )
    return value


def _clean_return_lines(lines: Sequence[ReturnLineRequest]) -> list[ReturnLineRequest]:
    if not lines:
        raise ValidationFailed(
            "Choose at least one item to return.",
            extra={"lines": ["Choose at least one item to return."]},
        )
    errors: dict[str, list] = {}
    seen: set[int] = set()
    clean = []
    for line in lines:
        try:
            order_line = int(line.order_line)
        except (TypeError, ValueError):
            errors.setdefault("lines", []).append("Unknown order line.")
            continue
        if order_line in seen:
            errors.setdefault("lines", []).append(
                f"Order line {order_line} is listed twice."
            )
            continue
        seen.add(order_line)
        _check_quantity(line.quantity, "lines")
        reason = _choice(line.reason, ReturnReason, "reason", errors, "other")
        condition = _choice(
            line.condition, ReturnCondition, "condition", errors, "sellable"
        )
        disposition = line.disposition
        if disposition:
            _choice(disposition, ReturnDisposition, "disposition", errors)
        clean.append(
            ReturnLineRequest(
                order_line=order_line,
                quantity=line.quantity,
                reason=reason,
                note=(line.note or "").strip()[:250],
                condition=condition,
                disposition=disposition,
            )
        )
    if errors:
        raise ValidationFailed("The return is not valid.", extra=errors)
    return clean


def _return_order(order, customer: Customer | None) -> Order:
    if isinstance(order, Order):
        found = Order.objects.filter(pk=order.pk)
    elif isinstance(order, int):
        found = Order.objects.filter(pk=order)
    else:
        found = Order.objects.filter(number=(order or "").strip().upper())
    if customer is not None:
        found = found.filter(customer=customer)
    result = found.first()
    if result is None:
        raise NotFound("Order not found.")
    return result


def _check_return_policy(order: Order, *, now, actor, override_reason: str) -> str:
    """The override reason to keep ('' inside the window); refuses otherwise."""
    if order.status not in RETURNABLE_ORDER_STATUSES:
        raise ReturnNotAllowed(
            f"Order {order.number} is {order.get_status_display().lower()}: nothing "
            "has been handed over yet, so there is nothing to return"
            + (
                " (cancel it instead)."
                if order.status != OrderStatus.CANCELLED
                else "."
            ),
            extra={"order": ["Nothing handed over yet."], "overridable": False},
        )
    deadline = return_deadline(order)
    if deadline is None or now <= deadline:
        return ""
    reason = (override_reason or "").strip()[:250]
    since = timezone.localtime(handed_over_at(order))
    closed = timezone.localtime(deadline)
    days = settings.OMNISTORE_RETURN_WINDOW_DAYS
    if not _is_staff(actor):
        raise ReturnNotAllowed(
            f"Order {order.number} was handed over on {since:%d %b %Y}: the {days}-day "
            f"return window closed on {closed:%d %b %Y}. Please bring it to a shop, "
            "where staff can look at it.",
            extra={"returnable_until": closed.isoformat(), "overridable": False},
        )
    if not reason:
        raise ReturnNotAllowed(
            f"Outside the return window: order {order.number} was handed over on "
            f"{since:%d %b %Y} and the {days}-day window closed on {closed:%d %b %Y}. "
            "Give a reason to accept it anyway.",
            extra={
                "override_reason": ["Required outside the return window."],
                "returnable_until": closed.isoformat(),
                "overridable": True,
            },
        )
    return reason


def _paid_share(line: OrderLine, order: Order) -> Decimal:
    """What the customer paid for the whole line: checkout spreads an order's discount
    over its lines (``OrderLine.discount``), so ``line_total`` is already net of it."""
    return Decimal(line.line_total)


def _return_amount(
    line: OrderLine, order: Order, *, before: int, units: int
) -> Decimal:
    """Refund for ``units`` after ``before`` units already returned: computed on the
    running total, so returning a line in parts gives back exactly what was paid."""
    value = _paid_share(line, order)
    return _money(value * (before + units) / line.quantity) - _money(
        value * before / line.quantity
    )


def _return_event(ret: Return, kind: str, summary: str, *, actor, location, now):
    if ret.customer_id is None:
        return
    record_event(
        customer=Customer(pk=ret.customer_id),
        kind=kind,
        summary=summary,
        actor=actor,
        location=location,
        channel=ret.started_channel,
        data={
            "code": ret.code,
            "order": ret.order.number,
            "status": ret.status,
            "refund_total": str(ret.refund_total),
        },
        reference_type=RETURN_REFERENCE,
        reference_id=ret.code,
        occurred_at=now,
    )


def _return_webhook(ret: Return, event: str) -> None:
    webhooks.emit(
        f"return.{event}",
        {
            "code": ret.code,
            "order": ret.order.number,
            "customer_id": ret.customer_id,
            "status": ret.status,
            "refund_method": ret.refund_method,
            "refund_total": str(ret.refund_total),
            "receiving_location_id": ret.receiving_location_id,
        },
    )


def _return_email(ret: Return, kind: str) -> None:
    from .emails import enqueue_return_email

    enqueue_return_email(return_request=ret, kind=kind)


def _return_transition(
    ret: Return, target: str, *, actor, now, location=None, note: str = ""
) -> None:
    if target not in _RETURN_NEXT.get(ret.status, set()):
        raise IllegalTransition(
            obj=f"Return {ret.code}", current=ret.status, target=target
        )
    ReturnStatusChange.objects.create(
        return_request=ret,
        from_status=ret.status,
        to_status=target,
        actor=_actor(actor),
        location=location,
        at=now,
        note=(note or "")[:250],
    )
    ret.status = target
    ret.updated_at = now


def _lock_return(value) -> Return:
    if isinstance(value, Return):
        where = Q(pk=value.pk)
    elif isinstance(value, int):
        where = Q(pk=value)
    else:
        where = Q(code=(value or "").strip().upper())
    found = (
        Return.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(where)
        .first()
    )
    if found is None:
        raise NotFound("Return not found.")
    return found


def _create_return(**fields) -> Return:
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Return.objects.create(code=_new_return_code(), **fields)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def request_return(
    *,
    order: Order | int | str,
    lines: Sequence[ReturnLineRequest],
    channel: str,
    customer: Customer | None = None,
    actor=None,
    location: Location | None = None,
    refund_method: str = RefundMethod.ORIGINAL,
    override_reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Return:
    """Open a return for lines of any order from any channel.

    Online, ``customer`` is the signed-in customer and only their orders are found
    (others' look unknown). At a counter, ``location`` is the shop where the goods land
    and ``actor`` the associate, who alone may accept a return outside the window, with
    ``override_reason``. Quantities never exceed bought minus already returned.
    """
    now = now or timezone.now()
    errors: dict[str, list] = {}
    _choice(channel, Channel, "channel", errors)
    refund_method = _choice(
        refund_method, RefundMethod, "refund_method", errors, RefundMethod.ORIGINAL
    )
    if errors:
        raise ValidationFailed("The return is not valid.", extra=errors)
    wanted = _clean_return_lines(lines)
    order = _return_order(order, customer)
    override = _check_return_policy(
        order, now=now, actor=actor, override_reason=override_reason
    )
    if refund_method == RefundMethod.STORE_CREDIT and order.customer_id is None:
        raise ValidationFailed(
            "Store credit needs a customer profile; this sale has none.",
            extra={"refund_method": ["Refund to the original payment instead."]},
        )
    ids = sorted(line.order_line for line in wanted)
    locked = {
        line.pk: line
        for line in OrderLine.objects.select_for_update()
        .filter(order=order, pk__in=ids)
        .order_by("pk")
    }
    unknown = [pk for pk in ids if pk not in locked]
    if unknown:
        raise ValidationFailed(
            "Some lines are not part of this order.",
            extra={
                "lines": [
                    f"Line {pk} is not part of order {order.number}." for pk in unknown
                ]
            },
        )
    returned = returned_quantities(ids)
    too_many = {}
    messages = []
    for line in wanted:
        bought = locked[line.order_line]
        left = bought.quantity - returned.get(bought.pk, 0)
        if line.quantity > left:
            too_many[str(bought.pk)] = left
            messages.append(
                f"{bought.sku}: {line.quantity} asked, at most {left} can be returned "
                f"({bought.quantity} bought, {bought.quantity - left} already returned)."
            )
    if messages:
        raise ValidationFailed(
            "More units than can be returned.",
            code="return_quantity",
            extra={"lines": messages, "returnable": too_many},
        )

    ret = _create_return(
        order=order,
        customer_id=order.customer_id,
        status=ReturnStatus.REQUESTED,
        started_channel=channel,
        receiving_location=location,
        refund_method=refund_method,
        override_reason=override,
        note=(note or "").strip()[:500],
        created_by=actor if _is_staff(actor) else None,
        created_at=now,
        updated_at=now,
    )
    ret.order = order
    rows = [
        ReturnLine(
            return_request=ret,
            order_line=locked[line.order_line],
            quantity=line.quantity,
            reason=line.reason,
            note=line.note,
            condition=line.condition,
            amount=_return_amount(
                locked[line.order_line],
                order,
                before=returned.get(line.order_line, 0),
                units=line.quantity,
            ),
        )
        for line in wanted
    ]
    ReturnLine.objects.bulk_create(rows)
    ReturnStatusChange.objects.create(
        return_request=ret,
        to_status=ReturnStatus.REQUESTED,
        actor=_actor(actor),
        location=location,
        at=now,
        note=(
            f"Accepted outside the return window: {override}"
            if override
            else f"Started via {Channel(channel).label}"
        )[:250],
    )
    units = sum(row.quantity for row in rows)
    where = f" at {location.name}" if location is not None else ""
    _return_event(
        ret,
        EVENT_RETURN_REQUESTED,
        f"Return {ret.code} started{where} for order {order.number}: "
        f"{units} item{'s' if units != 1 else ''}",
        actor=actor,
        location=location,
        now=now,
    )
    if channel in ONLINE_CHANNELS:
        _return_email(ret, "return_requested")
    _return_webhook(ret, "requested")
    return ret


@transaction.atomic
def receive_return(
    *,
    return_request: Return | int | str,
    location: Location,
    actor,
    lines: Sequence[ReceiveLine] = (),
    note: str = "",
    now: datetime | None = None,
) -> Return:
    """The goods are at ``location``: each line goes back to its sellable stock
    (reason ``return_restock``) or, damaged, through the ledger and out again as a
    write-off (``return_restock`` in, ``damage`` out), so the shop's sellable stock
    never counts it. ``lines`` set what staff saw; unlisted lines keep what the
    customer said."""
    now = now or timezone.now()
    ret = _lock_return(return_request)
    if location is None or not location.active:
        raise ValidationFailed(
            "Choose the shop receiving the goods.", extra={"location": ["Required."]}
        )
    _return_transition(
        ret, ReturnStatus.RECEIVED, actor=actor, now=now, location=location, note=note
    )
    rows = list(
        ReturnLine.objects.filter(return_request=ret)
        .select_related("order_line__variant")
        .order_by("id")
    )
    given = {}
    errors: dict[str, list] = {}
    for item in lines:
        try:
            given[int(item.line)] = item
        except (TypeError, ValueError):
            errors.setdefault("lines", []).append("Unknown return line.")
    unknown = set(given) - {row.pk for row in rows}
    if unknown:
        errors.setdefault("lines", []).append(
            f"Lines {sorted(unknown)} are not part of return {ret.code}."
        )
    for row in rows:
        seen = given.get(row.pk)
        if seen is not None and seen.condition:
            row.condition = _choice(
                seen.condition, ReturnCondition, "condition", errors
            )
        default = (
            ReturnDisposition.RESTOCK
            if row.condition == ReturnCondition.SELLABLE
            else ReturnDisposition.DAMAGED
        )
        disposition = (seen.disposition if seen is not None else "") or default
        row.disposition = _choice(disposition, ReturnDisposition, "disposition", errors)
        if (
            row.condition == ReturnCondition.DAMAGED
            and row.disposition == ReturnDisposition.RESTOCK
        ):
            errors.setdefault("disposition", []).append(
                f"{row.order_line.sku} is damaged: it cannot go back to sellable stock."
            )
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"Not received: {first}", extra=errors)

    for row in sorted(rows, key=lambda r: (r.order_line.variant_id, r.pk)):
        variant = row.order_line.variant
        damaged = row.disposition == ReturnDisposition.DAMAGED
        inventory.receive_stock(
            variant=variant,
            location=location,
            quantity=row.quantity,
            actor=_actor(actor),
            reason=MovementReason.RETURN_RESTOCK,
            reference_type=RETURN_REFERENCE,
            reference_id=ret.code,
            note=(
                f"Return {ret.code}: damaged, written off"
                if damaged
                else f"Return {ret.code}"
            ),
        )
        if damaged:
            inventory.adjust_stock(
                variant=variant,
                location=location,
                delta=-row.quantity,
                reason=MovementReason.DAMAGE,
                note=f"Return {ret.code}: damaged, not sellable",
                actor=_actor(actor),
            )
    ReturnLine.objects.bulk_update(rows, ["condition", "disposition"])
    ret.receiving_location = location
    ret.received_at = now
    ret.save(
        update_fields=["status", "updated_at", "receiving_location", "received_at"]
    )
    restocked = sum(
        r.quantity for r in rows if r.disposition == ReturnDisposition.RESTOCK
    )
    damaged = sum(r.quantity for r in rows) - restocked
    _return_event(
        ret,
        EVENT_RETURN_RECEIVED,
        f"Return {ret.code} received at {location.name}: {restocked} back in stock"
        + (f", {damaged} damaged" if damaged else ""),
        actor=actor,
        location=location,
        now=now,
    )
    _return_webhook(ret, "received")
    return ret


def _refund_to_payments(ret: Return, order: Order, amount: Decimal, actor) -> None:
    """Back to the payments that paid, the last one first (a split payment is undone
    in reverse), each through its provider once per return."""
    payments = list(Payment.objects.filter(order=order).order_by("-created_at", "-id"))
    refundable = sum((p.refundable for p in payments), Decimal("0.00"))
    if refundable < amount:
        raise Conflict(
            f"Only {refundable} {order.currency} of order {order.number} can still go "
            f"back to its payments, {amount} is due: refund it as store credit.",
            code="refund_exceeds_payments",
            extra={"refund_method": ["Refund as store credit."]},
        )
    remaining = amount
    for payment in payments:
        if remaining <= 0:
            break
        take = min(remaining, payment.refundable)
        if take <= 0:
            continue
        refund = refund_payment(
            payment=payment,
            amount=take,
            reason=f"Return {ret.code}",
            reference=f"return:{ret.code}:{payment.pk}",
            actor=actor,
        )
        ReturnRefund.objects.create(
            return_request=ret, payment=payment, refund=refund, amount=refund.amount
        )
        remaining -= refund.amount


def _reverse_return_points(ret: Return, order: Order, amount: Decimal, actor) -> int:
    """Points for the value returned, on the running total of the order's refunded
    returns, so returning everything in parts takes back exactly what was earned."""
    if not order.loyalty_points or not order.customer_id or order.total <= 0:
        return 0
    earlier = (
        Return.objects.filter(
            order=order, status__in=[ReturnStatus.REFUNDED, ReturnStatus.CLOSED]
        )
        .exclude(pk=ret.pk)
        .values_list("refund_total", "points_reversed")
    )
    refunded = sum((r[0] for r in earlier), Decimal("0.00"))
    reversed_before = sum(r[1] for r in earlier)
    target = math.floor(order.loyalty_points * (refunded + amount) / order.total)
    points = min(target, order.loyalty_points) - reversed_before
    if points <= 0:
        return 0
    reverse_points(
        customer=Customer(pk=order.customer_id),
        points=points,
        reason=f"Return {ret.code} of order {order.number}",
        reference_type=RETURN_REFERENCE,
        reference_id=ret.code,
        actor=actor,
    )
    return points


@transaction.atomic
def refund_return(
    *,
    return_request: Return | int | str,
    actor=None,
    method: str = "",
    location: Location | None = None,
    now: datetime | None = None,
) -> Return:
    """Pay a received return back, once: to the original payments (the last tender
    first) or as store credit; loyalty points for the returned value are reversed and
    the customer is told. Submitting it again returns the refunded return unchanged
    (``already_refunded`` is True)."""
    now = now or timezone.now()
    ret = _lock_return(return_request)
    if ret.status in (ReturnStatus.REFUNDED, ReturnStatus.CLOSED):
        ret.already_refunded = True
        return ret
    errors: dict[str, list] = {}
    method = _choice(method, RefundMethod, "refund_method", errors, ret.refund_method)
    if errors:
        raise ValidationFailed("Choose how to refund.", extra=errors)
    order = ret.order
    _return_transition(
        ret,
        ReturnStatus.REFUNDED,
        actor=actor,
        now=now,
        location=location or ret.receiving_location,
        note=RefundMethod(method).label,
    )
    amount = sum(
        (line.amount for line in ReturnLine.objects.filter(return_request=ret)),
        Decimal("0.00"),
    )
    if amount > 0:
        if method == RefundMethod.ORIGINAL:
            _refund_to_payments(ret, order, amount, actor)
        else:
            if not order.customer_id:
                raise ValidationFailed(
                    "Store credit needs a customer profile; this sale has none.",
                    extra={"refund_method": ["Refund to the original payment."]},
                )
            _book_store_credit(
                customer_id=order.customer_id,
                amount=amount,
                currency=order.currency,
                kind=StoreCreditKind.RETURN,
                reason=f"Return {ret.code} of order {order.number}",
                reference=f"return:{ret.code}",
                return_request=ret,
                order=order,
                actor=actor,
            )
    ret.points_reversed = _reverse_return_points(ret, order, amount, actor)
    ret.refund_method = method
    ret.refund_total = amount
    ret.refunded_at = now
    ret.save(
        update_fields=[
            "status",
            "updated_at",
            "refund_method",
            "refund_total",
            "points_reversed",
            "refunded_at",
        ]
    )
    where = (
        "store credit" if method == RefundMethod.STORE_CREDIT else "original payment"
    )
    _return_event(
        ret,
        EVENT_RETURN_REFUNDED,
        f"Return {ret.code} refunded: {amount} {order.currency} to {where}"
        + (f", {ret.points_reversed} points reversed" if ret.points_reversed else ""),
        actor=actor,
        location=location or ret.receiving_location,
        now=now,
    )
    _return_email(ret, "refund")
    _return_webhook(ret, "refunded")
    ret.already_refunded = False
    return ret


@transaction.atomic
def receive_and_refund_return(
    *,
    return_request: Return | int | str,
    location: Location,
    actor,
    lines: Sequence[ReceiveLine] = (),
    method: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Return:
    """Receive and refund in one confirm: both happen or neither."""
    ret = receive_return(
        return_request=return_request,
        location=location,
        actor=actor,
        lines=lines,
        note=note,
        now=now,
    )
    return refund_return(
        return_request=ret, actor=actor, method=method, location=location, now=now
    )


@transaction.atomic
def return_at_counter(
    *,
    order: Order | int | str,
    lines: Sequence[ReturnLineRequest],
    location: Location,
    actor,
    refund_method: str = RefundMethod.ORIGINAL,
    refund_now: bool = True,
    override_reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Return:
    """A customer brings goods to the counter: the return is opened, received here
    (each line's condition and disposition as staff chose) and, with ``refund_now``,
    refunded — one transaction."""
    now = now or timezone.now()
    ret = request_return(
        order=order,
        lines=lines,
        channel=Channel.STORE,
        actor=actor,
        location=location,
        refund_method=refund_method,
        override_reason=override_reason,
        note=note,
        now=now,
    )
    by_order_line = {
        row.order_line_id: row.pk
        for row in ReturnLine.objects.filter(return_request=ret)
    }
    ret = receive_return(
        return_request=ret,
        location=location,
        actor=actor,
        lines=[
            ReceiveLine(
                by_order_line[int(line.order_line)], line.condition, line.disposition
            )
            for line in lines
        ],
        now=now,
    )
    if refund_now:
        ret = refund_return(return_request=ret, actor=actor, location=location, now=now)
    return ret


@transaction.atomic
def close_return(
    *,
    return_request: Return | int | str,
    actor=None,
    note: str = "",
    now: datetime | None = None,
) -> Return:
    """Nothing more to do on a refunded return (filed, paperwork done)."""
    now = now or timezone.now()
    ret = _lock_return(return_request)
    _return_transition(
        ret,
        ReturnStatus.CLOSED,
        actor=actor,
        now=now,
        location=ret.receiving_location,
        note=note,
    )
    ret.closed_at = now
    ret.save(update_fields=["status", "updated_at", "closed_at"])
    _return_event(
        ret,
        EVENT_RETURN_CLOSED,
        f"Return {ret.code} closed",
        actor=actor,
        location=ret.receiving_location,
        now=now,
    )
    _return_webhook(ret, "closed")
    return ret


@transaction.atomic
def cancel_return(
    *,
    return_request: Return | int | str,
    actor=None,
    reason: str = "",
    location: Location | None = None,
    now: datetime | None = None,
) -> Return:
    """Drop a return before the goods arrive; its units can be returned again."""
    now = now or timezone.now()
    ret = _lock_return(return_request)
    reason = (reason or "").strip()
    _return_transition(
        ret,
        ReturnStatus.CANCELLED,
        actor=actor,
        now=now,
        location=location,
        note=reason or "Cancelled",
    )
    ret.cancelled_at = now
    ret.save(update_fields=["status", "updated_at", "cancelled_at"])
    _return_event(
        ret,
        EVENT_RETURN_CANCELLED,
        f"Return {ret.code} cancelled" + (f": {reason}" if reason else ""),
        actor=actor,
        location=location,
        now=now,
    )
    _return_webhook(ret, "cancelled")
    return ret


# --- Store credit -------------------------------------------------------------------


def _live_customer_id(pk: int) -> int:
    seen = set()
    while pk not in seen:
        seen.add(pk)
        merged_into = (
            Customer.objects.filter(pk=pk)
            .values_list("merged_into_id", flat=True)
            .first()
        )
        if merged_into is None:
            return pk
        pk = merged_into
    return pk  # pragma: no cover - merges never make a cycle


@transaction.atomic
def _book_store_credit(
    *,
    customer_id: int,
    amount: Decimal,
    currency: str,
    kind: str,
    reason: str,
    reference: str,
    return_request: Return | None = None,
    order: Order | None = None,
    actor=None,
) -> StoreCreditTransaction:
    """Move ``amount`` (signed) on the customer's balance, once per ``reference``.

    The ledger row goes in first: a parallel duplicate waits on its unique reference
    and then finds it. The balance moves by one guarded UPDATE (a debit only while the
    balance covers it, on the live profile — a merge in between refuses instead of
    crediting the merged one); the database keeps the balance at zero or more.
    """
    done = StoreCreditTransaction.objects.filter(reference=reference).first()
    if done is not None:
        return done
    pk = _live_customer_id(customer_id)
    try:
        with transaction.atomic():
            txn = StoreCreditTransaction.objects.create(
                customer_id=pk,
                kind=kind,
                amount=amount,
                currency=currency,
                reason=(reason or "")[:250],
                reference=reference,
                return_request=return_request,
                order=order,
                actor=_actor(actor),
            )
    except IntegrityError:
        return StoreCreditTransaction.objects.get(reference=reference)
    rows = Customer.objects.filter(pk=pk, merged_into__isnull=True)
    if amount < 0:
        rows = rows.filter(store_credit_balance__gte=-amount)
    if not rows.update(store_credit_balance=F("store_credit_balance") + amount):
        current = Customer.objects.filter(pk=pk).values_list(
            "merged_into_id", "store_credit_balance"
        )[0]
        if current[0] is not None:
            raise Conflict(
                "The customer's profile was just merged; try again.",
                code="customer_merged",
            )
        raise ValidationFailed(
            f"Not enough store credit: {current[1]} {currency} available, "
            f"{-amount} asked.",
            code="insufficient_store_credit",
            extra={"payment": [f"Store credit available: {current[1]} {currency}."]},
        )
    record_event(
        customer=Customer(pk=pk),
        kind=EVENT_STORE_CREDIT,
        summary=f"Store credit {amount:+} {currency}: {reason}",
        actor=actor,
        data={"amount": str(amount), "kind": kind, "reference": reference},
        reference_type="store_credit",
        reference_id=str(txn.pk),
    )
    return txn


def spend_store_credit(
    *,
    customer: Customer | None,
    order: Order,
    amount: Decimal,
    reference: str,
    actor=None,
) -> ChargeResult:
    """Store credit as a tender at checkout: taken from the customer's balance in the
    order's transaction, so a refused order spends nothing."""
    if customer is None:
        raise ValidationFailed(
            "Store credit belongs to a customer: attach the customer first.",
            extra={"payment": ["Store credit needs the customer's profile."]},
        )
    txn = _book_store_credit(
        customer_id=customer.pk,
        amount=-_money(amount),
        currency=order.currency,
        kind=StoreCreditKind.PAYMENT,
        reason=f"Order {order.number}",
        reference=f"spend:{reference}",
        order=order,
        actor=actor,
    )
    return ChargeResult(
        provider=STORE_CREDIT_PROVIDER,
        reference=txn.reference,
        status=PaymentStatus.CAPTURED,
        amount=_money(amount),
    )


class StoreCreditProvider(PaymentProvider):
    """The customer's balance as a payment provider: spending happens at checkout
    (``spend_store_credit``, which knows the customer); refunding a credit payment —
    an order cancelled or a return — puts it back on the balance it came from, once
    per refund reference."""

    name = STORE_CREDIT_PROVIDER

    def charge(self, *, method, amount, currency, token, idempotency_key):
        raise PaymentDeclined(
            "Store credit is taken from the customer's balance at checkout.",
            extra={"payment": ["Pay with store credit through checkout."]},
        )

    def refund(self, *, provider_reference, amount, currency, idempotency_key):
        spent = StoreCreditTransaction.objects.get(reference=provider_reference)
        txn = _book_store_credit(
            customer_id=spent.customer_id,
            amount=_money(amount),
            currency=currency,
            kind=StoreCreditKind.PAYMENT_REFUND,
            reason=f"Refund of a store credit payment ({idempotency_key})",
            reference=f"refund:{idempotency_key}",
            order=spent.order,
        )
        return RefundResult(provider=self.name, reference=txn.reference, amount=amount)


register_provider(StoreCreditProvider())


# --- Exchanges ----------------------------------------------------------------------


@transaction.atomic
def exchange_items(
    *,
    order: Order | int | str,
    lines: Sequence[ReturnLineRequest],
    replacement: Sequence[LineRequest | tuple[Variant | int, int]],
    location: Location,
    actor,
    fulfilment: str = FulfilmentMethod.CARRY_OUT,
    pickup_store: Location | int | None = None,
    payments: Sequence[PaymentRequest] = (),
    override_reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> ExchangeResult:
    """Swap goods at the counter: the lines come back (received here), their value
    becomes the customer's store credit, and the replacement — taken now, or from the
    endless aisle for pickup — is paid with that credit first; ``payments`` cover any
    difference, and what the replacement does not use stays as store credit. All in
    one transaction: a replacement out of stock leaves nothing returned."""
    now = now or timezone.now()
    source = _return_order(order, None)
    if source.customer_id is None:
        raise ValidationFailed(
            "An exchange needs the customer's profile (the value moves through their "
            "store credit): refund this sale and ring up a new one instead.",
            extra={"customer": ["Attach the customer to the sale first."]},
        )
    if fulfilment not in (FulfilmentMethod.CARRY_OUT, FulfilmentMethod.PICKUP):
        raise ValidationFailed(
            "The replacement is taken now or picked up at a shop.",
            extra={"fulfilment": ["Use carry_out or pickup."]},
        )
    ret = return_at_counter(
        order=source,
        lines=lines,
        location=location,
        actor=actor,
        refund_method=RefundMethod.STORE_CREDIT,
        override_reason=override_reason,
        note=note or "Exchange",
        now=now,
    )
    customer = Customer.objects.get(pk=_live_customer_id(source.customer_id))
    credit = ret.refund_total
    wanted: dict[int, int] = defaultdict(int)
    loaded: dict[int, Variant] = {}
    for item in replacement:
        variant, quantity = (
            (item.variant, item.quantity) if isinstance(item, LineRequest) else item
        )
        pk = variant.pk if isinstance(variant, Variant) else int(variant)
        wanted[pk] += _check_quantity(quantity, "replacement")
    if not wanted:
        raise ValidationFailed(
            "Choose the replacement items.", extra={"replacement": ["Required."]}
        )
    loaded.update(_sellable_variants(wanted))
    total = sum(
        (_money(loaded[pk].price) * q for pk, q in wanted.items()), Decimal("0.00")
    )
    credit_used = min(credit, total)
    tenders = []
    if credit_used > 0:
        tenders.append(
            PaymentRequest(method=PaymentMethod.STORE_CREDIT, amount=credit_used)
        )
    paid = total - credit_used
    if paid > 0:
        if not payments:
            raise ValidationFailed(
                f"The replacement costs {paid} {settings.OMNISTORE_CURRENCY} more than "
                "the credit: take a payment for the difference.",
                extra={"payment": [f"{paid} to pay."]},
            )
        tenders += list(payments)
    checkout = _prepare_checkout(
        lines=[LineRequest(loaded[pk], q) for pk, q in wanted.items()],
        channel=Channel.STORE,
        method=fulfilment,
        pickup_store=pickup_store,
        address=None,
        customer=customer,
        user=None,
        email="",
        phone="",
        first_name="",
        last_name="",
        loyalty_number="",
        payments=tenders,
        placing_location=location,
        staff=actor,
        idempotency_key=f"exchange:{ret.code}",
        discount_code="",
        cart=None,
        now=now,
    )
    new_order = _write_order(checkout, number=_new_number())
    ret.exchange_order = new_order
    ret.save(update_fields=["exchange_order"])
    customer.refresh_from_db(fields=["store_credit_balance"])
    return ExchangeResult(
        return_request=ret,
        order=new_order,
        credit_used=credit_used,
        credit_left=_money(customer.store_credit_balance),
        paid=paid,
    )


# --- Discount codes -----------------------------------------------------------------
#
# A code is checked before the checkout transaction opens (one read, no lock) and
# claimed inside it by one conditional UPDATE (``times_used < max_uses``), so parallel
# checkouts of a code's last use give exactly one order: the others get a conflict and
# their transaction, stock holds included, rolls back. Claims of one code queue on its
# row until the order commits; the per-customer count is read after the claim, so it
# sees every earlier claim of that code. Lock order: customer → code → stock (cancel:
# order → customer → code → stock).

DISCOUNT_FIELD = "discount_code"
_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")
_STORE_CHANNELS = frozenset({Channel.STORE})


def normalize_discount_code(value) -> str:
    """Codes are matched as typed, whatever the case and surrounding spaces."""
    return str(value or "").strip().upper()


def discount_code_pattern_ok(code: str) -> bool:
    """3 to 40 letters, digits, '-' or '_': easy to type at a till and in a form."""
    return bool(_CODE_PATTERN.match(code))


def _discount_error(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, extra={DISCOUNT_FIELD: [message]})


def _discount_channel(channel: str) -> str:
    """Web, app and phone orders are distance sales ("online"); a shop sale is not."""
    if channel in _STORE_CHANNELS:
        return DiscountChannels.STORE
    return DiscountChannels.ONLINE


def _when(value: datetime) -> str:
    return f"{timezone.localtime(value):%d %b %Y %H:%M}"


def _held_uses(code: DiscountCode, customer: Customer) -> int:
    return DiscountRedemption.objects.filter(
        code=code, customer=customer, released_at__isnull=True
    ).count()


def _check_customer_uses(code: DiscountCode, customer: Customer) -> None:
    limit = code.max_uses_per_customer
    if limit and _held_uses(code, customer) >= limit:
        raise _discount_error(
            "You have already used this code."
            if limit == 1
            else f"You have already used this code {limit} times, the most allowed.",
            "discount_already_used",
        )


def _discount_amount(code: DiscountCode, subtotal: Decimal) -> Decimal:
    """A percentage of the subtotal rounded half-up to cents; a fixed amount never
    more than the subtotal (the order does not go below zero)."""
    if code.kind == DiscountKind.PERCENTAGE:
        amount = (subtotal * code.value / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    else:
        amount = _money(code.value)
    return min(amount, subtotal)


def _valid_discount(
    value,
    *,
    subtotal: Decimal,
    channel: str,
    customer: Customer | None,
    now: datetime,
) -> tuple[DiscountCode, Decimal]:
    """The code and what it takes off ``subtotal``, or one refusal saying why."""
    code = normalize_discount_code(value)
    if not code:
        raise _discount_error("Enter a discount code.", "discount_required")
    found = DiscountCode.objects.filter(code=code[:40]).first()
    if found is None:
        raise _discount_error(f"Unknown discount code {code}.", "discount_unknown")
    if not found.active:
        raise _discount_error("This code is no longer valid.", "discount_inactive")
    if found.valid_from is not None and now < found.valid_from:
        raise _discount_error(
            f"This code is valid from {_when(found.valid_from)}.",
            "discount_not_yet_valid",
        )
    if found.valid_until is not None and now >= found.valid_until:
        raise _discount_error(
            f"This code expired on {_when(found.valid_until)}.", "discount_expired"
        )
    if found.channels != DiscountChannels.BOTH and found.channels != _discount_channel(
        channel
    ):
        where = "in store" if found.channels == DiscountChannels.STORE else "online"
        raise _discount_error(
            f"This code is valid {where} only.", "discount_wrong_channel"
        )
    if found.max_uses is not None and found.times_used >= found.max_uses:
        raise _discount_error("This code has been used up.", "discount_used_up")
    if customer is not None:
        _check_customer_uses(found, customer)
    subtotal = _money(subtotal)
    if subtotal < found.min_subtotal:
        currency = settings.OMNISTORE_CURRENCY
        raise _discount_error(
            f"This code needs an order of at least {found.min_subtotal} {currency} "
            f"(this one is {subtotal} {currency}).",
            "discount_minimum",
        )
    return found, _discount_amount(found, subtotal)


def _spread_discount(
    amount: Decimal, lines: Sequence[tuple[int, Decimal]]
) -> dict[int, Decimal]:
    """Split ``amount`` over lines in proportion to their value, to the cent, the
    largest remainders taking the odd cents: the shares add up to ``amount`` and a
    line never gets more than its value, so a returned line refunds what was paid."""
    total = sum((value for _, value in lines), Decimal("0"))
    if amount <= 0 or total <= 0:
        return {key: Decimal("0.00") for key, _ in lines}
    cents = int(amount * 100)
    exact = [(key, Decimal(cents) * value / total) for key, value in lines]
    shares = {key: math.floor(part) for key, part in exact}
    left = cents - sum(shares.values())
    by_remainder = sorted(
        range(len(exact)), key=lambda i: (-(exact[i][1] - shares[exact[i][0]]), i)
    )
    for index in by_remainder[:left]:
        shares[exact[index][0]] += 1
    return {key: Decimal(share) / 100 for key, share in shares.items()}


def preview_discount(
    *,
    code: str,
    subtotal: Decimal,
    customer: Customer | None = None,
    channel: str,
    now: datetime | None = None,
) -> Decimal:
    """What ``code`` takes off a basket of ``subtotal`` on ``channel``, for the cart
    and the sale basket; changes nothing and holds nothing, so checkout checks again
    and claims the use."""
    _, amount = _valid_discount(
        code,
        subtotal=_money(subtotal),
        channel=channel,
        customer=customer,
        now=now or timezone.now(),
    )
    return amount


def _price_discount(
    value, *, lines, subtotal: Decimal, channel: str, customer, identified: bool, now
) -> tuple[DiscountCode, Decimal, dict[int, Decimal]]:
    """Checkout's pricing of a code: the amount and each line's share, by variant."""
    code, amount = _valid_discount(
        value, subtotal=subtotal, channel=channel, customer=customer, now=now
    )
    if code.max_uses_per_customer and customer is None and not identified:
        raise _discount_error(
            "This code is limited per customer: attach the customer first.",
            "discount_needs_customer",
        )
    shares = _spread_discount(
        amount,
        [(variant.pk, _money(variant.price) * quantity) for variant, quantity in lines],
    )
    return code, amount, shares


def _claim_discount(checkout, order: Order, customer: Customer | None) -> None:
    """Take one use of the code inside the order's transaction.

    One conditional UPDATE: no rows means the last use went to another order since the
    check (or the code was switched off), and the whole order rolls back. The row
    stays locked until commit, so the per-customer count read next sees every earlier
    claim of this code.
    """
    code = checkout.discount
    claimed = (
        DiscountCode.objects.filter(pk=code.pk, active=True)
        .filter(Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")))
        .update(times_used=F("times_used") + 1)
    )
    if not claimed:
        if DiscountCode.objects.filter(pk=code.pk, active=False).exists():
            message, error = "This code is no longer valid.", "discount_inactive"
        else:
            message, error = "This code has been used up.", "discount_used_up"
        raise Conflict(message, code=error, extra={DISCOUNT_FIELD: [message]})
    if code.max_uses_per_customer:
        if customer is None:
            raise _discount_error(
                "This code is limited per customer: attach the customer first.",
                "discount_needs_customer",
            )
        _check_customer_uses(code, customer)
    DiscountRedemption.objects.create(
        code=code,
        order=order,
        customer=customer,
        amount=checkout.discount_total,
        created_at=checkout.now,
    )


def _release_discount(order: Order, *, now: datetime) -> None:
    """A cancelled order gives its use back (once: the redemption is marked released
    under the order's lock). The customer row is locked before the code, as checkout
    does, so a cancel and a checkout of one customer never wait on each other."""
    redemption = (
        DiscountRedemption.objects.filter(order=order, released_at__isnull=True)
        .only("pk", "code_id")
        .first()
    )
    if redemption is None:
        return
    if order.customer_id is not None:
        list(
            Customer.objects.select_for_update()
            .filter(pk=order.customer_id)
            .values_list("pk", flat=True)
        )
    DiscountRedemption.objects.filter(pk=redemption.pk).update(released_at=now)
    DiscountCode.objects.filter(pk=redemption.code_id, times_used__gt=0).update(
        times_used=F("times_used") - 1
    )


def _clean_code_fields(data: dict, errors: dict) -> dict:
    """Shared checks of a code's terms (creation and later changes)."""
    clean = {}
    if "kind" in data:
        if data["kind"] not in DiscountKind.values:
            errors["kind"] = [f"Must be one of: {', '.join(DiscountKind.values)}."]
        clean["kind"] = data["kind"]
    for name in ("value", "min_subtotal"):
        if name in data:
            try:
                clean[name] = _money(data[name] if data[name] is not None else 0)
            except (ArithmeticError, TypeError, ValueError):
                errors[name] = ["Enter an amount such as 10 or 12.50."]
    for name in ("max_uses", "max_uses_per_customer"):
        if name in data:
            number = data[name]
            if number in ("", None):
                clean[name] = None
            elif isinstance(number, bool) or not isinstance(number, int) or number < 1:
                errors[name] = ["A whole number of at least 1, or empty for no limit."]
            else:
                clean[name] = number
    for name in ("valid_from", "valid_until"):
        if name in data:
            moment = data[name]
            if moment is not None and timezone.is_naive(moment):
                errors[name] = ["Give a date and time with its time zone."]
            clean[name] = moment
    if "channels" in data:
        if data["channels"] not in DiscountChannels.values:
            errors["channels"] = [
                f"Must be one of: {', '.join(DiscountChannels.values)}."
            ]
        clean["channels"] = data["channels"]
    if "campaign_id" in data:
        campaign = data["campaign_id"]
        if campaign is not None and (
            isinstance(campaign, bool) or not isinstance(campaign, int) or campaign < 1
        ):
            errors["campaign_id"] = ["A campaign id, or empty."]
        clean["campaign_id"] = campaign
    return clean


def _check_code_terms(code: DiscountCode, errors: dict) -> None:
    if "value" not in errors and "kind" not in errors:
        if code.kind == DiscountKind.PERCENTAGE and not 0 < code.value <= 100:
            errors["value"] = ["A percentage above 0 and at most 100."]
        elif code.kind == DiscountKind.FIXED and code.value <= 0:
            errors["value"] = ["An amount above zero."]
    if code.min_subtotal < 0:
        errors.setdefault("min_subtotal", ["Zero or more."])
    if (
        code.valid_from is not None
        and code.valid_until is not None
        and code.valid_until <= code.valid_from
    ):
        errors.setdefault("valid_until", ["Must be after the start."])
    if code.max_uses is not None and code.times_used > code.max_uses:
        errors.setdefault(
            "max_uses", [f"Already used {code.times_used} times: at least that."]
        )


@transaction.atomic
def create_discount_code(
    *,
    code: str,
    kind: str,
    value: Decimal,
    min_subtotal: Decimal = Decimal("0"),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    max_uses: int | None = None,
    max_uses_per_customer: int | None = None,
    channels: str = DiscountChannels.BOTH,
    campaign_id: int | None = None,
    active: bool = True,
    actor=None,
    now: datetime | None = None,
) -> DiscountCode:
    """A new code, valid online and in store unless ``channels`` says otherwise.

    Used by the admin and by campaigns (which pass their ``campaign_id``); the code is
    stored upper-case and must be new.
    """
    errors: dict[str, list] = {}
    text = normalize_discount_code(code)
    if not discount_code_pattern_ok(text):
        errors["code"] = [
            "3 to 40 letters, digits, '-' or '_', starting with a letter or digit."
        ]
    clean = _clean_code_fields(
        {
            "kind": kind,
            "value": value,
            "min_subtotal": min_subtotal,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "max_uses": max_uses,
            "max_uses_per_customer": max_uses_per_customer,
            "channels": channels,
            "campaign_id": campaign_id,
        },
        errors,
    )
    discount = DiscountCode(
        code=text,
        active=bool(active),
        created_by=_actor(actor),
        created_at=now or timezone.now(),
        **clean,
    )
    if not errors:
        _check_code_terms(discount, errors)
    if errors:
        raise ValidationFailed("The discount code is not valid.", extra=errors)
    try:
        with transaction.atomic():
            discount.save()
    except IntegrityError:
        if DiscountCode.objects.filter(code=text).exists():
            raise ValidationFailed(
                f"The code {text} exists already.",
                code="discount_code_taken",
                extra={"code": [f"{text} exists already: choose another code."]},
            ) from None
        raise
    return discount


DISCOUNT_EDITABLE_TERMS = (
    "min_subtotal",
    "valid_from",
    "valid_until",
    "max_uses",
    "max_uses_per_customer",
    "channels",
    "campaign_id",
)


def _lock_discount(code: DiscountCode | int | str) -> DiscountCode:
    if isinstance(code, DiscountCode):
        where = Q(pk=code.pk)
    elif isinstance(code, int):
        where = Q(pk=code)
    else:
        where = Q(code=normalize_discount_code(code))
    found = DiscountCode.objects.select_for_update().filter(where).first()
    if found is None:
        raise NotFound("Discount code not found.")
    return found


@transaction.atomic
def update_discount_code(
    *, code: DiscountCode | int | str, actor=None, **changes
) -> DiscountCode:
    """Change a code's terms (validity, limits, channels, minimum, campaign). What it
    takes off (kind and value) stays as orders were priced with it; a limit never
    drops below the uses already held. The row is locked, so checkouts claiming it
    wait."""
    unknown = set(changes) - set(DISCOUNT_EDITABLE_TERMS)
    if unknown:
        raise ValidationFailed(
            "These terms cannot change.",
            extra={name: ["Cannot change once created."] for name in sorted(unknown)},
        )
    discount = _lock_discount(code)
    errors: dict[str, list] = {}
    clean = _clean_code_fields(changes, errors)
    for name, value in clean.items():
        setattr(discount, name, value)
    if not errors:
        _check_code_terms(discount, errors)
    if errors:
        raise ValidationFailed("The discount code is not valid.", extra=errors)
    if clean:
        discount.save(update_fields=list(clean))
    return discount


@transaction.atomic
def deactivate_discount_code(
    *, code: DiscountCode | int | str, actor=None, now: datetime | None = None
) -> DiscountCode:
    """Stop a code being used from now on; orders that used it keep their price.
    Switching off a code already off changes nothing."""
    discount = _lock_discount(code)
    if not discount.active:
        return discount
    discount.active = False
    discount.deactivated_at = now or timezone.now()
    discount.deactivated_by = _actor(actor)
    discount.save(update_fields=["active", "deactivated_at", "deactivated_by"])
    return discount
