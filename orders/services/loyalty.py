"""Loyalty points earned by paid orders, credited once per order."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Sum, Value, When

from customers.selectors.loyalty import Tier
from customers.services.loyalty import PointsBooking, earn_points_in_bulk
from omnistore.core.exceptions import NotFound
from orders.models import (
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
)
from orders.selectors.giftcards import cards_sold_amount
from orders.selectors.loyalty import earning_tiers

from .common import ORDER_REFERENCE


def _goods(order: Order) -> Decimal:
    """What an order's points are earned on: its total less the delivery fee and the
    gift cards sold with it (what a card buys earns when it is spent). ``cards_sold``
    is read from the order when annotated (``cards_sold_amount``), else queried."""
    cards = getattr(order, "cards_sold", None)
    if cards is None:
        cards = (
            Order.objects.filter(pk=order.pk)
            .annotate(cards_sold=cards_sold_amount())
            .values_list("cards_sold", flat=True)
            .first()
        ) or Decimal("0.00")
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
    now (already marked so, their points not yet taken back)."""
    held = order.loyalty_points
    if held <= 0 or refunded <= 0:
        return 0
    cancelled = OrderLine.objects.filter(
        order=order, fulfilment__status=FulfilmentStatus.CANCELLED
    ).aggregate(goods=Sum("line_total"))["goods"] or Decimal("0.00")
    goods = _goods(order) - cancelled + (refunded if parts_cancelled else 0)
    if goods <= 0:
        return held
    return min(int(math.floor(held * refunded / goods)), held)


def _reason(order: Order, tier: Tier) -> str:
    """The ledger's line: the order, and the tier when it multiplied the points."""
    if tier.multiplier == 1:
        return f"Order {order.number}"
    return f"Order {order.number} ({tier.name} ×{tier.multiplier.normalize()})"


def award_points_for_orders(*, orders: Sequence[Order | int]) -> list[int]:
    """Points for paid orders, once each; a cancelled order earns none. Returns the
    points of each order (0 when it earns none). Each order's multiplier is the one
    of its customer's tier as the points are credited, this order's spend counted
    even while it may be cancelled, their other orders still cancellable not (one
    aggregate query for the whole batch: ``earning_tiers``).

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
            .annotate(cards_sold=cards_sold_amount())
            .prefetch_related("payments")
        }
        due = {pk: locked[pk] for pk in pks}
    except (KeyError, TypeError, ValueError):
        raise NotFound("Order not found.") from None
    points: dict[int, int] = {}
    earning = [
        order
        for order in due.values()
        if order.customer_id is not None
        and order.status != OrderStatus.CANCELLED
        and not order.loyalty_points
    ]
    tiers = earning_tiers(earning)
    for order in earning:
        taken = [
            p
            for p in order.payments.all()
            if p.status in (PaymentStatus.CAPTURED, PaymentStatus.AUTHORISED)
        ]
        paid = sum((p.amount for p in taken), Decimal("0"))
        in_points = sum(
            (p.amount for p in taken if p.method == PaymentMethod.LOYALTY_POINTS),
            Decimal("0"),
        )
        earned = order_points(order, tiers[order.pk].multiplier, in_points)
        if earned > 0 and paid >= order.total:
            points[order.pk] = earned
    if points:
        earn_points_in_bulk(  # profiles locked (and followed) by pk there
            bookings=[
                PointsBooking(
                    customer=due[pk].customer_id,
                    points=earned,
                    reason=_reason(due[pk], tiers[pk]),
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
