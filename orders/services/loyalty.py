"""Loyalty points earned by paid orders, credited once per order."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from customers.selectors.loyalty import Tier
from customers.services.loyalty import PointsBooking, earn_points_in_bulk
from omnistore.core.exceptions import NotFound
from orders.models import (
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Return,
    ReturnStatus,
)
from orders.selectors.giftcards import cards_sold_amount
from orders.selectors.loyalty import earning_tiers
from orders.selectors.vat import cancelled_parts_amount

from .common import ORDER_REFERENCE

# The returns whose refund is made: what they gave back is no longer kept.
REFUNDED_RETURNS = (ReturnStatus.REFUNDED, ReturnStatus.CLOSED)


def _annotated(order: Order, name: str, expression) -> Decimal:
    """``order``'s ``name`` as annotated on it, else read with ``expression``."""
    value = getattr(order, name, None)
    if value is None:
        value = (
            Order.objects.filter(pk=order.pk)
            .annotate(**{name: expression})
            .values_list(name, flat=True)
            .first()
        ) or Decimal("0.00")
    return value


def _goods(order: Order) -> Decimal:
    """What an order's points are earned on: its total less the delivery fee and the
    gift cards sold with it (what a card buys earns when it is spent). ``cards_sold``
    is read from the order when annotated (``cards_sold_amount``), else queried."""
    cards = _annotated(order, "cards_sold", cards_sold_amount())
    return order.total - order.delivery_fee - cards


def order_points(
    order: Order, multiplier: Decimal = Decimal("1"), paid_in_points=Decimal("0")
) -> int:
    """The points an order earns: its goods (``_goods``) at the earning rate, times
    the customer's tier ``multiplier``, rounded down. Neither the delivery fee nor
    gift cards sold with it earn, nor the goods points paid for
    (``paid_in_points``, taken as paying the delivery and the cards first): points
    do not earn points."""
    rate = Decimal(str(settings.OMNISTORE_LOYALTY_POINTS_PER_UNIT))
    goods = _goods(order)
    goods -= max(paid_in_points - (order.total - goods), Decimal("0"))
    return max(int(math.floor(goods * rate * multiplier)), 0)


def points_taken_back(
    order: Order, *, refunded: Decimal, parts_cancelled: bool = False
) -> int:
    """How many of the points an order holds (``order.loyalty_points``) a refund of
    its goods takes back: the share ``refunded`` is of the goods those points stand
    on, rounded down, never more than all of them. ``refunded`` is a running total
    (every refund of the goods since the points were last set, this one included;
    the caller takes off what the earlier ones took back), so giving everything back
    in parts takes back exactly what the order earned, and half its goods half.

    The goods are what ``order_points`` earns on, less the parts of a split delivery
    cancelled since: their points went back when they were cancelled.
    ``parts_cancelled`` says ``refunded`` is the goods of the parts being cancelled
    now (already marked so, their points not yet taken back). The cancelled parts
    are read from the order when annotated (``cancelled_goods``), else queried."""
    held = order.loyalty_points
    if held <= 0 or refunded <= 0:
        return 0
    cancelled = _annotated(order, "cancelled_goods", cancelled_parts_amount())
    goods = _goods(order) - cancelled + (refunded if parts_cancelled else 0)
    if goods <= 0:
        return held
    return min(int(math.floor(held * refunded / goods)), held)


def points_kept(order: Order, earned: int, refunds: Sequence[Return]) -> int:
    """The points an order earning ``earned`` still holds when they are credited
    after parts of it were cancelled or returns of it refunded (``refunds``, in the
    order they were refunded): each takes back its share as it would have, had the
    points been there (``points_taken_back``), so crediting late ends where crediting
    on time then taking back ends. ``order.loyalty_points`` is set to the points the
    order stands at after its cancelled parts, and each return's share is written on
    it (``points_reversed``, not saved here), so the returns after it count on from
    there; what is left of the points is returned."""
    order.loyalty_points = earned
    cancelled = _annotated(order, "cancelled_goods", cancelled_parts_amount())
    if cancelled > 0:
        order.loyalty_points -= points_taken_back(
            order, refunded=cancelled, parts_cancelled=True
        )
    refunded, before = Decimal("0.00"), 0
    for ret in refunds:
        refunded += ret.refund_total
        ret.points_reversed = points_taken_back(order, refunded=refunded) - before
        before += ret.points_reversed
    return order.loyalty_points - before


def _reason(order: Order, tier: Tier, earned: int, kept: int) -> str:
    """The ledger's line: the order, the tier when it multiplied the points, and
    what the goods refunded before they were credited took off."""
    reason = f"Order {order.number}"
    if tier.multiplier != 1:
        reason += f" ({tier.name} ×{tier.multiplier.normalize()})"
    if kept < earned:
        reason += f": {earned} points less {earned - kept} on goods refunded"
    return reason


def award_points_for_orders(*, orders: Sequence[Order | int]) -> list[int]:
    """Points for paid orders, once each; a cancelled order earns none. Returns the
    points of each order (0 when it earns none). Each order's multiplier is the one
    of its customer's tier as the points are credited, this order's spend counted
    even while it may be cancelled, their other orders still cancellable not (one
    aggregate query for the whole batch: ``earning_tiers``). An order whose parts
    were cancelled or whose returns were refunded before its points are credited
    earns what it kept (``points_kept``).

    The order rows are locked first, in id order, so this and ``cancel_order`` or
    ``refund_return`` see each other: points are either credited before the cancel
    or the refund (which then takes back its share) or after it (and earned on what
    is kept). The ledger, balances, timelines and orders are then written with the
    same few queries for any number of orders. Inside a caller's transaction (the
    outbox handler) it joins it without a savepoint: it raises only before it
    writes.
    """
    if transaction.get_connection().in_atomic_block:
        return _award_points(orders)
    with transaction.atomic():
        return _award_points(orders)


def _lock_orders(orders: Sequence[Order | int]) -> tuple[list[int], dict[int, Order]]:
    try:
        pks = [o.pk if isinstance(o, Order) else int(o) for o in orders]
        locked = {
            order.pk: order
            for order in Order.objects.select_for_update(no_key=True)
            .filter(pk__in=set(pks))
            .order_by("pk")
            .annotate(
                cards_sold=cards_sold_amount(),
                cancelled_goods=cancelled_parts_amount(),
                returned_goods=_returned_goods(),
            )
            .prefetch_related("payments")
        }
        return pks, {pk: locked[pk] for pk in pks}
    except (KeyError, TypeError, ValueError):
        raise NotFound("Order not found.") from None


def _returned_goods() -> Coalesce:
    """What an order's refunded returns gave back, 0 without any: an expression
    over ``OuterRef("pk")``."""
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(
        Subquery(
            Return.objects.filter(order=OuterRef("pk"), status__in=REFUNDED_RETURNS)
            .order_by()
            .values("order")
            .annotate(amount=Sum("refund_total"))
            .values("amount"),
            output_field=money,
        ),
        Value(Decimal("0.00")),
        output_field=money,
    )


def _refunded_returns(orders: Sequence[Order]) -> dict[int, list[Return]]:
    """The refunded returns of ``orders``, in the order they were refunded (one
    query, none when none of them has any)."""
    orders = [order for order in orders if order.returned_goods > 0]
    if not orders:
        return {}
    found: dict[int, list[Return]] = {order.pk: [] for order in orders}
    for ret in Return.objects.filter(
        order__in=orders, status__in=REFUNDED_RETURNS
    ).order_by("refunded_at", "pk"):
        found[ret.order_id].append(ret)
    return found


def _earned(order: Order, multiplier: Decimal) -> int:
    """What a paid order earns at ``multiplier`` (0 unpaid): on its goods as sold,
    the points paid for none of it. A payment counts as far as it still holds the
    money, or gave it back for goods returned or parts cancelled."""
    taken = [
        p
        for p in order.payments.all()
        if p.status
        in (PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED, PaymentStatus.REFUNDED)
    ]
    paid = sum((p.amount - p.refunded_amount for p in taken), Decimal("0"))
    paid += order.cancelled_goods + order.returned_goods
    in_points = sum(
        (p.amount for p in taken if p.method == PaymentMethod.LOYALTY_POINTS),
        Decimal("0"),
    )
    earned = order_points(order, multiplier, in_points)
    return earned if paid >= order.total else 0


def _award_points(orders: Sequence[Order | int]) -> list[int]:
    pks, due = _lock_orders(orders)
    earning = [
        order
        for order in due.values()
        if order.customer_id is not None
        and order.status != OrderStatus.CANCELLED
        and not order.loyalty_points
    ]
    tiers = earning_tiers(earning)
    refunds = _refunded_returns(earning)
    held: dict[int, int] = {}  # the points each order stands at
    points: dict[int, int] = {}  # the points credited
    bookings = []
    for order in earning:
        earned = _earned(order, tiers[order.pk].multiplier)
        if earned <= 0:
            continue
        kept = points_kept(order, earned, refunds.get(order.pk, []))
        held[order.pk] = order.loyalty_points
        if kept <= 0:
            continue
        points[order.pk] = kept
        bookings.append(
            PointsBooking(
                customer=order.customer_id,
                points=kept,
                reason=_reason(order, tiers[order.pk], earned, kept),
                reference_type=ORDER_REFERENCE,
                reference_id=order.number,
            )
        )
    if bookings:
        earn_points_in_bulk(bookings=bookings)  # profiles locked (and followed) by pk
    _save_points(held, [r for rs in refunds.values() for r in rs])
    return [points.get(pk, 0) for pk in pks]


def _save_points(held: dict[int, int], returns: Sequence[Return]) -> None:
    """The points each order stands at, and the share of them each return refunded
    before they were credited took off."""
    if held:
        Order.objects.filter(pk__in=held).update(
            loyalty_points=Case(
                *(When(pk=pk, then=Value(points)) for pk, points in held.items()),
                default=F("loyalty_points"),
                output_field=IntegerField(),
            )
        )
    taking = [ret for ret in returns if ret.points_reversed and ret.order_id in held]
    if taking:
        Return.objects.bulk_update(taking, ["points_reversed"])
