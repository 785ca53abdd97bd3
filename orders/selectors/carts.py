"""Reads of carts: the storefront reads a cart on every request, so these are SQL."""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from typing import NamedTuple

from django.core import signing

from customers.models import Customer
from inventory.models import Product, StockLevel, Variant, free_units_sql
from inventory.selectors import VARIANT_ON_SALE, sourcing_locations_sql
from omnistore.core.channels import Channel
from omnistore.core.db import connection_for, fetch, load
from omnistore.core.exceptions import NotFound
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


def converted_cart_id(order_id: int) -> int | None:
    """The cart checked out into this order; None for an order made without one."""
    return Cart.objects.filter(order_id=order_id).values_list("pk", flat=True).first()


def started_cart(*, token: str, channel: str = Channel.WEB) -> Cart | None:
    """The empty open cart that a token issued by ``services.start_cart`` stands for
    until its first line stores it, of ``channel`` (the client's: the request that
    adds the first line stores it so); None for a token that is not ours."""
    try:
        CART_TOKENS.unsign(token)
    except signing.BadSignature:
        return None
    return Cart(token=token, channel=channel)


def anonymous_cart(
    *, token: str, open_only: bool = True, channel: str = Channel.WEB
) -> Cart:
    """The anonymous cart of ``token``: stored, or started and empty until its first
    line (see ``started_cart``: of ``channel``); ``open_only=False`` also finds one
    already converted (a checkout retried). Not found without a token, for a token
    that is not ours, and for a cart no longer open unless ``open_only`` is False."""
    if not token:
        raise NotFound("No cart yet: POST /api/v1/cart/ starts one.")
    cart = find_cart(token=token, open_only=False) or started_cart(
        token=token, channel=channel
    )
    if cart is None or (open_only and cart.status != CartStatus.OPEN):
        raise NotFound("Cart not found.")
    return cart


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


def cart_has_lines(cart: Cart | None) -> bool:
    """Whether a stored cart holds a line (one short query)."""
    return cart is not None and CartLine.objects.filter(cart_id=cart.pk).exists()


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


def on_sale(variant: Variant) -> bool:
    """Whether a cart line's item is still sold: the variant and its product active,
    as ``services.common.sellable_variants`` reads them (a line loaded with its
    variant and product costs no query)."""
    return variant.active and variant.product.active


# ``on_sale`` as a filter of cart lines, for queries over many carts.
LINE_ON_SALE = VARIANT_ON_SALE


# The most different items a cart holds (adding a line refuses past it; a fold
# brings in lines only up to it).
MAX_LINES = 50

# Why a fold left units of an item out: the cart already held ``MAX_LINES`` items, or
# the line already held the most units of one item.
CART_FULL = "cart_full"
LINE_FULL = "line_full"


class LeftOut(NamedTuple):
    """Units of a folded cart's line that the fold did not bring in, and why."""

    line: CartLine
    quantity: int
    reason: str


def left_out_rows(left_out) -> list[dict]:
    """What a fold left out, as the storefront says it: variant, SKU, name, units and
    why (``cart_full``, ``line_full``)."""
    return [
        {
            "variant": left.line.variant_id,
            "sku": str(left.line.variant.sku),
            "name": str(left.line.variant.name),
            "quantity": left.quantity,
            "reason": left.reason,
        }
        for left in left_out
    ]


class Fold(NamedTuple):
    lines: list[CartLine]
    left_out: list[LeftOut]


def fold_lines(
    *, into: Cart, kept: Sequence[CartLine], folded: Sequence[CartLine], most: int
) -> Fold:
    """The lines ``into`` holds once another cart's lines (``folded``) fold into its
    own (``kept``), and what is left out: the one rule for a visitor signing in and
    for customers merging, so what a read shows before the fold is what the fold
    stores.

    A variant in both carts keeps ``into``'s line, the quantities added up to at most
    ``most``; a variant only in ``folded`` comes in after the kept lines, in the order
    it was added there, with the id of the folded cart's line (the fold stores a new
    row: a write naming that id finds it), while the cart holds fewer than
    ``MAX_LINES``. The units past either limit are left out (``LINE_FULL``,
    ``CART_FULL``): they stay in the folded cart, no longer open, so the customer is
    told. A line without an associate to credit takes the folded line's. Copies: the
    lines passed in are untouched.
    """
    lines = {line.variant_id: copy(line) for line in kept}
    left_out = []
    for theirs in folded:
        line = lines.get(theirs.variant_id)
        if line is None:
            if len(lines) >= MAX_LINES:
                left_out.append(LeftOut(theirs, theirs.quantity, CART_FULL))
                continue
            line = lines[theirs.variant_id] = copy(theirs)
            line.cart, line.quantity = into, 0
        room = max(most - line.quantity, 0)
        if theirs.quantity > room:
            left_out.append(LeftOut(theirs, theirs.quantity - room, LINE_FULL))
        line.quantity += min(theirs.quantity, room)
        line.helped_by_id = line.helped_by_id or theirs.helped_by_id
    return Fold(list(lines.values()), left_out)


def signed_in_cart(
    *, customer: Customer | None, token: str = "", most: int, channel: str = Channel.WEB
) -> tuple[Cart, list[CartLine]]:
    """A signed-in customer's cart and its lines as the next write will find them,
    read without writing (a GET may be a prefetch, a retry or a crawler).

    With the token of an open anonymous cart the lines are the customer's with that
    cart's folded in (``fold_lines``, quantities at most ``most``): the next write
    folds it and stores exactly these, and the cart's ``not_merged`` lists what the
    fold leaves out (``LeftOut``), as that write's will. Without a profile or an open
    cart yet the cart is an empty open one not stored yet, with no token until the
    first write stores it (of ``channel``, the client's), as a started anonymous cart
    is stored with its first line.
    A folded cart dates from the later change of the two.
    """
    cart = find_cart(customer=customer) if customer is not None else None
    lines = cart_lines(cart) if cart is not None else []
    if cart is None:
        cart = Cart(token="", customer=customer, channel=channel)
    source = find_cart(token=token) if token else None
    if source is None:
        return cart, lines
    cart.updated_at = max(cart.updated_at, source.updated_at)
    fold = fold_lines(into=cart, kept=lines, folded=cart_lines(source), most=most)
    cart.not_merged = fold.left_out
    return cart, fold.lines


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
