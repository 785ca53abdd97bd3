"""What an order's payments took, as staff read it: money taken apart from money
only held.

``paid`` is what the payments took (captured; some of it perhaps refunded since,
which is said apart), never a card hold: a card authorised at checkout is taken at
the pickup or when the parcel leaves, and a hold let go (the order cancelled) or
dropped by the provider (lapsed) took nothing. The order page, the pickup desk and
the CSV export all count it here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from orders.models import Payment, PaymentMethod, PaymentStatus

ZERO = Decimal("0.00")
# Statuses of a payment whose money was taken (a refund leaves it taken, then given
# back: ``refunded_amount``).
TAKEN_STATUSES = (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED)


@dataclass(frozen=True)
class PaymentsTaken:
    """An order's payments summed by what became of them."""

    paid: Decimal  # taken, refunds included
    refunded: Decimal  # given back of what was taken
    held: Decimal  # authorised: taken at the handover or shipping
    released: Decimal  # holds let go: nothing charged
    lapsed: Decimal  # holds the provider dropped: never taken

    @property
    def kept(self) -> Decimal:
        """Taken and not given back: what cancelling would refund."""
        return self.paid - self.refunded


def refunded_at_cancellation(payment: Payment) -> bool:
    """Whether cancelling its order refunds this payment (what is left of it):
    money taken; a hold is let go instead, refunding nothing."""
    return payment.status == PaymentStatus.CAPTURED and payment.refundable > 0


def payments_taken(payments: Iterable[Payment]) -> PaymentsTaken:
    """From payments already loaded (an order's prefetched ``payments.all()``)."""
    sums = dict.fromkeys(PaymentStatus.values, ZERO)
    refunded = ZERO
    for payment in payments:
        sums[payment.status] += payment.amount
        refunded += payment.refunded_amount
    return PaymentsTaken(
        paid=sum((sums[status] for status in TAKEN_STATUSES), ZERO),
        refunded=refunded,
        held=sums[PaymentStatus.AUTHORISED],
        released=sums[PaymentStatus.RELEASED],
        lapsed=sums[PaymentStatus.LAPSED],
    )


def paid_of_row() -> Coalesce:
    """``payments_taken(...).paid`` as an expression of each order row (for a list
    that streams)."""
    taken = (
        Payment.objects.filter(order=OuterRef("pk"), status__in=TAKEN_STATUSES)
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(taken, output_field=money), Value(ZERO))


def hold_lapsed_of_row() -> Exists:
    """Whether an order row has a card hold the provider dropped
    (``payments_taken(...).lapsed``), as an expression (for a list): it is never
    taken, so nothing of the order may leave; the order is cancelled instead."""
    return Exists(
        Payment.objects.filter(order=OuterRef("pk"), status=PaymentStatus.LAPSED)
    )


# Money first, stored value after: see the module's docstring.
REFUND_ORDER = {
    PaymentMethod.CARD_ONLINE: 0,
    PaymentMethod.CARD_IN_STORE: 0,
    PaymentMethod.MOBILE_WALLET: 0,
    PaymentMethod.CASH: 0,
    PaymentMethod.GIFT_CARD: 1,
    PaymentMethod.STORE_CREDIT: 2,
    PaymentMethod.LOYALTY_POINTS: 3,
}


def refund_sequence(payments: list[Payment]) -> list[Payment]:
    """The order's payments in the order a refund goes back to them."""
    latest_first = sorted(payments, key=lambda p: (p.created_at, p.pk), reverse=True)
    return sorted(latest_first, key=lambda p: REFUND_ORDER.get(p.method, 0))
