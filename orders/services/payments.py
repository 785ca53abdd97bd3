"""Money in and out: the tenders a checkout takes, refunds through the payment's
provider, and store credit as a tender.

Store credit is spent and given back through its ledger (``orders.services.credit``):
one conditional ``UPDATE`` with its ledger row, whose unique reference makes every
movement happen once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from inventory.models import Location, LocationKind
from omnistore.core.actors import acting_user
from omnistore.core.channels import is_online
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import (
    CANCELLATION_REFUND,
    FulfilmentMethod,
    Order,
    Payment,
    PaymentEvent,
    PaymentEventKind,
    PaymentMethod,
    PaymentStatus,
    Refund,
    StoreCreditKind,
    TillSession,
)
from orders.payments.base import (
    AuthorisationLapsed,
    ChargeResult,
)
from orders.payments.registry import get_provider
from orders.selectors.payments import refund_sequence, refunded_at_cancellation

from .common import note_in_history, record_order_event, to_money
from .credit import book_store_credit
from .money_back import STORE_CREDIT_PROVIDER, give_back
from .tenders import check_points
from .till import cash_session
from .till_refunds import book_counter_refund

ONLINE_PAYMENT_METHODS = frozenset(
    {
        PaymentMethod.CARD_ONLINE,
        PaymentMethod.GIFT_CARD,
        PaymentMethod.MOBILE_WALLET,
        PaymentMethod.STORE_CREDIT,
        PaymentMethod.LOYALTY_POINTS,
    }
)


EVENT_REFUND = "refund_issued"


@dataclass(frozen=True)
class PaymentRequest:
    """One tender. ``captured`` is a payment already collected (a card presented at
    a shop's terminal): checkout records it as it is instead of charging again. A
    gift card names its ``card_number`` and ``pin``; points their ``points`` (their
    worth is the amount, see ``orders.services.tenders``)."""

    method: str
    token: str = ""
    amount: Decimal | None = None
    captured: ChargeResult | None = None
    card_number: str = field(default="", repr=False)
    pin: str = field(default="", repr=False)
    points: int = 0

    def with_amount(self, amount: Decimal) -> PaymentRequest:
        return replace(self, amount=amount)


def _tender_problem(payment: PaymentRequest) -> str:
    """What a stored-value tender misses before anything is looked up."""
    if payment.method == PaymentMethod.GIFT_CARD and not (
        payment.card_number and payment.pin
    ):
        return "A gift card needs its number and PIN."
    return ""


def _amount_of(payment: PaymentRequest, rest: Decimal, last: bool):
    """The tender's amount: given, the points' worth, or the rest for the last."""
    if payment.method == PaymentMethod.LOYALTY_POINTS and payment.points:
        return check_points(payment.points)
    return rest if payment.amount is None and last else payment.amount


def check_payments(
    payments: Sequence[PaymentRequest] | None, *, total: Decimal, channel: str
) -> list[PaymentRequest]:
    payments = list(payments or [])
    if total == 0:
        return []
    if not payments:
        raise ValidationFailed(
            "Choose how the order is paid.", extra={"payment": ["Required."]}
        )
    clean: list[PaymentRequest] = []
    errors: list[str] = []
    rest = total
    for index, payment in enumerate(payments):
        if payment.method not in PaymentMethod.values:
            errors.append(f"Unknown payment method {payment.method!r}.")
            continue
        if is_online(channel) and payment.method not in ONLINE_PAYMENT_METHODS:
            errors.append(f"{PaymentMethod(payment.method).label} is not taken online.")
            continue
        problem = _tender_problem(payment)
        if problem:
            errors.append(problem)
            continue
        last = index == len(payments) - 1
        stored_value_pays_all = clean and rest == 0 and not payment.points
        if last and payment.amount is None and stored_value_pays_all:
            break  # the stored value pays it all: no card needed for the rest
        amount = _amount_of(payment, rest, last)
        if amount is None or to_money(amount) <= 0:
            errors.append(
                "Each payment needs a positive amount."
                if rest > 0
                else "The payments before this one already pay the order."
            )
            continue
        amount = to_money(amount)
        if amount > rest:
            label = PaymentMethod(payment.method).label
            errors.append(f"{label} pays {amount}, more than the {rest} left to pay.")
            continue
        rest -= amount
        clean.append(payment.with_amount(amount))
    if not errors and rest != 0:
        errors.append(f"Payments must add up to the order total {total}.")
    if errors:
        raise ValidationFailed("The payment is not valid.", extra={"payment": errors})
    return clean


def _refundable(payment: Payment, amount) -> Decimal:
    """``amount`` as money, when the payment took that much and still holds it."""
    try:
        amount = to_money(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationFailed(
            "Enter an amount.", extra={"amount": ["Not a number."]}
        ) from None
    if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        raise Conflict(
            f"The payment is {payment.get_status_display().lower()}: only money "
            "taken can be refunded.",
            code="payment_not_captured",
        )
    if amount <= 0 or amount > payment.refundable:
        raise ValidationFailed(
            f"At most {payment.refundable} {payment.currency} can be refunded.",
            extra={"amount": [f"Between 0.01 and {payment.refundable}."]},
        )
    return amount


def _locked_unless_refunded(
    payment: Payment | int, reference: str
) -> tuple[Payment | int, Refund | None]:
    """The refund ``reference`` already made, else the payment's row locked (its row
    alone: its order, read with it, is locked by the caller first), looked at again
    once locked."""
    if not reference:
        raise ValidationFailed(
            "A refund needs a reference.", extra={"reference": ["Required."]}
        )
    done = Refund.objects.filter(reference=reference).first()
    if done is not None:
        return payment, done
    pk = payment.pk if isinstance(payment, Payment) else payment
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("order")
        .get(pk=pk)
    )
    return payment, Refund.objects.filter(reference=reference).first()


@transaction.atomic
def refund_payment(
    *,
    payment: Payment | int,
    amount: Decimal,
    reason: str,
    reference: str,
    actor=None,
    location: Location | None = None,
    till: TillSession | None = None,
    order: Order | None = None,
) -> Refund:
    """Give money back through the payment's provider, once per ``reference``.

    The payment row is locked, so parallel refunds of one payment queue up and can
    never together exceed what was paid; a repeated ``reference`` returns the first
    refund unchanged (no double refund on a retry). Given at a shop counter
    (``location``, or the device's open ``till``) the refund is booked on the till;
    cash is paid out there only of an open till, checked before anything moves. A
    refund decided away from a counter (a pickup expiring, an online cancellation)
    is recorded on no till: those leave an order holding cash (``cash_held``) to its
    shop's counter, whose till gives the cash back. A closed gift
    card's refund goes to store credit (``give_back``), and the refund says so
    (``given_as``). ``order``: the payment's order as the caller holds it (its
    status perhaps changing), for its history.
    """
    payment, done = _locked_unless_refunded(payment, reference)
    if done is not None:
        return done
    amount = _refundable(payment, amount)
    at_counter = location is not None or till is not None
    if payment.method == PaymentMethod.CASH and at_counter:
        till = cash_session(
            location=location,
            actor=actor,
            session=till,
            paying_out=amount,
            currency=payment.currency,
        )
    back = give_back(
        payment, amount=amount, reference=reference, actor=actor, location=location
    )
    result, elsewhere = back.result, back.elsewhere
    note = "; ".join(part for part in ((reason or "").strip(), elsewhere) if part)
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        currency=payment.currency,
        given_as=back.given_as,
        reason=note[:250],
        reference=reference,
        provider_reference=result.reference,
        actor=acting_user(actor),
    )
    payment.refunded_amount += amount
    was = payment.status
    if payment.refunded_amount == payment.amount:
        payment.status = PaymentStatus.REFUNDED
    payment.save(update_fields=["refunded_amount", "status"])
    if at_counter:
        book_counter_refund(refund=refund, location=location, actor=actor, session=till)
    record_payment_event(
        payment,
        PaymentEventKind.REFUNDED,
        from_status=was,
        amount=amount,
        provider_reference=result.reference,
        actor=actor,
        source=reference,
        note=note,
    )
    _announce_refund(
        order or payment.order, refund, note, elsewhere, actor=actor, location=location
    )
    return refund


def _announce_refund(order, refund, note, elsewhere, *, actor, location) -> None:
    """The line on the customer's timeline; a refund that went elsewhere than the
    payment is also kept in the order's history (who, where, when, why)."""
    now = refund.created_at
    amount = f"{refund.amount} {refund.currency}"
    if elsewhere:
        note_in_history(
            order,
            f"Refund of {amount} {elsewhere}",
            at=now,
            actor=actor,
            location=location,
        )
    record_order_event(
        order,
        EVENT_REFUND,
        f"Refund of {amount} for order {order.number}: {note}",
        actor=actor,
        location=None,
        now=now,
    )


def refund_to_payments(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    reference: str,
    actor=None,
    location: Location | None = None,
    payments: list[Payment] | None = None,
) -> list[Refund]:
    """``amount`` back to the order's payments in ``refund_sequence`` (money first,
    then gift cards, store credit, points; the latest first within a kind), each once
    per ``reference`` (``reference:payment id``). ``payments``: the order's payments
    already locked and in that sequence; else they are here. What they cannot take
    stays unrefunded: a caller that must refund all of it checks first. A gift card
    that takes no money back any more gives it as store credit (``refund_payment``),
    for a cancel, a return and the cancelled parts of a split delivery alike."""
    if payments is None:
        locked = Payment.objects.select_for_update().filter(order=order).order_by("pk")
        payments = refund_sequence(list(locked))
    refunds = []
    remaining = amount
    for payment in payments:
        if remaining <= 0:
            break
        take = min(remaining, payment.refundable)
        if take <= 0:
            continue
        refund = refund_payment(
            payment=payment,
            amount=take,
            reason=reason,
            reference=f"{reference}:{payment.pk}",
            actor=actor,
            location=location,
            order=order,
        )
        refunds.append(refund)
        remaining -= refund.amount
    return refunds


EVENT_PAYMENT_CAPTURED = "payment_captured"
EVENT_PAYMENT_RELEASED = "payment_released"


def captures_at_checkout(method: str, locations: Iterable[Location]) -> bool:
    """Whether checkout takes the money or only holds it. A carry-out sale and a
    parcel from a warehouse are paid at once; a pickup, or a parcel a shop sends, is
    authorised and captured when the goods are handed over or shipped."""
    if method == FulfilmentMethod.CARRY_OUT:
        return True
    if method == FulfilmentMethod.DELIVERY:
        return all(location.kind == LocationKind.WAREHOUSE for location in locations)
    return False


def record_payment_event(
    payment: Payment,
    kind: str,
    *,
    from_status: str,
    amount: Decimal,
    provider_reference: str = "",
    actor=None,
    source: str = "",
    note: str = "",
    now=None,
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        kind=kind,
        from_status=from_status,
        to_status=payment.status,
        amount=amount,
        provider_reference=provider_reference[:100],
        actor=acting_user(actor),
        source=source[:40],
        note=(note or "")[:250],
        at=now or timezone.now(),
    )


def _settle_key(order: Order, payment: Payment) -> str:
    return f"{order.number}:{payment.pk}"


LAPSED_AT_PROVIDER = "The authorisation lapsed at the provider."


class HoldLapsed(AuthorisationLapsed):
    """A hold that cannot be taken. ``found``: the payments the provider was just
    found to have dropped, booked after the refused step's rollback
    (``payment_lapses.recording_lapsed_holds``)."""

    def __init__(self, message, *, found: Sequence[int] = (), **kwargs):
        super().__init__(message, **kwargs)
        self.found = tuple(found)


def _hold_lapsed(order: Order, payment=None, said=None) -> HoldLapsed:
    """The refusal in what staff can do: no payment is taken again for an order
    placed, so it is cancelled and its goods sold anew. A hold the provider took in
    part stays held until its webhook books what was taken."""
    partly = said is not None and said.code == "payment_partly_captured"
    what = (
        "Only part of the card hold for this order was taken; the rest cannot be."
        if partly
        else "The card hold for this order lapsed: it cannot be taken again."
    )
    if order.fulfilment_method == FulfilmentMethod.PICKUP:
        advice = "hand the goods over: cancel the pickup on the order's page"
        then = "sell the items at the counter"
    else:
        advice = "ship it: cancel the order on its page"
        then = "ask the customer to order again"
    return HoldLapsed(
        f"{what} Do not {advice} (its stock goes back on sale and anything taken "
        f"is refunded), then {then}.",
        code=said.code if said else None,
        extra=said.extra if said else {"payment": [LAPSED_AT_PROVIDER]},
        found=[payment.pk] if payment is not None and not partly else [],
    )


def capture_order_payments(*, order: Order, actor=None, now=None) -> list[Payment]:
    """Take the money every authorisation of ``order`` holds, in the handover's
    transaction (the order row is locked by the caller).

    A hold that lapsed — known here (Stripe cancelled it, told by webhook) or found
    now by the provider — raises ``HoldLapsed``: the handover rolls back and the
    desk is told what it can do; goods never leave unpaid.
    """
    now = now or timezone.now()
    payments = list(
        order.payments.select_for_update().filter(
            status__in=[PaymentStatus.AUTHORISED, PaymentStatus.LAPSED]
        )
    )
    if any(p.status == PaymentStatus.LAPSED for p in payments):
        raise _hold_lapsed(order)
    for payment in payments:
        try:
            result = get_provider(payment.provider).capture(
                provider_reference=payment.provider_reference,
                amount=payment.amount,
                currency=payment.currency,
                idempotency_key=_settle_key(order, payment),
            )
        except AuthorisationLapsed as said:
            raise _hold_lapsed(order, payment, said) from said
        payment.status = PaymentStatus.CAPTURED
        payment.save(update_fields=["status"])
        _payment_changed(
            order,
            payment,
            PaymentEventKind.CAPTURED,
            EVENT_PAYMENT_CAPTURED,
            reference=result.reference,
            actor=actor,
            now=now,
        )
    return payments


def _payment_changed(order, payment, kind, timeline_kind, *, reference, actor, now):
    """The payment's history row and the line on the customer's timeline."""
    was = PaymentStatus.AUTHORISED
    record_payment_event(
        payment,
        kind,
        from_status=was,
        amount=payment.amount,
        provider_reference=reference,
        actor=actor,
        source=f"order {order.number}",
        now=now,
    )
    record_order_event(
        order,
        timeline_kind,
        f"Payment of {payment.amount} {payment.currency} "
        f"{PaymentEventKind(kind).label.lower()} for order {order.number}",
        actor=actor,
        location=None,
        now=now,
    )


def cancellation_refund(order: Order) -> Decimal:
    """What cancelling ``order`` would give back: what is left of the money taken
    (authorisations are released, not refunded)."""
    return sum(
        (p.refundable for p in order.payments.all() if refunded_at_cancellation(p)),
        Decimal("0.00"),
    )


def settle_cancelled_order_payments(
    *, order: Order, reason: str, actor=None, now=None, location=None
) -> None:
    """A cancelled order keeps no money: authorisations are released, payments taken
    are refunded in full (once each: the refund reference names order and payment).
    Cash goes back out of the open till at ``location`` (the counter cancelling)."""
    now = now or timezone.now()
    for payment in order.payments.all():
        if payment.status == PaymentStatus.AUTHORISED:
            get_provider(payment.provider).release(
                provider_reference=payment.provider_reference,
                idempotency_key=_settle_key(order, payment),
            )
            payment.status = PaymentStatus.RELEASED
            payment.save(update_fields=["status"])
            _payment_changed(
                order,
                payment,
                PaymentEventKind.RELEASED,
                EVENT_PAYMENT_RELEASED,
                reference=payment.provider_reference,
                actor=actor,
                now=now,
            )
        elif refunded_at_cancellation(payment):
            refund_payment(
                payment=payment,
                amount=payment.refundable,
                reason=reason or f"Order {order.number} cancelled",
                reference=f"{CANCELLATION_REFUND}{_settle_key(order, payment)}",
                actor=actor,
                location=location,
                order=order,
            )


def spend_store_credit(
    *,
    customer: Customer | None,
    order: Order,
    amount: Decimal,
    reference: str,
    actor=None,
) -> ChargeResult:
    """Store credit as a tender at checkout: taken from the customer's balance in the
    order's transaction, so a refused order spends nothing."""
    if customer is None:
        raise ValidationFailed(
            "Store credit belongs to a customer: attach the customer first.",
            extra={"payment": ["Store credit needs the customer's profile."]},
        )
    txn = book_store_credit(
        customer_id=customer.pk,
        amount=-to_money(amount),
        currency=order.currency,
        kind=StoreCreditKind.PAYMENT,
        reason=f"Order {order.number}",
        reference=f"spend:{reference}",
        order=order,
        actor=actor,
    )
    return ChargeResult(
        provider=STORE_CREDIT_PROVIDER,
        reference=txn.reference,
        status=PaymentStatus.CAPTURED,
        amount=to_money(amount),
    )
