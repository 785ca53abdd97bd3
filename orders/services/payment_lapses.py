"""A card hold found lapsed when its money was to be taken stays on record.

The refusal (``HoldLapsed``) rolls back the step that found it (the handover), so
the lapse is booked after that transaction has ended, in one of its own, as Stripe's
webhook books one: the payment ``lapsed``, its event, and a line in the order's
history saying who found it, where and when. A hold the webhook (or a colleague)
booked meanwhile is left as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from inventory.models import Location
from orders.models import Payment, PaymentEventKind, PaymentStatus

from .common import note_in_history
from .payments import HoldLapsed, record_payment_event

FOUND_LAPSED = (
    "Card hold of {amount} {currency} found lapsed at the provider: nothing was "
    "taken and the goods were not handed over"
)


def recording_lapsed_holds(step):
    """Book the holds ``step`` found lapsed once its refusal has rolled it back
    (``actor``, ``location`` and ``now`` as ``step`` was given them)."""

    @functools.wraps(step)
    def recorded(**kwargs):
        try:
            return step(**kwargs)
        except HoldLapsed as refusal:
            if refusal.found:
                record_lapsed_holds(
                    payments=refusal.found,
                    actor=kwargs.get("actor"),
                    location=kwargs.get("location"),
                    now=kwargs.get("now") or timezone.now(),
                )
            raise

    return recorded


@transaction.atomic
def record_lapsed_holds(
    *,
    payments: Sequence[int],
    actor,
    location: Location | None = None,
    now: datetime,
) -> list[Payment]:
    """The held ``payments`` (ids) become ``lapsed``: each with its event and a line
    in its order's history (status unchanged), found by ``actor`` at ``location``.
    Rows locked in pk order; one no longer held is left alone."""
    held = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(pk__in=payments, status=PaymentStatus.AUTHORISED)
        .order_by("pk")
    )
    lapsed = []
    for payment in held:
        order = payment.order
        note = FOUND_LAPSED.format(amount=payment.amount, currency=payment.currency)
        payment.status = PaymentStatus.LAPSED
        payment.save(update_fields=["status"])
        record_payment_event(
            payment,
            PaymentEventKind.LAPSED,
            from_status=PaymentStatus.AUTHORISED,
            amount=payment.amount,
            provider_reference=payment.provider_reference,
            actor=actor,
            source=f"order {order.number}",
            note=note,
            now=now,
        )
        note_in_history(order, note, at=now, actor=actor, location=location)
        lapsed.append(payment)
    return lapsed
