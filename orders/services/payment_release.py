"""Money a confirmed payment intent took, given back when no order took it.

The storefront confirms an intent with the provider before it checks out. When the
checkout then refuses it, or never comes (the app went away after the customer
confirmed), the money would stay taken, or held, with no order. So:

- a checkout, buy now or e-gift card purchase refused with a 402 or 409 (the cart
  changed, the stock went, ...) gives back the intent it was sent with, when the
  intent was made for that cart or purchase (``giving_back_when_refused``); its
  answer says so. A 400 (input to correct and send again) keeps it;
- Stripe's event about an intent confirmed (paid, or held) that no payment knows is
  stored with the intent's id (``unknown_payment``); once
  ``OMNISTORE_UNCLAIMED_PAYMENT_GRACE`` minutes have passed, the periodic sweep
  (``release_unclaimed_payments``) gives it back the same way if still no payment
  uses it, and marks the event with what became of it.

Given back means a held intent cancelled, a paid one refunded in full. Never an
intent a payment uses: the check and the giving back hold the intent's lock
(``lock_intent``), which checkout holds too from before it charges the intent until
its order commits (``refuse_given_back``), and a checkout coming after finds the
intent given back and is refused. Each intent is given back once: the provider's
idempotency key names it (``unclaimed:<intent>``), and the record of it (what, who
for, why, when) is a ``ProcessedWebhookEvent`` row ``release:<intent>``, unique.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from omnistore.core.exceptions import ApplicationError
from orders.models import ProcessedWebhookEvent
from orders.payments.base import (
    PaymentDeclined,
    PaymentProvider,
    PaymentUnavailable,
    storefront_tag,
)
from orders.payments.registry import get_provider, provider_for
from orders.payments.stripe import StripePaymentProvider
from orders.selectors.orders import payments_taken

from .payments import PaymentRequest

logger = logging.getLogger(__name__)

# Refusals that end the purchase as it was asked: its payment is given back.
GIVEN_BACK_ON = frozenset({402, 409})
GIVEN_BACK_CODE = "payment_given_back"
RECORD_PREFIX = "release:"
REFUNDED = "unclaimed_payment.refunded"
RELEASED = "unclaimed_payment.released"
# Stripe's events saying an intent was confirmed: paid, or held for a later capture.
CONFIRMED_EVENTS = frozenset(
    {"payment_intent.succeeded", "payment_intent.amount_capturable_updated"}
)
# The outcome of such an event no payment knows: "unknown payment <intent>".
UNKNOWN_PAYMENT = "unknown payment"
# Between that outcome and what the sweep did with it.
SWEPT = "; "
SWEEP_BATCH = 100


def unknown_payment(intent: str) -> str:
    """The outcome stored for an event about an intent no payment uses."""
    return f"{UNKNOWN_PAYMENT} {intent}"


@dataclass(frozen=True)
class Release:
    """What became of an intent no order took: given back (``refunded``, or the
    hold ``released``) or ``kept``, in words (``note``)."""

    intent: str
    done: str
    note: str
    amount: Decimal | None = None
    currency: str = ""
    earlier: bool = False  # given back before this call

    @property
    def given_back(self) -> bool:
        return self.done != "kept"

    def told(self) -> str:
        """What the refused customer reads of it."""
        money = f"{self.amount} {self.currency}" if self.amount is not None else ""
        if self.done == "refunded":
            what = f"the {money} paid by card" if money else "the card payment"
            return f"Nothing was charged: {what} was refunded."
        what = f"the hold of {money} on the card" if money else "the hold on the card"
        return f"Nothing was charged: {what} was released."


def _kept(intent: str, why: str) -> Release:
    return Release(intent=intent, done="kept", note=f"kept: {why}")


def lock_intent(provider: str, intent: str) -> None:
    """Hold the intent's lock until the transaction ends: PostgreSQL's transaction
    advisory lock on a digest of the provider and the intent. SQLite (tests,
    development) has no such lock, and takes none."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{provider}:{intent}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            [int.from_bytes(digest[:8], "big", signed=True)],
        )


def _record(provider: str, intent: str):
    return ProcessedWebhookEvent.objects.filter(
        provider=provider, event_id=f"{RECORD_PREFIX}{intent}"[:100]
    )


def was_given_back(provider: str, intent: str) -> bool:
    """Whether the intent ``intent`` of ``provider`` was given back (on record)."""
    return _record(provider, intent).exists()


def refuse_given_back(provider: PaymentProvider, token: str) -> None:
    """Checkout, before it charges ``token``, in the order's transaction: the
    intent's lock, held until the order commits (a giving back waits for it and
    then finds its payment), and a refusal of an intent given back already."""
    intent = provider.intent_of(token)
    if not intent:
        return
    lock_intent(provider.name, intent)
    if was_given_back(provider.name, intent):
        raise PaymentDeclined(
            "This payment was given back, as no order took it: start a new payment.",
            code=GIVEN_BACK_CODE,
            extra={"payment": {"token": ["This payment was given back."]}},
        )


def give_back_unclaimed(
    *,
    provider: PaymentProvider,
    intent: str,
    belongs: Callable[[str], bool],
    why: str,
    now: datetime | None = None,
) -> Release:
    """Give back ``intent`` when it is paid or held, was made for what ``belongs``
    accepts (its tag: a cart, a purchase) and no payment uses it: cancel a hold,
    refund a payment in full, once, recorded with ``why`` (who, and what happened).
    The provider's errors (out of reach: nothing was done) are the caller's."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        lock_intent(provider.name, intent)
        done = _record(provider.name, intent).first()
        if done is not None:
            return Release(
                intent=intent,
                done="refunded" if done.kind == REFUNDED else "released",
                note=f"given back already: {done.outcome}",
                earlier=True,
            )
        if payments_taken([(provider.name, intent)]):
            return _kept(intent, "it pays an order")
        state = provider.read_intent(intent)
        if not (state.paid or state.held):
            return _kept(intent, f"it is {state.status.replace('_', ' ')}")
        if not state.tag:
            return _kept(intent, "not made by the storefront (no tag)")
        if not belongs(state.tag):
            return _kept(intent, f"made for {state.tag[:40]}, not for this")
        key = f"unclaimed:{intent}"
        if state.held:
            provider.release(provider_reference=intent, idempotency_key=key)
            given, done = intent, "released"
        else:
            refund = provider.refund(
                provider_reference=intent,
                amount=state.amount,
                currency=state.currency,
                idempotency_key=key,
                reason=why,
                actor=None,
                location=None,
            )
            given, done = refund.reference, "refunded"
        said = f"{done} {state.amount} {state.currency} ({given}) for {state.tag}"
        ProcessedWebhookEvent.objects.create(
            provider=provider.name,
            event_id=f"{RECORD_PREFIX}{intent}"[:100],
            kind=REFUNDED if done == "refunded" else RELEASED,
            outcome=f"{said}: {why}"[:250],
            received_at=now,
        )
    return Release(
        intent=intent,
        done=done,
        note=said,
        amount=state.amount,
        currency=state.currency,
    )


@contextmanager
def giving_back_when_refused(
    *,
    payment: PaymentRequest,
    channel: str | None,
    belongs: Callable[[str], bool],
    who: str,
) -> Iterator[None]:
    """Around a purchase paid by ``payment``: refused with a 402 or 409 (after its
    transaction rolled back), the intent it was sent with is given back when made
    for what ``belongs`` accepts, and the refusal's message says so; the refusal
    stays what it was. ``who``: the purchase and who asked, for the record."""
    try:
        yield
    except ApplicationError as refusal:
        if refusal.status in GIVEN_BACK_ON and payment.token:
            release = _given_back(
                payment, channel, belongs, f"{who} refused ({refusal.code})"
            )
            told = release is not None and release.given_back
            if told and refusal.code != GIVEN_BACK_CODE:
                refusal.message = f"{refusal.message} {release.told()}"
        raise


def _given_back(
    payment: PaymentRequest, channel: str | None, belongs, why: str
) -> Release | None:
    provider = provider_for(payment.method, channel=channel)
    intent = provider.intent_of(payment.token)
    if not intent:
        return None
    try:
        return give_back_unclaimed(
            provider=provider, intent=intent, belongs=belongs, why=why
        )
    except Exception:  # the refusal stands as it is; the sweep gives it back later
        logger.exception("payments: %s not given back after %s", intent, why)
        return None


def release_unclaimed_payments(*, now: datetime | None = None) -> list[str]:
    """Intents Stripe said were confirmed that no payment used a grace after its
    event (``OMNISTORE_UNCLAIMED_PAYMENT_GRACE`` minutes): each given back if the
    storefront made it (``storefront_tag``), its event marked with what became of
    it. One Stripe could not be asked about stays for the next sweep. Returns the
    intents given back."""
    now = now or timezone.now()
    minutes = settings.OMNISTORE_UNCLAIMED_PAYMENT_GRACE
    provider = get_provider(StripePaymentProvider.name)
    due = (
        ProcessedWebhookEvent.objects.filter(
            provider=provider.name,
            kind__in=CONFIRMED_EVENTS,
            outcome__startswith=unknown_payment("pi_"),
            received_at__lte=now - timedelta(minutes=minutes),
        )
        .exclude(outcome__contains=SWEPT)
        .order_by("received_at", "id")
    )
    given = []
    for event in list(due[:SWEEP_BATCH]):
        intent = event.outcome.removeprefix(unknown_payment(""))
        why = (
            f"no order took it {minutes} minutes after Stripe's event "
            f"{event.event_id} (unclaimed payment sweep)"
        )
        try:
            release = give_back_unclaimed(
                provider=provider,
                intent=intent,
                belongs=storefront_tag,
                why=why,
                now=now,
            )
        except PaymentUnavailable:
            logger.warning("payments: Stripe out of reach; %s kept for later", intent)
            continue
        except ApplicationError as refused:  # Stripe said no: it stays as it is
            release = _kept(intent, refused.message)
        except Exception:  # this intent only: the next sweep tries it again
            logger.exception("payments: giving back %s failed", intent)
            continue
        event.outcome = f"{event.outcome}{SWEPT}{release.note}"[:250]
        event.save(update_fields=["outcome"])
        if release.given_back and not release.earlier:
            given.append(intent)
    return given
