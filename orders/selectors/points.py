"""Which of a customer's points can be spent now.

Points an order earned are credited when it is placed, but spent only once its goods
are handed over: spent at once, a cancel would take back points already gone. So the
points that can be spent now are the balance less the points the customer's orders
not handed over yet still hold: what they earned less what their returns and
cancelled parts took back already (those are off the balance, not waiting on it).
Checkout refuses points beyond that
(``orders.services.tenders``) and the storefront shows it (``/me/loyalty/``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import Customer
from orders.models import Order, OrderStatus, Return

# Orders whose points are credited but whose goods are not handed over yet.
NOT_HANDED_OVER = (
    OrderStatus.PLACED,
    OrderStatus.PICKED,
    OrderStatus.READY,
    OrderStatus.SHIPPED,
)


@dataclass(frozen=True)
class SpendablePoints:
    """A customer's points balance and the part of it still waiting on orders."""

    balance: int
    pending: int

    @property
    def now(self) -> int:
        """The points that can be spent now (never below 0)."""
        return max(self.balance - self.pending, 0)


def spendable_points(customer: Customer) -> SpendablePoints:
    """``customer``'s points as their row was read (lock it first to spend from
    it) and the points their orders not handed over yet still hold, in one query:
    ``Order.loyalty_points`` is what an order earned less its cancelled parts' share,
    its returns' shares (``Return.points_reversed``) are taken off here."""
    returned = (
        Return.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(points=Sum("points_reversed"))
        .values("points")
    )
    pending = (
        Order.objects.filter(customer_id=customer.pk, status__in=NOT_HANDED_OVER)
        .annotate(
            held=F("loyalty_points")
            - Coalesce(Subquery(returned), Value(0), output_field=IntegerField())
        )
        .aggregate(points=Sum("held"))["points"]
        or 0
    )
    return SpendablePoints(balance=customer.points_balance, pending=pending)
