"""What an erased customer gave up stays given up: the store credit and points a
profile held were written off when it was erased (``forfeit_balance``), so what an
order of theirs paid with them is not given back by a return either. Nobody could
ever spend it on the erased profile, and the ledgers refuse it there
(``book_store_credit``, ``restore_points``): a return whose refund would reach those
payments is refused before anything is written, instead of being received and left
with a refund that can never be made.

A refund goes back to the payments money first, gift cards next, store credit and
points last (``REFUND_ORDER`` in ``orders.services.tenders``): so what reaches the
given-up payments is what the order's other payments can no longer take, after what
its open returns (requested or received, not refunded yet) will take from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from omnistore.core.exceptions import ReturnNotAllowed
from orders.models import Order, PaymentMethod, Return, ReturnLine, ReturnStatus

# The tenders an erased profile's balances paid: written off with its erasure.
GIVEN_UP_TENDERS = (PaymentMethod.STORE_CREDIT, PaymentMethod.LOYALTY_POINTS)
# A return still to be refunded: its refund takes from the payments first.
NOT_REFUNDED_YET = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class GivenUp:
    """Of a refund of ``asked`` (None: any refund), ``part`` would go back to the
    given-up ``tenders`` (their payment methods); the order's other payments can
    take ``room`` more."""

    asked: Decimal | None
    part: Decimal
    room: Decimal
    tenders: tuple[str, ...]
    currency: str

    @property
    def paid_with(self) -> str:
        """The given-up tenders in words: store credit, points, or both."""
        names = {
            PaymentMethod.STORE_CREDIT: "store credit",
            PaymentMethod.LOYALTY_POINTS: "points",
        }
        return " and ".join(names[tender] for tender in self.tenders)

    @property
    def message(self) -> str:
        """Why the return cannot be taken, in the words of the shop floor."""
        it = "it" if self.tenders == (PaymentMethod.STORE_CREDIT,) else "them"
        given_up = (
            f"{self.paid_with} given up when the customer's profile was erased: "
            f"nothing can go back to {it}"
        )
        if self.asked is None:
            return (
                f"What is left of this order was paid with {given_up}, so no "
                "return of it can be taken."
            )
        if not self.room:
            return f"Paid with {given_up}, so this return cannot be taken."
        return (
            f"{self.part} {self.currency} of its {self.asked} {self.currency} refund "
            f"would go back to {given_up}, so this return cannot be taken: the other "
            f"payments take back {self.room} {self.currency} at most, return fewer "
            "items."
        )


def given_up_by_erasure(
    order: Order, amount: Decimal | None = None, *, besides: Return | None = None
) -> GivenUp | None:
    """What of a refund of ``amount`` (None: any refund at all) of ``order`` would go
    back to store credit or points its erased customer gave up, or None: the
    customer is not erased, or the order's other payments take all of it. ``besides``:
    the return the refund is for, when already open, its value not counted again.
    Three queries for an erased customer's order (the profile, the payments, the
    open returns), one for another's."""
    if order.customer_id is None or not order.customer.is_anonymised:
        return None
    payments = list(order.payments.all())
    tenders = tuple(
        method
        for method in GIVEN_UP_TENDERS
        if any(p.method == method and p.refundable > 0 for p in payments)
    )
    if not tenders:
        return None
    kept = sum(
        (p.refundable for p in payments if p.method not in GIVEN_UP_TENDERS),
        Decimal("0.00"),
    )
    room = max(kept - _still_to_refund(order, besides), Decimal("0.00"))
    taken_elsewhere = room > 0 if amount is None else amount <= room
    if taken_elsewhere:
        return None
    held = sum(
        (p.refundable for p in payments if p.method in GIVEN_UP_TENDERS),
        Decimal("0.00"),
    )
    return GivenUp(
        asked=amount,
        part=held if amount is None else amount - room,
        room=room,
        tenders=tenders,
        currency=order.currency,
    )


def check_nothing_given_up(
    order: Order, amount: Decimal, *, besides: Return | None = None
) -> None:
    """Refuse (409 ``given_up_at_erasure``, nothing written) a return of ``order``
    whose refund of ``amount`` would reach what its erased customer gave up
    (``given_up_by_erasure``): asked when a return is started, before a manager is
    asked to approve it, and when the goods of one started online are received."""
    given_up = given_up_by_erasure(order, amount, besides=besides)
    if given_up is None:
        return
    message = given_up.message
    raise ReturnNotAllowed(
        message,
        code="given_up_at_erasure",
        extra={
            "refund": [message],
            "given_up": str(given_up.part),
            "overridable": False,
        },
    )


def _still_to_refund(order: Order, besides: Return | None) -> Decimal:
    """The value of the order's returns not refunded yet (but ``besides``), which
    their refunds will take from its payments first. In cents: a sum SQLite computes
    comes back with the float's digits."""
    lines = ReturnLine.objects.filter(
        return_request__order=order, return_request__status__in=NOT_REFUNDED_YET
    )
    if besides is not None:
        lines = lines.exclude(return_request=besides)
    total = lines.aggregate(total=Sum("amount"))["total"]
    return (total or Decimal("0.00")).quantize(CENT)
