"""Reads of carts: the storefront reads a cart on every request, so these are SQL."""

from __future__ import annotations

from django.core import signing

from customers.models import Customer
from inventory.models import Product, StockLevel, Variant, free_units_sql
from inventory.selectors import sourcing_locations_sql
from omnistore.core.db import connection_for, fetch, load
from orders.models import CART_TOKENS, Cart, CartLine, CartStatus


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


_UNITS = free_units_sql("s")
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
