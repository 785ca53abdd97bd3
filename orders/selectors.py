"""Reads of carts and orders. Lists cost a fixed number of queries whatever their length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from customers.models import Customer
from customers.selectors import search_customers
from inventory.models import Location, Product, StockLevel, TransferStatus, Variant
from inventory.selectors import sourcing_locations_sql
from omnistore.core.db import connection_for, fetch, load
from omnistore.core.exceptions import NotFound

from .models import (
    CART_TOKENS,
    Cart,
    CartLine,
    CartStatus,
    Fulfilment,
    FulfilmentMethod,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
    Refund,
    Return,
    ReturnLine,
    ReturnRefund,
    ReturnStatus,
    ReturnStatusChange,
    StoreCreditTransaction,
)

PICKUP_QR_PREFIX = "OMNISTORE-PICKUP"


# --- Carts --------------------------------------------------------------------------


def find_cart(
    *, customer: Customer | None = None, token: str = "", open_only: bool = True
) -> Cart | None:
    """The customer's open cart, or the anonymous cart with this token (open ones only
    unless ``open_only`` is False: a checkout retry finds the cart it converted)."""
    if customer is not None:
        where, params = "c.customer_id = %s AND c.status = %s", [customer.pk]
        params.append(CartStatus.OPEN)
    elif token:
        where, params = "c.token = %s AND c.customer_id IS NULL", [token]
        if open_only:
            where += " AND c.status = %s"
            params.append(CartStatus.OPEN)
    else:
        return None
    rows = load([(Cart, "c")], f"FROM orders_cart c WHERE {where}", params)
    return rows[0][0] if rows else None


def started_cart(*, token: str) -> Cart | None:
    """The empty open cart that a token issued by ``services.start_cart`` stands for
    until its first line stores it; None for a token that is not ours."""
    try:
        CART_TOKENS.unsign(token)
    except signing.BadSignature:
        return None
    return Cart(token=token)


# The storefront reads a cart's lines on every cart and checkout request: kept as SQL
# (see omnistore.core.db.load), lines in the order they were added.
_LINES_FROM = (
    "FROM orders_cartline l"
    " JOIN inventory_variant v ON v.id = l.variant_id"
    " JOIN inventory_product p ON p.id = v.product_id"
)


def _linked(rows) -> list[CartLine]:
    lines = []
    for line, variant, product, *cart in rows:
        variant.product = product
        line.variant = variant
        if cart:
            line.cart = cart[0]
        lines.append(line)
    return lines


def cart_lines(cart: Cart) -> list[CartLine]:
    """A cart's lines with variant and product, in the order they were added."""
    if cart.pk is None:  # started, not stored yet: empty
        return []
    lines = _linked(
        load(
            [(CartLine, "l"), (Variant, "v"), (Product, "p")],
            f"{_LINES_FROM} WHERE l.cart_id = %s ORDER BY l.id",
            [cart.pk],
        )
    )
    for line in lines:
        line.cart = cart
    return lines


def open_cart_lines(
    *, customer: Customer | None = None, token: str = ""
) -> list[CartLine]:
    """The lines of the open cart (the customer's, or the anonymous one with this
    token) with their cart, variant and product, in one query; empty when there is no
    such cart or it has no lines."""
    if customer is not None:
        where, params = "c.customer_id = %s", [customer.pk]
    elif token:
        where, params = "c.token = %s AND c.customer_id IS NULL", [token]
    else:
        return []
    cart = None
    lines = _linked(
        load(
            [(CartLine, "l"), (Variant, "v"), (Product, "p"), (Cart, "c")],
            f"{_LINES_FROM} JOIN orders_cart c ON c.id = l.cart_id"
            f" WHERE {where} AND c.status = %s ORDER BY l.id",
            [*params, CartStatus.OPEN],
        )
    )
    for line in lines:  # one cart object for all its lines
        cart = cart or line.cart
        line.cart = cart
    return lines


_UNITS = "s.on_hand - s.reserved - s.safety_stock"
_POSITIVE = f"CASE WHEN {_UNITS} > 0 THEN {_UNITS} ELSE 0 END"


def cart_availability(*, variant_ids, store_id: int | None = None) -> dict[int, dict]:
    """Per variant: units online (locations shipping online orders, safety stock kept
    back) and, when a shop is chosen, units at that shop — one query, kept as SQL
    (every cart response runs it)."""
    variant_ids = list(variant_ids)
    result = {pk: {"online": 0, "at_store": 0} for pk in variant_ids}
    if not variant_ids:
        return result
    at_store, params = "0", []
    if store_id is not None:
        at_store = f"CASE WHEN s.location_id = %s THEN {_POSITIVE} ELSE 0 END"
        params = [store_id]
    connection = connection_for(StockLevel)
    where = sourcing_locations_sql(connection, with_store=store_id is not None)
    rows = fetch(
        connection,
        "SELECT s.variant_id,"
        f" SUM(CASE WHEN l.ships_online_orders THEN {_POSITIVE} ELSE 0 END),"
        f" SUM({at_store})"
        " FROM inventory_stocklevel s JOIN inventory_location l ON l.id = s.location_id"
        f" WHERE s.variant_id IN ({', '.join(['%s'] * len(variant_ids))})"
        f" AND {where} GROUP BY s.variant_id",
        [*params, *variant_ids, *params],
        [None, None, None],
    )
    for variant_id, online, here in rows:
        result[variant_id] = {"online": int(online or 0), "at_store": int(here or 0)}
    return result


# --- Orders -------------------------------------------------------------------------


def _lines():
    return Prefetch("lines", queryset=OrderLine.objects.order_by("id"))


def customer_orders(customer: Customer) -> QuerySet[Order]:
    """Every order of a customer from every channel (shop sales included), newest first,
    lines prefetched: two queries for any page."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("placing_location")
        .prefetch_related(_lines())
        .order_by("-created_at", "-id")
    )


def order_detail_queryset() -> QuerySet[Order]:
    """An order with everything its page shows, in a fixed six queries."""
    return Order.objects.select_related(
        "customer", "placing_location", "staff_member"
    ).prefetch_related(
        Prefetch(
            "lines", queryset=OrderLine.objects.select_related("variant__product")
        ),
        Prefetch(
            "fulfilments",
            queryset=Fulfilment.objects.select_related(
                "location", "pickup_location", "transfer"
            ),
        ),
        Prefetch(
            "payments",
            queryset=Payment.objects.prefetch_related(
                Prefetch("refunds", queryset=Refund.objects.order_by("id"))
            ),
        ),
        Prefetch(
            "history",
            queryset=OrderStatusChange.objects.select_related("actor", "location"),
        ),
    )


def order_detail(*, number: str, customer: Customer | None = None) -> Order:
    """One order by number; with ``customer``, only theirs (others' look unknown)."""
    orders = order_detail_queryset().filter(number=(number or "").strip().upper())
    if customer is not None:
        orders = orders.filter(customer=customer)
    order = orders.first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def order_by_id(pk: int) -> Order:
    order = order_detail_queryset().filter(pk=pk).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def order_for_email(pk: int, *, refunds: bool = False) -> Order:
    return orders_for_email([pk], refunds=refunds)[0]


def orders_for_email(pks: list[int], *, refunds: bool = False) -> list[Order]:
    """Orders with what their emails show: customer, placing shop, lines, payments
    (with their refunds when asked) and fulfilments with the pickup shop — four or five
    light queries however many orders, as every order gets a receipt. In the order of
    ``pks``; one unknown id makes it NotFound."""
    payments = Payment.objects.all()
    if refunds:
        payments = payments.prefetch_related(
            Prefetch("refunds", queryset=Refund.objects.order_by("id"))
        )
    try:
        ids = [int(pk) for pk in pks]
    except (TypeError, ValueError):
        raise NotFound("Order not found.") from None
    found = {
        order.pk: order
        for order in Order.objects.select_related("customer", "placing_location")
        .prefetch_related(
            "lines",
            Prefetch("payments", queryset=payments),
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related("pickup_location"),
            ),
        )
        .filter(pk__in=set(ids))
    }
    if any(pk not in found for pk in ids):
        raise NotFound("Order not found.")
    return [found[pk] for pk in ids]


def _staff_list(qs: QuerySet[Order]) -> QuerySet[Order]:
    return (
        qs.select_related("customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("fulfilment").order_by("id"),
            ),
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related(
                    "location", "pickup_location", "transfer"
                ),
            ),
        )
        .distinct()
    )


def orders_to_pick(*, location) -> QuerySet[Order]:
    """Placed orders whose goods this shop takes off its shelves: lines sourced here,
    and pickups here whose transfer has arrived; an order still waiting for a transfer
    is not listed yet (it cannot be picked whole). Oldest first."""
    here = Q(fulfilments__location=location, fulfilments__transfer__isnull=True) | Q(
        fulfilments__pickup_location=location,
        fulfilments__transfer__status=TransferStatus.RECEIVED,
    )
    return (
        _staff_list(Order.objects.filter(here, status=OrderStatus.PLACED))
        .exclude(Exists(_transfers_on_the_way()))
        .order_by("created_at", "id")
    )


def _transfers_on_the_way():
    return Fulfilment.objects.filter(
        order=OuterRef("pk"), transfer__isnull=False
    ).exclude(transfer__status=TransferStatus.RECEIVED)


def orders_awaiting_transfer(*, location) -> QuerySet[Order]:
    """Placed pickups at this shop waiting for goods on their way from elsewhere."""
    return _staff_list(
        Order.objects.filter(
            Exists(_transfers_on_the_way()),
            status=OrderStatus.PLACED,
            fulfilments__pickup_location=location,
        )
    ).order_by("created_at", "id")


def pickups_waiting(*, location) -> QuerySet[Order]:
    """Orders ready at this shop's pickup desk, the ones expiring first on top."""
    return _staff_list(
        Order.objects.filter(
            status=OrderStatus.READY,
            fulfilments__pickup_location=location,
            fulfilments__method=FulfilmentMethod.PICKUP,
        )
    ).order_by("pickup_expires_at", "id")


def pickup_qr_payload(order: Order) -> str:
    """What the pickup QR encodes: scanning it at the desk finds the order and code."""
    return f"{PICKUP_QR_PREFIX}:{order.number}:{order.pickup_code}"


def parse_pickup_qr(text: str) -> tuple[str, str] | None:
    """``(number, code)`` from a scanned pickup QR, or None for anything else."""
    parts = (text or "").strip().split(":")
    if len(parts) != 3 or parts[0] != PICKUP_QR_PREFIX:
        return None
    return parts[1].upper(), parts[2].upper()


def find_pickup(*, location, query: str) -> Order | None:
    """A ready order at this shop from a scanned QR, an order number or a pickup code."""
    query = (query or "").strip()
    if not query:
        return None
    scanned = parse_pickup_qr(query)
    waiting = pickups_waiting(location=location)
    if scanned is not None:
        return waiting.filter(number=scanned[0]).first()
    value = query.upper()
    return waiting.filter(Q(number=value) | Q(pickup_code=value)).first()


def replayed_order(
    *, idempotency_key: str, cart: Cart | None = None, customer: Customer | None = None
) -> Order | None:
    """The order an earlier checkout with this key made: from the cart it converted, or
    among the customer's orders. None when the key is new."""
    if not idempotency_key:
        return None
    orders = order_detail_queryset().filter(idempotency_key=idempotency_key)
    if cart is not None and cart.order_id:
        found = orders.filter(pk=cart.order_id).first()
        if found is not None:
            return found
    if customer is not None:
        return orders.filter(idempotency_scope=f"customer:{customer.pk}").first()
    return None


# --- Returns --------------------------------------------------------------------------
#
# Reads of returns and store credit: the desk search, the lists (a fixed number of
# queries whatever their length), what is left to return on an order, and the returns
# rate report.

RETURN_QR_PREFIX = "OMNISTORE-RETURN"
RETURNABLE_ORDER_STATUSES = frozenset(
    {
        OrderStatus.COLLECTED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)
# Returns still owed something by the shop that holds them.
OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)
DESK_RESULTS = 20


def handed_over_at(order: Order) -> datetime | None:
    """When the customer got the goods: collection, delivery, shipment (when delivery
    was never confirmed) or, for a shop sale, the sale itself."""
    if order.collected_at:
        return order.collected_at
    if order.delivered_at:
        return order.delivered_at
    if order.shipped_at:
        return order.shipped_at
    if order.status == OrderStatus.COMPLETED:
        return order.created_at
    return None


def return_deadline(order: Order) -> datetime | None:
    """Last moment of the return window (``OMNISTORE_RETURN_WINDOW_DAYS`` from the
    handover); None while nothing has been handed over."""
    since = handed_over_at(order)
    if since is None:
        return None
    return since + timedelta(days=settings.OMNISTORE_RETURN_WINDOW_DAYS)


def _returned_filter():
    return ~Q(return_lines__return_request__status=ReturnStatus.CANCELLED)


def returnable_lines(order: Order) -> list[OrderLine]:
    """The order's lines, each with ``returned`` (units on returns not cancelled) and
    ``returnable`` (bought minus returned): one query."""
    lines = list(
        OrderLine.objects.filter(order=order)
        .select_related("variant__product")
        .annotate(
            returned=Coalesce(
                Sum("return_lines__quantity", filter=_returned_filter()), Value(0)
            )
        )
        .order_by("id")
    )
    for line in lines:
        line.returnable = max(line.quantity - line.returned, 0)
    return lines


def returned_quantities(order_line_ids) -> dict[int, int]:
    """Units per order line already on returns that are not cancelled."""
    rows = (
        ReturnLine.objects.filter(order_line_id__in=list(order_line_ids))
        .exclude(return_request__status=ReturnStatus.CANCELLED)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {row["order_line_id"]: row["units"] for row in rows}


def return_qr_payload(return_request: Return) -> str:
    """What the return QR encodes: scanning it at any desk opens the return."""
    return f"{RETURN_QR_PREFIX}:{return_request.code}"


def parse_return_code(text: str) -> str | None:
    """A return code from a scanned QR or as typed (``r-abc123``, ``RABC123``)."""
    value = (text or "").strip().upper()
    if value.startswith(f"{RETURN_QR_PREFIX}:"):
        value = value[len(RETURN_QR_PREFIX) + 1 :]
    value = value.replace(" ", "")
    if value.startswith("R-"):
        value = value[2:]
    elif value.startswith("R") and len(value) == 7:
        value = value[1:]
    else:
        return None
    if len(value) != 6 or not value.isalnum():
        return None
    return f"R-{value}"


def _return_lines_prefetch():
    return Prefetch(
        "lines",
        queryset=ReturnLine.objects.select_related(
            "order_line__variant__product"
        ).order_by("id"),
    )


def return_detail_queryset() -> QuerySet[Return]:
    """A return with everything its page, API shape and email show: five queries."""
    return Return.objects.select_related(
        "order",
        "customer",
        "receiving_location",
        "created_by",
        "exchange_order",
    ).prefetch_related(
        _return_lines_prefetch(),
        Prefetch(
            "history",
            queryset=ReturnStatusChange.objects.select_related("actor", "location"),
        ),
        Prefetch(
            "refunds",
            queryset=ReturnRefund.objects.select_related("payment", "refund"),
        ),
        Prefetch(
            "store_credit", queryset=StoreCreditTransaction.objects.order_by("id")
        ),
    )


def return_detail(*, code: str, customer: Customer | None = None) -> Return:
    """One return by its code (or a scanned QR); with ``customer``, only theirs."""
    value = parse_return_code(code)
    found = None
    if value is not None:
        returns = return_detail_queryset().filter(code=value)
        if customer is not None:
            returns = returns.filter(customer=customer)
        found = returns.first()
    if found is None:
        raise NotFound("Return not found.")
    return found


def return_by_id(pk: int) -> Return:
    found = return_detail_queryset().filter(pk=pk).first()
    if found is None:
        raise NotFound("Return not found.")
    return found


def _return_list(qs: QuerySet[Return]) -> QuerySet[Return]:
    return qs.select_related(
        "order", "customer", "receiving_location"
    ).prefetch_related(_return_lines_prefetch())


def customer_returns(customer: Customer) -> QuerySet[Return]:
    """A customer's returns from every channel, newest first: two queries a page."""
    return _return_list(Return.objects.filter(customer=customer)).order_by(
        "-created_at", "-id"
    )


def returns_waiting(*, location: Location) -> QuerySet[Return]:
    """Returns this shop still owes work: started at its counter and not received yet,
    or received here and not refunded. Online-started returns have no shop until they
    are received; every desk finds them by their code. Oldest first, two queries."""
    return _return_list(
        Return.objects.filter(
            receiving_location=location, status__in=OPEN_RETURN_STATUSES
        )
    ).order_by("created_at", "id")


@dataclass
class ReturnDeskSearch:
    """What the returns desk found for a query: one return (code or QR), one order
    (number, receipt or pickup QR), or the returnable orders and open returns of the
    customers the query names (email, phone in any format, loyalty card, name)."""

    query: str
    return_request: Return | None = None
    order: Order | None = None
    orders: list[Order] | None = None
    returns: list[Return] | None = None

    @property
    def empty(self) -> bool:
        return not (self.return_request or self.order or self.orders or self.returns)


def return_desk_search(*, query: str, region: str | None = None) -> ReturnDeskSearch:
    """Everything the desk may look for in one box, in a fixed number of queries."""
    query = (query or "").strip()[:100]
    result = ReturnDeskSearch(query=query)
    if not query:
        return result
    code = parse_return_code(query)
    if code is not None:
        result.return_request = (
            Return.objects.select_related("order").filter(code=code).first()
        )
        if result.return_request is not None:
            return result
    scanned = parse_pickup_qr(query)
    number = scanned[0] if scanned else query.upper()
    result.order = Order.objects.filter(number=number).first()
    if result.order is not None:
        return result
    customers = search_customers(query, region=region, limit=DESK_RESULTS)
    if not customers:
        return result
    ids = [c.pk for c in customers]
    result.orders = list(
        Order.objects.filter(customer_id__in=ids, status__in=RETURNABLE_ORDER_STATUSES)
        .select_related("customer", "placing_location")
        .prefetch_related(_lines())
        .order_by("-created_at", "-id")[:DESK_RESULTS]
    )
    result.returns = list(
        _return_list(
            Return.objects.filter(customer_id__in=ids, status__in=OPEN_RETURN_STATUSES)
        ).order_by("-created_at", "-id")[:DESK_RESULTS]
    )
    return result


def store_credit_history(customer: Customer) -> QuerySet[StoreCreditTransaction]:
    return StoreCreditTransaction.objects.filter(customer=customer).order_by(
        "-created_at", "-id"
    )


def store_credit_discrepancies() -> list[dict]:
    """Customers whose store credit balance is not the sum of their ledger (empty when
    the books are right)."""
    ledger = (
        StoreCreditTransaction.objects.filter(customer=OuterRef("pk"))
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        Customer.objects.annotate(
            ledger=Coalesce(
                Subquery(
                    ledger, output_field=DecimalField(max_digits=12, decimal_places=2)
                ),
                Value(Decimal("0.00")),
            )
        )
        .exclude(ledger=F("store_credit_balance"))
        .values("pk", "store_credit_balance", "ledger")
    )
    return [
        {
            "customer_id": row["pk"],
            "balance": row["store_credit_balance"],
            "ledger": row["ledger"],
        }
        for row in rows
    ]


# --- Returns rate report ----------------------------------------------------------------


@dataclass
class RateRow:
    key: int
    label: str
    sold: int
    returned: int

    @property
    def rate(self) -> float:
        return self.returned / self.sold if self.sold else 0.0

    @property
    def percent(self) -> str:
        return f"{self.rate * 100:.1f}%"


def _sold_lines(since: datetime | None) -> QuerySet[OrderLine]:
    lines = OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
    if since is not None:
        lines = lines.filter(order__created_at__gte=since)
    return lines


def _returned_lines(since: datetime | None) -> QuerySet[ReturnLine]:
    """Units actually back: returns received (refunded, closed), not just asked for."""
    lines = ReturnLine.objects.filter(
        return_request__status__in=[
            ReturnStatus.RECEIVED,
            ReturnStatus.REFUNDED,
            ReturnStatus.CLOSED,
        ]
    )
    if since is not None:
        lines = lines.filter(order_line__order__created_at__gte=since)
    return lines


def returns_rate_by_shop(*, since: datetime | None = None) -> list[RateRow]:
    """Per shop: units handed over there (sold at its counter, collected there, or
    shipped from it) against units returned there. Two grouped queries and one for
    the names."""
    handed = Coalesce("fulfilment__pickup_location", "fulfilment__location")
    sold = {
        row["shop"]: row["units"]
        for row in _sold_lines(since)
        .annotate(shop=handed)
        .values("shop")
        .annotate(units=Sum("quantity"))
        .order_by()
        if row["shop"] is not None
    }
    returned = {
        row["return_request__receiving_location"]: row["units"]
        for row in _returned_lines(since)
        .filter(return_request__receiving_location__isnull=False)
        .values("return_request__receiving_location")
        .annotate(units=Sum("quantity"))
        .order_by()
    }
    ids = set(sold) | set(returned)
    names = dict(Location.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = [
        RateRow(pk, names.get(pk, str(pk)), sold.get(pk, 0), returned.get(pk, 0))
        for pk in ids
    ]
    return sorted(rows, key=lambda r: (-r.rate, -r.returned, r.label))


def returns_rate_by_product(
    *, since: datetime | None = None, limit: int = 20
) -> list[RateRow]:
    """Per product: units sold against units returned, the most returned first."""
    returned_rows = list(
        _returned_lines(since)
        .values("order_line__variant__product", "order_line__variant__product__name")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "order_line__variant__product")[:limit]
    )
    ids = [row["order_line__variant__product"] for row in returned_rows]
    sold = {
        row["variant__product"]: row["units"]
        for row in _sold_lines(since)
        .filter(variant__product__in=ids)
        .values("variant__product")
        .annotate(units=Sum("quantity"))
        .order_by()
    }
    rows = [
        RateRow(
            row["order_line__variant__product"],
            row["order_line__variant__product__name"],
            sold.get(row["order_line__variant__product"], 0),
            row["units"],
        )
        for row in returned_rows
    ]
    return sorted(rows, key=lambda r: (-r.rate, -r.returned, r.label))


def order_returns(order: Order) -> QuerySet[Return]:
    """Every return of one order, oldest first, with its lines: two queries."""
    return _return_list(Return.objects.filter(order=order)).order_by("created_at", "id")


# --- Sales reports (admin) ------------------------------------------------------------

ONLINE_CHANNELS = ("web", "app")


@dataclass
class SalesReport:
    by_channel: list[dict]
    by_shop: list[dict]
    click_and_collect: dict
    cross_channel: dict


def sales_report(*, since=None) -> SalesReport:
    """Sales by channel and by shop, the click-and-collect share of online orders and how
    many customers buy across channels — five aggregate queries whatever the volume.

    A shop's sales are its counter sales (placing location) plus the click-and-collect
    orders handed over or waiting there (pickup location)."""
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED)
    if since is not None:
        orders = orders.filter(created_at__gte=since)
    by_channel = list(
        orders.values("channel")
        .annotate(orders=Count("id"), revenue=Sum("total"))
        .order_by("-revenue")
    )
    shops: dict[int, dict] = {}
    counter = (
        orders.filter(channel__in=["store", "phone"], placing_location__isnull=False)
        .values("placing_location_id", "placing_location__name")
        .annotate(orders=Count("id"), revenue=Sum("total"))
    )
    for row in counter:
        shops[row["placing_location_id"]] = {
            "shop": row["placing_location__name"],
            "counter_orders": row["orders"],
            "counter_revenue": row["revenue"],
            "pickup_orders": 0,
            "pickup_revenue": Decimal("0.00"),
        }
    pickups = (
        orders.filter(fulfilment_method=FulfilmentMethod.PICKUP)
        .values("fulfilments__pickup_location_id", "fulfilments__pickup_location__name")
        .annotate(orders=Count("id", distinct=True), revenue=Sum("total"))
    )
    for row in pickups:
        if row["fulfilments__pickup_location_id"] is None:
            continue
        entry = shops.setdefault(
            row["fulfilments__pickup_location_id"],
            {
                "shop": row["fulfilments__pickup_location__name"],
                "counter_orders": 0,
                "counter_revenue": Decimal("0.00"),
            },
        )
        entry["pickup_orders"] = row["orders"]
        entry["pickup_revenue"] = row["revenue"]
    by_shop = sorted(
        shops.values(),
        key=lambda e: -(e["counter_revenue"] + e.get("pickup_revenue", 0)),
    )
    online = orders.filter(channel__in=ONLINE_CHANNELS).aggregate(
        total=Count("id"),
        pickup=Count("id", filter=Q(fulfilment_method=FulfilmentMethod.PICKUP)),
    )
    online["share"] = (
        round(100 * online["pickup"] / online["total"], 1) if online["total"] else 0.0
    )
    bought_online = orders.filter(customer=OuterRef("pk"), channel__in=ONLINE_CHANNELS)
    bought_in_store = orders.filter(customer=OuterRef("pk"), channel="store")
    cross = (
        Customer.objects.filter(merged_into__isnull=True)
        .annotate(online=Exists(bought_online), in_store=Exists(bought_in_store))
        .aggregate(
            both=Count("id", filter=Q(online=True, in_store=True)),
            online_only=Count("id", filter=Q(online=True, in_store=False)),
            store_only=Count("id", filter=Q(online=False, in_store=True)),
        )
    )
    buyers = sum(cross.values())
    cross["share_both"] = round(100 * cross["both"] / buyers, 1) if buyers else 0.0
    return SalesReport(
        by_channel=by_channel,
        by_shop=by_shop,
        click_and_collect=online,
        cross_channel=cross,
    )
