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
    the browser only."""

    provider: str
    id: str
    client_secret: str
    amount: Decimal
    currency: str
    capture_method: str


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
        cart checked out: an intent made for another cart is refused."""

    def create_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        capture: bool,
        idempotency_key: str,
        cart_reference: str,
    ) -> IntentResult:
        """Start a payment of ``amount`` for the cart ``cart_reference`` (held for a
        manual capture unless ``capture``), for the storefront to confirm."""
        raise Conflict(
            f"Payments by {self.name} need no intent.", code="intents_not_supported"
        )

    @abstractmethod
    def refund(
        self,
        *,
        provider_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
    ) -> RefundResult:
        """Give back ``amount`` of the captured payment ``provider_reference``."""

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
