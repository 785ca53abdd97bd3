"""Stripe through its official library: PaymentIntents the storefront confirmed.

The storefront confirms a PaymentIntent with Stripe and sends its id (``pi_...``) as
the payment token. Before accepting it the intent is read back from Stripe and its
status, amount and currency checked against the order: nothing else counts as paid.
An intent names what it pays in its metadata (``omnistore_cart``): a cart, or for a
purchase without one (buy now, an e-gift card) the digest of a secret reference the
purchase sends back with the token (``purchase_token``), so an intent id alone pays
nothing; such an intent also says what the purchase is (``omnistore_purchase``: its
kind and, for a buy now, a digest of what was priced), and pays only that.
Intents with ``capture_method=manual`` are held (``requires_capture``) until the goods
are handed over; one that must be paid now is captured at checkout. Every call that
changes something at Stripe carries an idempotency key; reads (GET) carry none, as
Stripe asks.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import stripe
from django.conf import settings

from omnistore.core.exceptions import ValidationFailed
from orders.models import PaymentMethod, PaymentStatus

from .base import (
    AuthorisationLapsed,
    ChargeResult,
    IntentResult,
    IntentState,
    PaymentDeclined,
    PaymentProvider,
    PaymentUnavailable,
    RefundResult,
    purchase_tag,
    require_token,
    tagged_cart,
)

# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
INTENT_METHODS = frozenset({PaymentMethod.CARD_ONLINE, PaymentMethod.MOBILE_WALLET})
PAID = "succeeded"
HELD = "requires_capture"
CANCELED = "canceled"
UNEXPECTED_STATE = "payment_intent_unexpected_state"
# The intent's metadata key naming the cart (or purchase) it was made for.
CART_METADATA = "omnistore_cart"
# The metadata key saying what a purchase without a cart is (its scope).
PURCHASE_METADATA = "omnistore_purchase"
# Between an intent's id and the reference of its purchase in a payment token.
REFERENCE_SEPARATOR = ":"
REFERENCE_REQUIRED = "Required: the `reference` the payment intent answered."


def _factor(currency: str) -> int:
    return 1 if currency.lower() in ZERO_DECIMAL else 100


def to_minor(amount: Decimal, currency: str) -> int:
    """Stripe's integer amount: cents, or whole units for zero-decimal currencies."""
    return int((Decimal(amount) * _factor(currency)).to_integral_value())


def from_minor(minor: int, currency: str) -> Decimal:
    """The money a Stripe integer amount is (``to_minor`` reversed)."""
    return (Decimal(minor) / _factor(currency)).quantize(Decimal("0.01"))


def _split(token: str) -> tuple[str, str | None]:
    """The intent id and the purchase's reference (None when the token has none:
    a cart's checkout, or an order a service places)."""
    intent, separator, reference = token.partition(REFERENCE_SEPARATOR)
    return intent, (reference if separator else None)


def _tag(intent, key: str = CART_METADATA) -> str:
    """What the intent was made for (``CART_METADATA``), or what its purchase is
    (``PURCHASE_METADATA``); "" when made elsewhere."""
    return (intent.get("metadata") or {}).get(key) or ""


def _cart_of(cart_reference: str) -> str:
    """The cart a charge's ``cart_reference`` names ("" for a purchase without a
    cart, which names its scope there)."""
    return cart_reference if tagged_cart(cart_reference) is not None else ""


def _declined(
    message: str, field_message: str | None = None, code: str = ""
) -> Exception:
    return PaymentDeclined(
        message,
        code=code or None,
        extra={"payment": {"token": [field_message or message]}},
    )


class StripePaymentProvider(PaymentProvider):
    """The production provider. Settings are read at each call (``STRIPE_SECRET_KEY``,
    ``STRIPE_API_BASE``, ``STRIPE_MAX_NETWORK_RETRIES``, ``STRIPE_TIMEOUT``), never at
    import."""

    name = "stripe"

    def __init__(self):
        self._lock = threading.Lock()
        self._clients: dict[tuple, stripe.StripeClient] = {}

    def client(self) -> stripe.StripeClient:
        config = (
            settings.STRIPE_SECRET_KEY,
            settings.STRIPE_API_BASE,
            settings.STRIPE_MAX_NETWORK_RETRIES,
            settings.STRIPE_TIMEOUT,
        )
        with self._lock:
            client = self._clients.get(config)
            if client is None:
                client = stripe.StripeClient(
                    config[0],
                    base_addresses={"api": config[1]},
                    max_network_retries=config[2],
                    http_client=stripe.RequestsClient(timeout=config[3]),
                )
                self._clients[config] = client
        return client

    def _call(self, call, *args, **kwargs):
        """One call to Stripe with its errors in our family: a card refusal is a
        decline (402), an unreachable or failing Stripe is ``PaymentUnavailable``."""
        try:
            return call(*args, **kwargs)
        except stripe.CardError as error:
            raise _declined(
                error.user_message or "The card was declined.", code=error.code
            ) from error
        except (
            stripe.APIConnectionError,
            stripe.APIError,
            stripe.RateLimitError,
            stripe.AuthenticationError,
            stripe.PermissionError,
        ) as error:
            raise PaymentUnavailable(
                "The payment service did not answer; nothing was charged by this "
                "attempt. Try again.",
                extra={"provider": type(error).__name__},
            ) from error

    # Checkout.

    def create_intent(
        self, *, amount, currency, capture, idempotency_key, cart_reference
    ):
        """A PaymentIntent for the cart's total, tagged with the cart: checkout
        accepts it only for that cart. A repeated key answers the same intent."""
        return self._create_intent(
            amount, currency, capture, idempotency_key, {CART_METADATA: cart_reference}
        )

    def create_purchase_intent(
        self, *, amount, currency, capture, idempotency_key, tag, scope
    ):
        """A PaymentIntent for a purchase without a cart, tagged with its
        ``purchase_tag`` and saying what it is (``scope``): the purchase accepts it
        only when sent with its reference, for that very purchase."""
        return self._create_intent(
            amount,
            currency,
            capture,
            idempotency_key,
            {CART_METADATA: tag, PURCHASE_METADATA: scope},
        )

    def _create_intent(
        self,
        amount: Decimal,
        currency: str,
        capture: bool,
        idempotency_key: str,
        metadata: dict,
    ) -> IntentResult:
        try:
            intent = self._call(
                self.client().payment_intents.create,
                {
                    "amount": to_minor(amount, currency),
                    "currency": currency.lower(),
                    "capture_method": "automatic" if capture else "manual",
                    "automatic_payment_methods": {"enabled": True},
                    "metadata": metadata,
                },
                {"idempotency_key": f"intent:{idempotency_key}"},
            )
        except stripe.InvalidRequestError as error:
            raise ValidationFailed(
                f"Stripe refused the payment: {error.user_message or error.code}",
                code="intent_refused",
            ) from error
        return IntentResult(
            provider=self.name,
            id=intent.id,
            client_secret=intent.client_secret,
            amount=amount,
            currency=currency,
            capture_method=intent.capture_method,
        )

    def charge(
        self,
        *,
        method,
        amount,
        currency,
        token,
        idempotency_key,
        capture=True,
        cart_reference="",
    ):
        if method not in INTENT_METHODS:
            raise _declined(
                f"{PaymentMethod(method).label} cannot be taken through Stripe.",
                "Pay by card or mobile wallet.",
                code="payment_method_not_accepted",
            )
        require_token(method, token)
        token, reference = _split(token)
        if not token.startswith("pi_"):
            raise _declined(
                "The payment was not confirmed with Stripe.",
                "Send the id of the PaymentIntent you confirmed.",
            )
        if reference is not None and not reference and not _cart_of(cart_reference):
            raise ValidationFailed(
                "Send the reference of the payment.",
                code="payment_reference_required",
                extra={"payment": {"reference": [REFERENCE_REQUIRED]}},
            )
        intent = self._retrieve(token)
        self._check_intent(intent, amount, currency)
        self._check_cart(intent, cart_reference, reference)
        if intent.status == HELD and capture:
            intent = self._capture_intent(token, amount, currency, idempotency_key)
        status = (
            PaymentStatus.CAPTURED
            if intent.status == PAID
            else PaymentStatus.AUTHORISED
        )
        return ChargeResult(
            provider=self.name, reference=intent.id, status=status, amount=amount
        )

    def _retrieve(self, intent_id: str):
        try:
            return self._call(self.client().payment_intents.retrieve, intent_id)
        except stripe.InvalidRequestError as error:
            raise _declined(
                "That payment is unknown to Stripe.", code="payment_unknown"
            ) from error

    @staticmethod
    def _check_intent(intent, amount: Decimal, currency: str) -> None:
        """Paid or held, for exactly this amount in this currency (paid: all of
        it received)."""
        if intent.status not in (PAID, HELD):
            raise _declined(
                "The payment was not completed.",
                f"The payment is {intent.status.replace('_', ' ')}.",
            )
        minor = to_minor(amount, currency)
        if (
            intent.currency != currency.lower()
            or intent.amount != minor
            or (intent.status == PAID and intent.amount_received != minor)
        ):
            raise _declined(
                f"The payment is not for {amount} {currency}.",
                code="payment_amount_mismatch",
            )

    @staticmethod
    def _check_cart(intent, cart_reference: str, reference: str | None) -> None:
        """An intent made for a cart pays that cart only; a cart's checkout takes
        only an intent made for it. A purchase without a cart that sends a
        ``reference`` takes only the intent tagged with it and made for what the
        purchase is (its scope, in ``cart_reference``): an e-gift card's intent
        pays no buy now, a buy now's no other buy now of the same total."""
        tag, cart = _tag(intent), _cart_of(cart_reference)
        if reference is not None and not cart:
            made_for = _tag(intent, PURCHASE_METADATA)
            if tag != purchase_tag(reference) or made_for != cart_reference:
                raise _declined(
                    "That payment was made for another order.",
                    "Start the payment for this purchase and send its `reference`.",
                    code="payment_not_for_this_purchase",
                )
        elif tag != cart:
            raise _declined(
                "That payment was made for another order.",
                "Start the payment for this cart.",
                code="payment_not_for_this_cart",
            )

    # Intents confirmed before checkout.

    def purchase_token(self, token, reference):
        return f"{token}{REFERENCE_SEPARATOR}{reference}" if token else token

    def intent_of(self, token):
        intent, _ = _split(token or "")
        return intent if intent.startswith("pi_") else ""

    def read_intent(self, intent):
        found = self._retrieve(intent)
        paid, held = found.status == PAID, found.status == HELD
        minor = found.amount
        if paid:
            minor = found.amount_received
        elif held:
            minor = found.get("amount_capturable") or found.amount
        return IntentState(
            id=found.id,
            status=found.status,
            paid=paid,
            held=held,
            amount=from_minor(minor, found.currency),
            currency=found.currency.upper(),
            tag=_tag(found),
        )

    # Handover and cancellation.

    def capture(self, *, provider_reference, amount, currency, idempotency_key):
        intent = self._capture_intent(
            provider_reference, amount, currency, idempotency_key
        )
        return ChargeResult(
            provider=self.name,
            reference=intent.id,
            status=PaymentStatus.CAPTURED,
            amount=amount,
        )

    def _capture_intent(
        self, intent_id: str, amount: Decimal, currency: str, idempotency_key: str
    ):
        """Capture, or find it was captured already (a retry after our own rollback,
        or a capture in Stripe's dashboard); an intent Stripe cancelled (the hold
        expired), or one captured for less or in another currency, is
        ``AuthorisationLapsed``: the goods are not handed over as paid."""
        minor = to_minor(amount, currency)
        try:
            intent = self._call(
                self.client().payment_intents.capture,
                intent_id,
                {"amount_to_capture": minor},
                {"idempotency_key": f"capture:{idempotency_key}"},
            )
        except stripe.InvalidRequestError as error:
            if error.code != UNEXPECTED_STATE:
                raise ValidationFailed(
                    f"Stripe refused the capture: {error.user_message or error.code}",
                    code="capture_refused",
                ) from error
            intent = self._retrieve(intent_id)
        if intent.status != PAID:
            raise AuthorisationLapsed(
                "The card authorisation for this order has lapsed: take the payment "
                "again before handing the goods over.",
                extra={"payment": [f"Stripe reports the payment {intent.status}."]},
            )
        if intent.currency != currency.lower() or intent.amount_received != minor:
            taken = from_minor(intent.amount_received, intent.currency)
            said = f"Stripe took {taken} {intent.currency.upper()}"
            raise AuthorisationLapsed(
                f"{said} of the {amount} {currency} held for this order: take the "
                "rest before handing the goods over.",
                code="payment_partly_captured",
                extra={"payment": [f"{said}, not {amount} {currency}."]},
            )
        return intent

    def release(self, *, provider_reference, idempotency_key):
        try:
            self._call(
                self.client().payment_intents.cancel,
                provider_reference,
                {"cancellation_reason": "requested_by_customer"},
                {"idempotency_key": f"release:{idempotency_key}"},
            )
        except stripe.InvalidRequestError as error:
            if error.code != UNEXPECTED_STATE:
                raise
            intent = self._retrieve(provider_reference)
            if intent.status != CANCELED:
                raise PaymentDeclined(
                    f"The payment is {intent.status}; it cannot be released.",
                    code="release_refused",
                ) from error

    def refund(
        self,
        *,
        provider_reference,
        amount,
        currency,
        idempotency_key,
        reason,
        actor,
        location,
    ):
        try:
            refund = self._call(
                self.client().refunds.create,
                {
                    "payment_intent": provider_reference,
                    "amount": to_minor(amount, currency),
                },
                {"idempotency_key": f"refund:{idempotency_key}"},
            )
        except stripe.InvalidRequestError as error:
            raise ValidationFailed(
                f"Stripe refused the refund: {error.user_message or error.code}",
                code="refund_refused",
            ) from error
        return RefundResult(provider=self.name, reference=refund.id, amount=amount)

    # Webhooks.

    @staticmethod
    def verify_webhook(payload: bytes, signature: str):
        """The JSON body Stripe signed, as plain data (what it holds is checked by
        whoever handles it); ``ValidationFailed`` when the signature does not match
        ``STRIPE_WEBHOOK_SECRET`` (or is too old), or the signed body is not JSON."""
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise ValidationFailed(
                "Webhooks are not accepted: no signing secret is configured.",
                code="webhook_not_configured",
            )
        try:
            body = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                body, signature or "", secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
        except (UnicodeDecodeError, stripe.SignatureVerificationError) as error:
            raise ValidationFailed(
                "The webhook signature is not valid.", code="bad_signature"
            ) from error
        try:
            return json.loads(body)
        except ValueError as error:
            raise ValidationFailed(
                "Not a Stripe event.", code="not_an_event"
            ) from error
