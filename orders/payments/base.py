"""The payment provider interface and what its calls answer.

Every call that moves money carries an idempotency key (the order number and tender,
the refund reference): a provider answers a repeated key with the first result, so a
retried checkout, capture or refund never charges or pays out twice.

A payment is either taken at once (``capture=True``: status ``captured``) or only
authorised (``capture=False``: status ``authorised``), to be captured when the goods
are handed over and released when the order is cancelled. A provider that cannot hold
money (the test provider, store credit, cash at the till) takes it at once either way.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from omnistore.core.exceptions import (
    ApplicationError,
    Conflict,
    ServiceUnavailable,
    ValidationFailed,
)
from orders.models import PaymentMethod


class PaymentDeclined(ApplicationError):
    """The payer's bank, or our own checks of the payment, said no."""

    status = 402
    default_code = "payment_declined"


# Paid online with what the buyer confirmed at the gateway, named by its token.
PAID_WITH_TOKEN = frozenset({PaymentMethod.CARD_ONLINE, PaymentMethod.MOBILE_WALLET})
TOKEN_REQUIRED = "Required for a card payment."


def require_token(method: str, token: str) -> None:
    """A card or mobile wallet paid online comes with its ``token``: one charged
    without it is bad input (400 on ``payment.token``), not a card declined, and
    the gateway is not asked. Charged only for what the stored value tendered
    leaves to pay, so an order those pay in full needs none."""
    if method in PAID_WITH_TOKEN and not token:
        raise ValidationFailed(
            "Send the token of the card payment.",
            code="payment_token_required",
            extra={"payment": {"token": [TOKEN_REQUIRED]}},
        )


class AuthorisationLapsed(ApplicationError):
    """The money held for the order is no longer there (the authorisation expired or
    was cancelled at the provider): it has to be taken again before handing over."""

    status = 402
    default_code = "authorisation_lapsed"


class PaymentUnavailable(ServiceUnavailable):
    """The provider did not answer; nothing was recorded, the call can be repeated."""

    default_code = "payment_unavailable"


@dataclass(frozen=True)
class ChargeResult:
    provider: str
    reference: str
    status: str
    amount: Decimal


@dataclass(frozen=True)
class IntentResult:
    """A payment the storefront confirms with the provider before checking out: the
    ``id`` comes back as the checkout's payment token, the ``client_secret`` goes to
    the browser only. A purchase without a cart (buy now, an e-gift card) also gets
    its ``reference``, which its checkout sends back with the token."""

    provider: str
    id: str
    client_secret: str
    amount: Decimal
    currency: str
    capture_method: str
    reference: str = ""


@dataclass(frozen=True)
class IntentState:
    """A payment intent as the provider has it now: ``paid`` (the money taken) or
    ``held`` (authorised), for ``amount`` (taken, or held) in ``currency``; ``tag``
    names what it was made for (a cart, a purchase's reference), empty for one
    made elsewhere."""

    id: str
    status: str
    paid: bool
    held: bool
    amount: Decimal
    currency: str
    tag: str


# What the storefront tags the intents it makes with: the cart, or the purchase.
CART_TAG = "cart-"
PURCHASE_TAG = "ref-"
PURCHASE_DIGEST = 32  # hex digits of the reference's digest


def cart_tag(cart_id: int) -> str:
    """What an intent made for the cart ``cart_id`` is tagged with."""
    return f"{CART_TAG}{cart_id}"


def tagged_cart(tag: str) -> int | None:
    """The cart an intent's ``tag`` names; None for any other tag."""
    pk = tag.removeprefix(CART_TAG)
    known = pk != tag and pk.isascii() and pk.isdigit() and len(pk) < 19
    return int(pk) if known else None


def purchase_tag(reference: str) -> str:
    """What an intent made for a purchase without a cart is tagged with: a digest of
    the purchase's secret ``reference``, so the provider's records never hold the
    secret and only who holds it can pay with the intent."""
    digest = hashlib.sha256(reference.encode()).hexdigest()[:PURCHASE_DIGEST]
    return f"{PURCHASE_TAG}{digest}"


def storefront_tag(tag: str) -> bool:
    """Whether the storefront made the intent tagged ``tag``: for a cart, or for a
    purchase (not an intent made elsewhere, nor a counter's)."""
    if tagged_cart(tag) is not None:
        return True
    digest = tag.removeprefix(PURCHASE_TAG)
    return digest != tag and len(digest) == PURCHASE_DIGEST


@dataclass(frozen=True)
class RefundResult:
    provider: str
    reference: str
    amount: Decimal


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def charge(
        self,
        *,
        method: str,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        capture: bool = True,
        cart_reference: str = "",
    ) -> ChargeResult:
        """Take (or, with ``capture=False``, authorise) ``amount``; raise
        ``PaymentDeclined`` when the payment is refused. ``cart_reference`` names the
        cart checked out (``cart_tag``): an intent made for another cart is refused.
        For a purchase without a cart it names what the purchase is (its scope, as
        ``create_purchase_intent`` got it): an intent made for another is refused."""

    def create_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        capture: bool,
        idempotency_key: str,
        cart_reference: str,
    ) -> IntentResult:
        """Start a payment of ``amount`` for the cart ``cart_reference`` (or the
        purchase its ``purchase_tag`` names; held for a manual capture unless
        ``capture``), for the storefront to confirm."""
        raise Conflict(
            f"Payments by {self.name} need no intent.", code="intents_not_supported"
        )

    def create_purchase_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        capture: bool,
        idempotency_key: str,
        tag: str,
        scope: str,
    ) -> IntentResult:
        """Start a payment of ``amount`` for a purchase without a cart, tagged
        ``tag`` (its ``purchase_tag``) and made for ``scope`` (what the purchase is:
        its kind and, for a buy now, what was priced), which the purchase's charge
        names again. A provider whose intents name nothing makes it as any other."""
        return self.create_intent(
            amount=amount,
            currency=currency,
            capture=capture,
            idempotency_key=idempotency_key,
            cart_reference=tag,
        )

    @abstractmethod
    def refund(
        self,
        *,
        provider_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        reason: str,
        actor,
        location,
    ) -> RefundResult:
        """Give back ``amount`` of the captured payment ``provider_reference``.
        ``reason`` (what it is given back for, "order OS-… cancelled"), ``actor``
        and ``location`` (the shop, or ``None``): what a ledger of our own (a gift
        card, store credit, points) books with the money; a gateway needs none."""

    def capture(
        self,
        *,
        provider_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
    ) -> ChargeResult:
        """Take the money an authorisation holds; ``AuthorisationLapsed`` when it is
        gone. Providers that never authorise have nothing to capture."""
        raise Conflict(
            f"Payments by {self.name} are taken at once; there is nothing to capture.",
            code="nothing_to_capture",
        )

    def release(self, *, provider_reference: str, idempotency_key: str) -> None:
        """Let go of an authorisation without taking the money."""
        raise Conflict(
            f"Payments by {self.name} are taken at once; there is nothing to release.",
            code="nothing_to_release",
        )

    # Intents confirmed before checkout (see ``create_intent``).

    def purchase_token(self, token: str, reference: str) -> str:
        """The token a purchase without a cart (buy now, an e-gift card) is charged
        with: the payment's ``token`` and the ``reference`` its intent was made
        with. A provider whose intents name nothing takes the token alone."""
        return token

    def intent_of(self, token: str) -> str:
        """The intent a payment ``token`` names ("" for none): what checkout locks
        while it charges it, and what may be given back when no order took it."""
        return ""

    def read_intent(self, intent: str) -> IntentState:
        """The intent as the provider has it now."""
        raise Conflict(
            f"Payments by {self.name} need no intent.", code="intents_not_supported"
        )
