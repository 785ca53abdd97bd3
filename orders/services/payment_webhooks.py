"""Events a payment provider sends about payments: each handled once.

Stripe may deliver an event several times, and at the same time. The event id goes
into ``ProcessedWebhookEvent`` first, in the transaction that applies it: a parallel
delivery waits on the unique constraint and then finds it, a later one finds it at
once; either changes nothing. A signed body that is not an event about a payment
intent (not an object, no id or type, no intent in ``data.object``) is refused with
400 and changes nothing.

A hold that lapses before the goods are handed over (Stripe cancels an uncaptured
intent after some days) cancels the order in the same transaction: its reserved
stock goes back on sale and the customer is told through the outbox (the
cancellation email says the hold expired and nothing was charged). Either way the
desk cannot hand an order over unpaid (``capture_order_payments``).

A hold captured outside the handover (in Stripe's dashboard) is booked for what
Stripe received (``amount_received``), never for more. Captured in part, the payment
keeps what was taken and the rest, which Stripe no longer holds, becomes a payment
of its own in ``lapsed``: the desk refuses the handover until it is paid, a
cancellation refunds only what was taken, and the order's history says what is
missing. Captured in another currency or for more than was held, nothing is booked:
the payment stays held, the order's history says why, and the desk's capture
refuses it (Stripe's intent no longer matches the payment).

An event about an intent no payment uses is stored as ``unknown payment <intent>``;
one saying it was confirmed (paid, or held: ``CONFIRMED_EVENTS``) is what the sweep
of unclaimed payments gives back when no order took it after a grace period
(``payment_release``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from omnistore.core.exceptions import ValidationFailed
from orders.models import (
    CANCELLABLE_STATUSES,
    OrderStatus,
    Payment,
    PaymentEventKind,
    PaymentStatus,
    ProcessedWebhookEvent,
)
from orders.payments.stripe import StripePaymentProvider, from_minor

from .common import note_in_history
from .fulfilment import cancel_order
from .payment_release import CONFIRMED_EVENTS, unknown_payment
from .payments import record_payment_event

DUPLICATE = "duplicate"
LAPSED_REASON = "The card authorisation lapsed before the order was collected"
# The reference of what Stripe no longer holds of a payment captured in part.
UNCAPTURED_SUFFIX = ":uncaptured"

SUCCEEDED = "payment_intent.succeeded"
# Stripe's event type → what it means for a payment still held (authorised).
HELD_PAYMENT_MOVES = {
    # Captured outside the handover (for example in Stripe's dashboard).
    SUCCEEDED: (PaymentEventKind.CAPTURED, PaymentStatus.CAPTURED),
    # Stripe cancels a hold that was never captured (it expires after some days).
    "payment_intent.canceled": (PaymentEventKind.LAPSED, PaymentStatus.LAPSED),
}


@transaction.atomic
def process_stripe_event(event) -> str:
    """Apply a verified Stripe event (the signed JSON body) once; the outcome says
    what it changed."""
    intent = _payment_intent(event)
    try:
        with transaction.atomic():
            seen = ProcessedWebhookEvent.objects.create(
                provider=StripePaymentProvider.name,
                event_id=event["id"][:100],
                kind=event["type"][:100],
            )
    except IntegrityError:
        return DUPLICATE
    outcome = "ignored" if intent is None else _apply(event, intent)
    seen.outcome = outcome[:250]
    seen.save(update_fields=["outcome"])
    return outcome


def _payment_intent(event) -> dict | None:
    """The payment intent an event we act on is about (None for other events);
    ``ValidationFailed`` (400) for a body that is not such an event."""
    if not (
        isinstance(event, dict) and _text(event.get("id")) and _text(event.get("type"))
    ):
        raise ValidationFailed("Not a Stripe event.", code="not_an_event")
    if event["type"] not in HELD_PAYMENT_MOVES and event["type"] not in (
        CONFIRMED_EVENTS
    ):
        return None
    data = event.get("data")
    intent = data.get("object") if isinstance(data, dict) else None
    if not (isinstance(intent, dict) and _text(intent.get("id"))):
        raise ValidationFailed(
            "The event carries no payment intent.", code="not_a_payment_intent"
        )
    if event["type"] == SUCCEEDED and not (
        _count(intent.get("amount_received")) and _text(intent.get("currency"))
    ):
        raise ValidationFailed(
            "The event does not say what Stripe received.",
            code="not_a_payment_intent",
        )
    return intent


def _text(value) -> bool:
    return isinstance(value, str) and bool(value)


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _apply(event: dict, intent: dict) -> str:
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(provider=StripePaymentProvider.name, provider_reference=intent["id"])
        .first()
    )
    if payment is None:
        return unknown_payment(intent["id"])
    if event["type"] not in HELD_PAYMENT_MOVES:  # confirmed: its payment knows it
        return f"payment {payment.pk} {payment.status}"
    if payment.status != PaymentStatus.AUTHORISED:
        return f"payment {payment.pk} already {payment.status}"
    kind, status = HELD_PAYMENT_MOVES[event["type"]]
    if status == PaymentStatus.CAPTURED:
        received = _received(intent, payment)
        if received is None or not 0 < received <= payment.amount:
            return _not_booked(intent, payment)
        if received < payment.amount:
            return _captured_short(event, payment, received)
    _move(payment, kind, status, event=event, amount=payment.amount)
    if status == PaymentStatus.LAPSED:
        return f"payment {payment.pk} {status}; " + _lapsed(payment)
    return f"payment {payment.pk} {status}"


def _move(payment: Payment, kind, status, *, event: dict, amount, note="") -> None:
    """The held payment moves to ``status``, with its history row."""
    payment.status = status
    payment.save(update_fields=["status", "amount"])
    record_payment_event(
        payment,
        kind,
        from_status=PaymentStatus.AUTHORISED,
        amount=amount,
        provider_reference=payment.provider_reference,
        source=event["id"],
        note=note or f"Stripe event {event['type']}",
        now=timezone.now(),
    )


def _received(intent: dict, payment: Payment) -> Decimal | None:
    """What Stripe took, in the payment's currency (None in another one)."""
    if intent["currency"].lower() != payment.currency.lower():
        return None
    return from_minor(intent["amount_received"], payment.currency)


def _captured_short(event: dict, payment: Payment, received: Decimal) -> str:
    """Stripe took part of the hold and let the rest go: the payment is booked for
    what was taken, the rest lapses as a payment of its own, which the desk refuses
    to hand the goods over on (``capture_order_payments``)."""
    held, currency = payment.amount, payment.currency
    missing = held - received
    said = (
        f"Stripe captured {received} of the {held} {currency} held; "
        f"{missing} {currency} was not taken"
    )
    rest = Payment.objects.create(
        order=payment.order,
        method=payment.method,
        amount=missing,
        currency=currency,
        provider=payment.provider,
        provider_reference=f"{payment.provider_reference}{UNCAPTURED_SUFFIX}"[:100],
        status=PaymentStatus.AUTHORISED,  # the part of the hold Stripe let go
        created_at=payment.created_at,
    )
    payment.amount = received
    _move(
        payment,
        PaymentEventKind.CAPTURED,
        PaymentStatus.CAPTURED,
        event=event,
        amount=received,
        note=said,
    )
    _move(
        rest,
        PaymentEventKind.LAPSED,
        PaymentStatus.LAPSED,
        event=event,
        amount=missing,
        note=said,
    )
    _flag(payment, f"{said}: take it before handing the goods over, or cancel.")
    return (
        f"payment {payment.pk} captured {received} of {held} {currency}; "
        f"{missing} not taken (payment {rest.pk} lapsed)"
    )


def _not_booked(intent: dict, payment: Payment) -> str:
    """Stripe took something that does not match the payment (another currency,
    nothing, more than was held): nothing is booked and staff are told."""
    currency = intent["currency"].upper()
    taken = from_minor(intent["amount_received"], currency)
    said = (
        f"Stripe reports {taken} {currency} captured for the {payment.amount} "
        f"{payment.currency} held; not booked: check the payment in Stripe"
    )
    _flag(payment, said)
    return f"payment {payment.pk} kept {payment.status}: {said}"


def _flag(payment: Payment, note: str) -> None:
    """The order's history, which staff read on the order's page, says what went
    wrong with its payment (the order keeps its status)."""
    order = payment.order
    note_in_history(order, note, at=timezone.now())


def _lapsed(payment: Payment) -> str:
    """The order a lapsed hold paid for is cancelled while it still can be (stock
    released, the customer told); otherwise the lapsed payment, with its event, is
    the record, and the handover refuses it."""
    order = payment.order
    if order.status not in CANCELLABLE_STATUSES:
        return f"order {order.number} kept ({order.status})"
    cancel_order(order=order, reason=LAPSED_REASON)
    return f"order {order.number} {OrderStatus.CANCELLED}"
