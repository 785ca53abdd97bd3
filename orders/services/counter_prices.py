"""A price set at the counter on a line of a shop's sale: below the list price by
more than ``OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT``, or above it at all, it
needs a manager's approval (asked when the price is set, for the line's units, so
checkout only sells at it); above ``MAX_TIMES_LIST`` times the list price it is
refused, to a manager too (a typo, not a price). The list price is the shop's shelf
price, in the sale's currency. Only a shop's (store-channel) basket takes one, with
a reason, kept on the line. The order line sold at it keeps the shelf price it
replaced, the reason and the approval (``counter_priced``), and the order's history
names each with who approved it (``price_set_history``).

A sale taken at a shop is in the shop's currency (``check_shop_currency``): its
basket, its counter prices and its drawer are, so a pickup or a delivery that would
be sold in another currency is refused rather than priced with a number meant for
the other."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from inventory.models import Variant
from omnistore.approvals.models import Approval
from omnistore.core.channels import ASSISTED_CHANNELS, Channel
from omnistore.core.digits import is_amount
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import (
    Cart,
    CartLine,
    CartStatus,
    FulfilmentMethod,
    OrderStatusChange,
)
from orders.selectors.taxes import shop_prices
from orders.selectors.till import till_currency

from .approvals import (
    approved_by_note,
    guard_price_override,
    latest_price_approvals,
    price_move,
)
from .carts import check_cart_changeable
from .common import to_money

# A counter price is never more than this many times the item's list price.
MAX_TIMES_LIST = 2
# How the order's history names a line sold at a price set at the counter, and the
# room its note has.
PRICE_SET = "Price set at the counter:"
NOTE_MAX = 250


def at_counter_prices(
    loaded: dict[int, Variant], prices: Mapping[int, Decimal] | None, channel: str
) -> dict[int, Variant]:
    """The checkout's variants, those with a counter price as copies carrying it
    (``counter_price``). The sale's terms sell them at it (the subtotal, the
    discount's share and the order line use it) while each keeps its own catalogue
    price, so the shelf price it replaces is still known when the order line is
    written (``counter_priced``)."""
    if not prices:
        return loaded
    if channel not in ASSISTED_CHANNELS:
        raise ValidationFailed("Only a shop or the phone line sets its own prices.")
    priced = dict(loaded)
    for pk, price in prices.items():
        if int(pk) in priced:
            variant = copy.copy(priced[int(pk)])
            variant.counter_price = to_money(price)
            priced[int(pk)] = variant
    return priced


@dataclass(frozen=True)
class CounterPriced:
    """A line of a sale sold at a price set at the counter, as its order line keeps
    it: the price, the shelf price it replaced, why, and the manager's approval it
    was set with (none where no one was asked)."""

    price: Decimal
    shelf_price: Decimal
    reason: str = ""
    approval: Approval | None = None


def counter_priced(
    lines: Iterable[tuple[Variant, int]], cart: Cart | None, shop, now: datetime
) -> dict[int, CounterPriced]:
    """The sale's ``lines`` sold at a counter price (``at_counter_prices``), by
    variant id, each with the shelf price at ``shop`` on the sale's day (the one it
    was set and approved against, as ``set_counter_price`` read it) and the reason
    and approval kept with its basket line. Nothing to read for a sale without one;
    else the basket's lines (one query), their approvals (one, when a price needed
    a manager) and the shop's price list (one, when its market has its own)."""
    variants = [v for v, _ in lines if getattr(v, "counter_price", None) is not None]
    if not variants or shop is None:
        return {}
    _, shelf = shop_prices(shop, variants, timezone.localdate(now))
    basket = {}
    if cart is not None:
        basket = {
            line.variant_id: line
            for line in CartLine.objects.filter(
                cart=cart, variant__in=variants, counter_price__isnull=False
            )
        }
    approved = price_approvals(
        [
            (basket[v.pk], shelf[v.pk])
            for v in variants
            if v.pk in basket and v.pk in shelf
        ],
        location=shop,
    )
    return {
        v.pk: CounterPriced(
            price=v.counter_price,
            shelf_price=shelf[v.pk],
            reason=basket[v.pk].counter_price_reason if v.pk in basket else "",
            approval=approved.get(basket[v.pk].pk) if v.pk in basket else None,
        )
        for v in variants
        if v.pk in shelf
    }


def price_approvals(lines: Iterable[tuple], *, location) -> dict[int, Approval]:
    """The approval each counter price of ``lines`` ((cart line, shelf price) pairs)
    was set with, by cart line id: the latest used for its move (``price_move``), a
    manager's own included; none for a price no one was asked about. One query,
    none when no price needed a manager."""
    moves = {}
    for line, listed in lines:
        move = price_move(line, listed, line.counter_price)
        if move is not None:
            moves[line.pk] = move
    if not moves:
        return {}
    approved = latest_price_approvals({m.subject for m in moves.values()}, location)
    return {pk: approved[m.subject] for pk, m in moves.items() if m.subject in approved}


def price_set_history(
    placed: OrderStatusChange, priced: Mapping[int, CounterPriced], lines
) -> list[OrderStatusChange]:
    """One step of the order's history for each of its ``lines`` sold at a counter
    price, by whom, where and when it was ``placed`` (its status kept): the item,
    the price and the shelf price, why, and the manager who approved it, in the
    note's 250 characters (the reason cut to fit; the order line keeps it whole).
    Not stored yet: the order's placing stores them with its own step."""
    order, steps = placed.order, []
    for variant, _ in lines:
        if variant.pk not in priced:
            continue
        one = priced[variant.pk]
        start = (
            f"{PRICE_SET} {variant.sku} {one.price} instead of {one.shelf_price} "
            f"{order.currency}"
        )
        approved = approved_by_note(one.approval)
        room = NOTE_MAX - len(start) - len(approved) - len(": ")
        why = f": {one.reason[:room]}" if one.reason and room > 0 else ""
        steps.append(
            OrderStatusChange(
                order=order,
                from_status=order.status,
                to_status=order.status,
                actor=placed.actor,
                location=placed.location,
                at=placed.at,
                note=f"{start}{why}{approved}"[:NOTE_MAX],
            )
        )
    return steps


def _line(cart: Cart, line_id) -> CartLine:
    try:
        pk = int(line_id)
    except (TypeError, ValueError):
        pk = None
    line = (  # the line's row alone: never its variant's or product's
        CartLine.objects.select_for_update(of=("self",))
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
