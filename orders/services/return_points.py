"""The loyalty points a refunded return takes back, and how its history says them.

Points for the goods returned leave the balance as far as it holds them; those the
customer spent already are owed (``customers.services.loyalty.reverse_points``) and
come off the next points they earn or get back.
"""

from __future__ import annotations

from decimal import Decimal

from customers.services.loyalty import PointsReversal, reverse_points
from orders.models import RETURN_REFERENCE, Order, Return, ReturnStatus

from .loyalty import points_taken_back

NO_REVERSAL = PointsReversal(asked=0, taken=0)


def reverse_return_points(
    ret: Return, order: Order, amount: Decimal, actor
) -> PointsReversal:
    """Points for the goods returned (``points_taken_back``), on the running total of
    the order's refunded returns, so returning everything in parts takes back exactly
    what was earned. The return keeps its share of the order's points
    (``points_reversed``) whether or not the balance still held them all: those
    already spent are owed (the balance never goes below 0), and the ledger and
    timelines say how many. An order whose points are not credited yet (the order
    locked, so they are not being credited either) takes nothing back: it earns on
    what it kept when they are (``award_points_for_orders``). An erased profile
    gives nothing back either: its erasure wrote off the points it held, and points
    owed on it could never be paid (nobody earns on it again)."""
    if not order.loyalty_points or not order.customer_id:
        return NO_REVERSAL
    if order.customer.is_anonymised:
        return NO_REVERSAL
    earlier = (
        Return.objects.filter(
            order=order, status__in=[ReturnStatus.REFUNDED, ReturnStatus.CLOSED]
        )
        .exclude(pk=ret.pk)
        .values_list("refund_total", "points_reversed")
    )
    refunded = sum((r[0] for r in earlier), Decimal("0.00"))
    reversed_before = sum(r[1] for r in earlier)
    points = points_taken_back(order, refunded=refunded + amount) - reversed_before
    if points <= 0:
        return NO_REVERSAL
    return reverse_points(
        customer=order.customer_id,
        points=points,
        reason=f"Return {ret.code} of order {order.number}",
        reference_type=RETURN_REFERENCE,
        reference_id=ret.code,
        actor=actor,
    )


def points_reversed_said(reversal: PointsReversal) -> str:
    """The points a refund took back, as its history line says them: those already
    spent are owed, taken from the next points earned or given back."""
    if not reversal.asked:
        return ""
    if not reversal.spent:
        return f", {reversal.asked} points reversed"
    return (
        f", {reversal.asked} points reversed ({reversal.spent} of them already "
        "spent: owed, taken from the next points earned or given back)"
    )
