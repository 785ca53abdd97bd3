"""What a refund cannot give back, so no return may be taken for it.

What an erased customer gave up stays given up: the store credit and points a
profile held were written off when it was erased (``forfeit_balance``), so what an
order of theirs paid with them is not given back by a return either. Nobody could
ever spend it on the erased profile, and the ledgers refuse it there
(``book_store_credit``, ``restore_points``). Nor does a gift card that is void or
past its date take money back: its share goes to the customer's store credit, and
where store credit cannot take it either (a sale without a profile, another
currency, an erased profile: ``store_credit_refusal``) the refund is refused
(``orders.services.money_back``). A return whose refund would reach such a payment
is refused before anything is written, instead of being received and left with a
refund that can never be made.

A refund goes back to the payments money first, gift cards next, store credit and
points last (``refund_sequence``): so what the order's payments can still take is
what those before the first one taking nothing hold, after what its open returns
(requested or received, not refunded yet) will take from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from omnistore.core.exceptions import ReturnNotAllowed
from orders.models import (
    Order,
    Payment,
    PaymentMethod,
    Return,
    ReturnLine,
    ReturnStatus,
)
from orders.selectors.credit import erased_holder, store_credit_refusal
from orders.selectors.giftcards import cards_paid_with, gift_card_closed
from orders.selectors.payments import refund_sequence

# The tenders an erased profile's balances paid: written off with its erasure.
GIVEN_UP_TENDERS = (PaymentMethod.STORE_CREDIT, PaymentMethod.LOYALTY_POINTS)
# A return still to be refunded: its refund takes from the payments first.
NOT_REFUNDED_YET = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class GivenUp:
    """Of a refund of ``asked`` (None: any refund), ``part`` would go back to
    payments that take nothing: the given-up ``tenders`` (their payment methods)
    and the closed gift cards of ``cards`` (each said with why store credit cannot
    take its share); the order's other payments can take ``room`` more. ``code``:
    what the first of them reached is."""

    asked: Decimal | None
    part: Decimal
    room: Decimal
    tenders: tuple[str, ...]
    currency: str
    cards: tuple[str, ...] = ()
    code: str = "given_up_at_erasure"

    @property
    def paid_with(self) -> str:
        """What takes nothing back, in words: the closed gift cards, then store
        credit, points or both given up at erasure."""
        names = {
            PaymentMethod.STORE_CREDIT: "store credit",
            PaymentMethod.LOYALTY_POINTS: "points",
        }
        said = list(self.cards)
        if self.tenders:
            it = "it" if self.tenders == (PaymentMethod.STORE_CREDIT,) else "them"
            said.append(
                " and ".join(names[tender] for tender in self.tenders)
                + " given up when the customer's profile was erased: nothing can "
                f"go back to {it}"
            )
        return "; ".join(said)

    @property
    def message(self) -> str:
        """Why the return cannot be taken, in the words of the shop floor."""
        given_up = self.paid_with
        if self.asked is None:
            if self.room:
                return (
                    f"What is left of this order was paid with {given_up}; the other "
                    f"payments take back {self.room} {self.currency} at most, less "
                    "than any item left refunds, so no return of it can be taken."
                )
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
    order: Order,
    amount: Decimal | None = None,
    *,
    besides: Return | None = None,
    smallest: Callable[[], Decimal] | None = None,
) -> GivenUp | None:
    """What of a refund of ``amount`` of ``order`` would go back to payments that
    take nothing (``_taking_nothing``: store credit or points its erased customer
    gave up, a closed gift card whose share store credit cannot take), or None: the
    payments before them take all of it. ``amount`` None: any return at all, the
    smallest refunding what ``smallest`` reads (one unit left; read only when some
    payment takes nothing, else a cent): refused when not even that fits. ``besides``: the return the refund is for, when already open,
    its value not counted again. One query for an order with no stored value to
    give back (its payments), up to four else (the profile, the gift cards, the
    open returns)."""
    payments = list(order.payments.all())
    sequence = [p for p in refund_sequence(payments) if p.refundable > 0]
    nothing = _taking_nothing(order, sequence)
    if not nothing:
        return None
    first = next(i for i, p in enumerate(sequence) if p.pk in nothing)
    kept = sum((p.refundable for p in sequence[:first]), ZERO)
    room = max(kept - _still_to_refund(order, besides), ZERO)
    if amount is None:
        taken_elsewhere = room >= (smallest() if smallest is not None else CENT)
    else:
        taken_elsewhere = amount <= room
    if taken_elsewhere:
        return None
    held = sum((p.refundable for p in sequence[first:]), ZERO)
    blocked = [p for p in sequence if p.pk in nothing]
    return GivenUp(
        asked=amount,
        part=held if amount is None else amount - room,
        room=room,
        tenders=tuple(
            method
            for method in GIVEN_UP_TENDERS
            if any(p.method == method for p in blocked)
        ),
        currency=order.currency,
        cards=tuple(nothing[p.pk] for p in blocked if nothing[p.pk]),
        code=(
            "gift_card_refund_blocked"
            if blocked[0].method == PaymentMethod.GIFT_CARD
            else "given_up_at_erasure"
        ),
    )


def _taking_nothing(order: Order, payments: list[Payment]) -> dict[int, str]:
    """The ``payments`` (still holding some) a refund cannot go back to, by id: the
    store credit and points of an erased customer (said as ""), and the gift cards
    void or past their date (``gift_card_closed``) whose share store credit cannot
    take (``store_credit_refusal``), said with why."""
    if not any(
        p.method in (PaymentMethod.GIFT_CARD, *GIVEN_UP_TENDERS) for p in payments
    ):
        return {}
    customer = order.customer if order.customer_id is not None else None
    nothing = {}
    if customer is not None and erased_holder(customer):
        nothing = {p.pk: "" for p in payments if p.method in GIVEN_UP_TENDERS}
    cards = cards_paid_with(payments)
    now = timezone.now()
    for payment in payments:
        card = cards.get(payment.pk)
        closed = gift_card_closed(card, now=now) if card is not None else ""
        if not closed:
            continue
        refusal = store_credit_refusal(customer=customer, currency=payment.currency)
        if refusal:
            nothing[payment.pk] = (
                f"the gift card {card.masked_number}, which {closed}: nothing can go "
                f"back to it, and {refusal}"
            )
    return nothing


def check_nothing_given_up(
    order: Order, amount: Decimal, *, besides: Return | None = None
) -> None:
    """Refuse (409, nothing written) a return of ``order`` whose refund of
    ``amount`` would reach a payment that takes nothing (``given_up_by_erasure``:
    ``given_up_at_erasure``, or ``gift_card_refund_blocked`` for a closed gift card
    store credit cannot stand in for): asked when a return is started, before a
    manager is asked to approve it, and when its goods are received."""
    given_up = given_up_by_erasure(order, amount, besides=besides)
    if given_up is None:
        return
    message = given_up.message
    raise ReturnNotAllowed(
        message,
        code=given_up.code,
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
