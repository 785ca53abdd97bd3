"""A price set at the counter on a line of a shop's sale: below the list price by
more than ``OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT``, or above it at all, it
needs a manager's approval (asked when the price is set, for the line's units, so
checkout only sells at it); above ``MAX_TIMES_LIST`` times the list price it is
refused, to a manager too (a typo, not a price). The list price is the shop's shelf
price, in the sale's currency. Only a shop's (store-channel) basket takes one, with
a reason, kept on the line.

A sale taken at a shop is in the shop's currency (``check_shop_currency``): its
basket, its counter prices and its drawer are, so a pickup or a delivery that would
be sold in another currency is refused rather than priced with a number meant for
the other."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from inventory.models import Variant
from omnistore.core.channels import ASSISTED_CHANNELS, Channel
from omnistore.core.digits import is_amount
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import Cart, CartLine, CartStatus, FulfilmentMethod
from orders.selectors.taxes import shop_prices
from orders.selectors.till import till_currency

from .approvals import guard_price_override
from .carts import check_cart_changeable
from .common import to_money

# A counter price is never more than this many times the item's list price.
MAX_TIMES_LIST = 2


def at_counter_prices(
    loaded: dict[int, Variant], prices: Mapping[int, Decimal] | None, channel: str
) -> dict[int, Variant]:
    """The checkout's variants, those with a counter price as copies at that price,
    so the subtotal, the discount's share and the order line all use it."""
    if not prices:
        return loaded
    if channel not in ASSISTED_CHANNELS:
        raise ValidationFailed("Only a shop or the phone line sets its own prices.")
    priced = dict(loaded)
    for pk, price in prices.items():
        if int(pk) in priced:
            variant = copy.copy(priced[int(pk)])
            variant.price = to_money(price)
            priced[int(pk)] = variant
    return priced


def _line(cart: Cart, line_id) -> CartLine:
    try:
        pk = int(line_id)
    except (TypeError, ValueError):
        pk = None
    line = (
        CartLine.objects.select_for_update()
        .select_related("variant__product")
        .filter(pk=pk, cart=cart)
        .first()
    )
    if line is None:
        raise NotFound("No such line in this basket.")
    return line


def _checked_price(price) -> Decimal:
    """A Decimal, or a text in digits (``is_amount``: never "1e2" or "１０")."""
    try:
        typed = isinstance(price, Decimal) or is_amount(str(price).strip())
        price = to_money(Decimal(str(price).strip())) if typed else None
    except (InvalidOperation, TypeError, ValueError):
        price = None
    if price is None or price <= 0 or not price.is_finite():
        raise ValidationFailed(
            "Enter a price above zero, such as 39.90.",
            extra={"price": ["A price above zero."]},
        )
    return price


def check_shop_currency(
    method: str, currency: str, *, shop, there, address: dict
) -> None:
    """A sale taken at ``shop`` (a counter or the phone line; none online) sold in
    ``currency``: collected at ``there`` (a pickup) or delivered to ``address``.
    Refused, naming both currencies, when that is not the shop's own, before any
    price is applied: the basket was priced, and its counter prices approved, in
    the shop's currency."""
    if shop is None or method == FulfilmentMethod.CARRY_OUT:
        return
    home = till_currency(shop)
    if currency == home:
        return
    if method == FulfilmentMethod.PICKUP:
        goes = f"an order collected at {there.name} is in {currency}"
        extra: dict = {"store": [f"{there.name} sells in {currency}."]}
    else:
        country = address.get("country", "")
        goes = f"an order delivered to {country} is in {currency}"
        extra = {"address": {"country": [f"Orders to {country} are in {currency}."]}}
    raise ValidationFailed(
        f"This shop sells in {home}: {goes}. Sell it at a shop that sells in "
        f"{currency}, or the customer orders it online.",
        code="sale_currency",
        extra=extra,
    )


def _shelf_price(line: CartLine, shop, now: datetime) -> tuple[str, Decimal]:
    """The sale's currency and the line's shelf price in it at ``shop`` (its market's
    price list: francs at a Swiss shop), as the basket shows it and checkout sells
    it; refused for an item with no price there."""
    currency, prices = shop_prices(shop, [line.variant], timezone.localdate(now))
    listed = prices.get(line.variant_id)
    if listed is None:
        message = f"{line.variant.sku} has no price in {currency} at this shop."
        raise ValidationFailed(
            message, code="not_sellable_here", extra={"price": [message]}
        )
    return currency, to_money(listed)


@transaction.atomic
def set_counter_price(
    *,
    cart: Cart,
    line_id,
    price,
    reason: str,
    actor,
    location,
    approvals: Iterable = (),
    now: datetime | None = None,
) -> CartLine:
    """Sell this line at ``price``; ``None`` puts it back at the list price."""
    if cart.channel != Channel.STORE or cart.status != CartStatus.OPEN:
        raise Conflict("Only an open sale at the counter takes a price.")
    check_cart_changeable(cart)
    line = _line(cart, line_id)
    if price is None:
        line.counter_price, line.counter_price_reason = None, ""
        line.save(update_fields=["counter_price", "counter_price_reason"])
        return line
    price = _checked_price(price)
    reason = (reason or "").strip()[:250]
    if not reason:
        raise ValidationFailed(
            "Say why the price changes.", extra={"reason": ["Say why."]}
        )
    now = now or timezone.now()
    currency, listed = _shelf_price(line, location, now)
    ceiling = to_money(listed * MAX_TIMES_LIST)
    if price > ceiling:
        raise ValidationFailed(
            f"A counter price is at most {MAX_TIMES_LIST} times the list price "
            f"({listed} {currency}): {price} cannot be set.",
            code="price_above_limit",
            extra={"price": [f"At most {ceiling}."]},
        )
    guard_price_override(
        line=line,
        listed=listed,
        price=price,
        currency=currency,
        location=location,
        actor=actor,
        reason=reason,
        approvals=approvals,
        now=now,
    )
    line.counter_price, line.counter_price_reason = price, reason
    line.save(update_fields=["counter_price", "counter_price_reason"])
    return line
