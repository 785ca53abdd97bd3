"""The storefront's two ways to buy: check out the cart (the signed-in customer's or
an anonymous one's), or buy the lines of one request at once. Both go through
``checkout.place_order``; a repeated ``Idempotency-Key`` returns the first order,
loaded for rendering."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import NoReturn

from customers.models import Customer
from inventory.models import Location
from omnistore.core.channels import Channel
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import Cart, CartLine, CartStatus, FulfilmentMethod, Order
from orders.selectors.carts import (
    cart_lines,
    converted_cart_id,
    find_cart,
    left_out_rows,
    on_sale,
    open_cart_lines,
)
from orders.selectors.orders import order_by_id, replayed_order

from .addresses import clean_address
from .buyer import kept_phone
from .carts import cart_checked_out, current_cart
from .checkout import CheckoutRequest, LineRequest, merge_lines, place_order
from .common import load_variants, replay, request_fingerprint, tenders_fingerprint
from .payments import PaymentRequest


def place_cart_order(
    *,
    customer: Customer | None,
    token: str,
    checkout: CheckoutRequest,
    payment: PaymentRequest,
    tenders: Sequence[PaymentRequest] = (),
    caller: str = "",
) -> Order:
    """Check out the storefront cart (the signed-in customer's, or the anonymous one
    of ``token``) as ``place_order`` does.

    A cart already converted answers a repeated ``idempotency_key`` with its order
    (``idempotent_replay`` True, loaded for rendering) and refuses any other request;
    an empty cart is refused. ``tenders`` (gift cards, store credit, points) pay
    first; ``payment`` pays the rest, if any is left.
    """
    cart, lines = cart_to_check_out(
        customer=customer, token=token, channel=checkout.channel
    )
    payments = [*tenders, payment]
    if not lines:
        earlier = replayed_order(
            idempotency_key=checkout.idempotency_key, cart=cart, customer=customer
        )
        if earlier is not None:
            # the cart that became it: this one, or the customer's converted one
            mine = cart.order_id == earlier.pk
            bought = cart.pk if mine else converted_cart_id(earlier.pk)
            return replay(
                earlier, _retry_fingerprint(earlier, checkout, payments, bought)
            )
        refuse_empty_cart(cart)
    order = place_order(
        lines=[LineRequest(line.variant, line.quantity) for line in lines],
        helped_by={
            line.variant_id: line.helped_by_id for line in lines if line.helped_by_id
        },
        customer=customer,
        payments=payments,
        cart=cart,
        caller=caller,
        fingerprint=_cart_fingerprint(checkout, payments, cart.pk),
        **checkout.arguments(),
    )
    return _loaded_if_replayed(order)


def _cart_fingerprint(
    checkout: CheckoutRequest,
    payments: Sequence[PaymentRequest],
    cart_id: int | None,
    *,
    phone: str | None = None,
) -> str:
    """What a keyed cart checkout asks for: which cart it buys, where the order goes,
    whom to reach (the phone as the order keeps it, ``_phone_as_kept``, so a retry
    typing it another way is the same request, as at buy-now), the code and the
    tenders (the cart stands for its lines, which are gone once it became the
    order). A key sent again with another request is refused, another cart included
    (a signed-in customer's next cart), even once the cart was checked out; a retry
    of the checkout that converted the cart is the same request. ``phone`` replaces
    the phone as kept."""
    if not checkout.idempotency_key:
        return ""
    asked = checkout.arguments()
    asked.pop("idempotency_key")
    asked["pickup_store"] = getattr(asked["pickup_store"], "pk", asked["pickup_store"])
    asked["phone"] = _phone_as_kept(checkout) if phone is None else phone
    return request_fingerprint(
        cart_id,
        asked,
        tenders_fingerprint(payments),
    )


def _retry_fingerprint(
    earlier: Order,
    checkout: CheckoutRequest,
    payments: Sequence[PaymentRequest],
    cart_id: int | None,
) -> str:
    """The fingerprint a retry of the checkout that made ``earlier`` is judged by
    (``_cart_fingerprint``). An order keyed while the fingerprint held the phone as
    typed is matched that way too: a retry sent exactly as it was still replays."""
    fingerprint = _cart_fingerprint(checkout, payments, cart_id)
    if checkout.phone and earlier.idempotency_fingerprint != fingerprint:
        as_typed = _cart_fingerprint(checkout, payments, cart_id, phone=checkout.phone)
        if earlier.idempotency_fingerprint == as_typed:
            return as_typed
    return fingerprint


def _phone_as_kept(checkout: CheckoutRequest) -> str:
    """The phone as the order will keep it (``kept_phone``), a national number read
    where the checkout reads it: at the pickup shop, else in the delivery country."""
    if not checkout.phone:
        return ""
    shop, country = None, ""
    if checkout.fulfilment == FulfilmentMethod.PICKUP:
        shop = checkout.pickup_store
        if not isinstance(shop, Location):
            shop = (
                Location.objects.filter(pk=shop).only("country").first()
                if is_digits(shop)
                else None
            )
    elif checkout.fulfilment == FulfilmentMethod.DELIVERY:
        with suppress(ValidationFailed):  # the checkout refuses the address
            country = clean_address(checkout.address)["country"]
    return kept_phone(checkout.phone, shop=shop, country=country)


def buy_now(
    *,
    lines: Sequence[LineRequest],
    customer: Customer | None,
    checkout: CheckoutRequest,
    payment: PaymentRequest,
    tenders: Sequence[PaymentRequest] = (),
    caller: str = "",
) -> Order:
    """Check out ``lines`` at once, without a cart, as ``place_order`` does; a
    repeated ``idempotency_key`` returns the first order (loaded for rendering).
    ``tenders`` pay first, ``payment`` the rest, as at a cart checkout. An item no
    longer sold is refused as in a cart (409 ``not_for_sale``)."""
    order = place_order(
        lines=_known_lines(lines),
        customer=customer,
        payments=[*tenders, payment],
        caller=caller,
        **checkout.arguments(),
    )
    return _loaded_if_replayed(order)


def _loaded_if_replayed(order: Order) -> Order:
    """An order a repeated key returned, read again with what its page shows."""
    if order.idempotent_replay:
        order = order_by_id(order.pk)
        order.idempotent_replay = True
    return order


def cart_to_check_out(
    *, customer: Customer | None, token: str, channel: str = Channel.WEB
) -> tuple[Cart, list[CartLine]]:
    """The cart and its lines: read together in one query when the cart is open and
    there is nothing to fold; a signed-in request carrying an anonymous cart's token
    folds it first (into a cart of ``channel`` when the customer had none). A
    converted cart comes back without lines. A signed-in customer without an open
    cart gets an empty one that is not stored: a checkout refused for having nothing
    to buy writes nothing. A line no longer for sale refuses
    it (``refuse_lines_not_for_sale``)."""
    lines = []
    if customer is None or not token:
        lines = open_cart_lines(customer=customer, token=token)
    if lines:
        cart = lines[0].cart
    elif customer is not None and not token:
        cart = find_cart(customer=customer) or Cart(customer=customer)
    else:
        cart = current_cart(
            customer=customer, token=token, open_only=False, channel=channel
        )
        _refuse_what_did_not_fit(cart)
    if not lines and cart.status == CartStatus.OPEN:
        lines = cart_lines(cart)
    refuse_lines_not_for_sale(lines)
    return cart, lines


def _refuse_what_did_not_fit(cart: Cart) -> None:
    """A checkout that folded the cart filled before signing in, and could not bring
    in all of it (past the cart's or a line's limit), buys nothing: the customer
    sees what was left out (``extra.not_merged``) and checks out the cart as it now
    is, folded, with a second request."""
    left_out = getattr(cart, "not_merged", None)
    if left_out:
        raise Conflict(
            "Some items of the cart filled before signing in did not fit in your "
            "cart: check it and check out again.",
            code="cart_not_merged",
            extra={"not_merged": left_out_rows(left_out)},
        )


def refuse_lines_not_for_sale(lines: Sequence[CartLine | LineRequest]) -> None:
    """A cart holding an item retired since it was added, or a buy-now naming one,
    is refused as a cart with short lines is: one 409 naming every such line in
    ``extra.lines`` (the shape of ``InsufficientStock``'s, none available), so the
    customer knows what to remove. Each line's ``variant`` is loaded."""
    retired = [line for line in lines if not on_sale(line.variant)]
    if retired:
        raise Conflict(
            "Some items are no longer sold: remove them and check out again.",
            code="not_for_sale",
            extra={
                "lines": [
                    {
                        "variant_id": line.variant.pk,
                        "sku": line.variant.sku,
                        "requested": line.quantity,
                        "available": 0,
                        "location_id": None,
                    }
                    for line in retired
                ]
            },
        )


def _known_lines(lines: Sequence[LineRequest]) -> list[LineRequest]:
    """A buy-now's lines with their variants read (in one query, which checkout
    then needs not repeat): an item no longer sold is refused as at a cart's
    checkout (``refuse_lines_not_for_sale``, a variant named twice counted once
    with its units added up). An id that is no item's is bad input, refused first,
    by checkout (400 on ``variant``)."""
    wanted, loaded = merge_lines(lines)
    loaded.update(load_variants(pk for pk in wanted if pk not in loaded))
    if loaded.keys() >= wanted.keys():
        refuse_lines_not_for_sale(
            [LineRequest(loaded[pk], qty) for pk, qty in wanted.items()]
        )
    return [LineRequest(loaded.get(pk, pk), qty) for pk, qty in wanted.items()]


def refuse_empty_cart(cart: Cart) -> NoReturn:
    """A cart with nothing to buy: already checked out (409), or empty (400)."""
    if cart.status != CartStatus.OPEN:
        raise cart_checked_out()
    raise ValidationFailed("The cart is empty.", extra={"cart": ["The cart is empty."]})
