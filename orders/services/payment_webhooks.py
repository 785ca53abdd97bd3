"""Events a payment provider sends about payments: each handled once.

Stripe may deliver an event several times, and at the same time. The event id goes
into ``ProcessedWebhookEvent`` first, in the transaction that applies it: a parallel
delivery waits on the unique constraint and then finds it, a later one finds it at
once; either changes nothing.

A hold that lapses before the goods are handed over (Stripe cancels an uncaptured
intent after some days) cancels the order in the same transaction: its reserved
stock goes back on sale and the customer is told through the outbox (the
cancellation email says the hold expired and nothing was charged). Either way the
desk cannot hand an order over unpaid (``capture_order_payments``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from omnistore.core.exceptions import ValidationFailed
from orders.models import (
    OrderStatus,
    Payment,
    PaymentEventKind,
    PaymentStatus,
    ProcessedWebhookEvent,
)
from orders.payments.stripe import StripePaymentProvider

from .fulfilment import CANCELLABLE_STATUSES, cancel_order
from .payments import record_payment_event

DUPLICATE = "duplicate"
LAPSED_REASON = "The card authorisation lapsed before the order was collected"

# Stripe's event type → what it means for a payment still held (authorised).
HELD_PAYMENT_MOVES = {
    # Captured outside the handover (for example in Stripe's dashboard).
    "payment_intent.succeeded": (PaymentEventKind.CAPTURED, PaymentStatus.CAPTURED),
    # Stripe cancels a hold that was never captured (it expires after some days).
    "payment_intent.canceled": (PaymentEventKind.LAPSED, PaymentStatus.LAPSED),
}


@transaction.atomic
def process_stripe_event(event: dict) -> str:
    """Apply a verified Stripe event once; the outcome says what it changed."""
    provider = StripePaymentProvider.name
    if not event.get("id") or not event.get("type"):
        raise ValidationFailed("Not a Stripe event.", code="not_an_event")
    try:
        with transaction.atomic():
            seen = ProcessedWebhookEvent.objects.create(
                provider=provider,
                event_id=str(event["id"])[:100],
                kind=str(event.get("type", ""))[:100],
            )
    except IntegrityError:
        return DUPLICATE
    outcome = _apply(event)
    seen.outcome = outcome[:250]
    seen.save(update_fields=["outcome"])
    return outcome


def _apply(event: dict) -> str:
    move = HELD_PAYMENT_MOVES.get(event.get("type", ""))
    if move is None:
        return "ignored"
    intent = (event.get("data") or {}).get("object") or {}
    payment = (
        Payment.objects.select_for_update()
        .filter(
            provider=StripePaymentProvider.name, provider_reference=intent.get("id")
        )
        .first()
    )
    if payment is None:
        return "unknown payment"
    if payment.status != PaymentStatus.AUTHORISED:
        return f"payment already {payment.status}"
    kind, status = move
    payment.status = status
    payment.save(update_fields=["status"])
    record_payment_event(
        payment,
        kind,
        from_status=PaymentStatus.AUTHORISED,
        amount=payment.amount,
        provider_reference=payment.provider_reference,
        source=str(event["id"]),
        note=f"Stripe event {event.get('type')}",
        now=timezone.now(),
    )
    if status == PaymentStatus.LAPSED:
        return f"payment {payment.pk} {status}; " + _lapsed(payment)
    return f"payment {payment.pk} {status}"


def _lapsed(payment: Payment) -> str:
    """The order a lapsed hold paid for is cancelled while it still can be (stock
    released, the customer told); otherwise the lapsed payment, with its event, is
    the record, and the handover refuses it."""
    order = payment.order
    if order.status not in CANCELLABLE_STATUSES:
        return f"order {order.number} kept ({order.status})"
    cancel_order(order=order, reason=LAPSED_REASON)
    return f"order {order.number} {OrderStatus.CANCELLED}"
