"""Loyalty points earned by paid orders, credited once per order."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When

from customers.services.loyalty import PointsBooking, earn_points_in_bulk
from omnistore.core.exceptions import NotFound
from orders.models import Order, OrderStatus, PaymentStatus

from .common import ORDER_REFERENCE


def order_points(order: Order) -> int:
    rate = Decimal(str(settings.OMNISTORE_LOYALTY_POINTS_PER_UNIT))
    return int(math.floor(order.total * rate))


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
