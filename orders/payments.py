"""Payment providers: the interface checkout and refunds talk to, and a test provider.

Every call carries an idempotency key (the order number, the refund reference): a
provider answers a repeated key with the first result, so a retried checkout or refund
never charges or pays out twice.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from omnistore.core.exceptions import ApplicationError

from .models import PaymentMethod, PaymentStatus


class PaymentDeclined(ApplicationError):
    status = 402
    default_code = "payment_declined"


@dataclass(frozen=True)
class ChargeResult:
    provider: str
    reference: str
    status: str
    amount: Decimal


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
    ) -> ChargeResult:
        """Take ``amount``; raise ``PaymentDeclined`` when the payer's bank says no."""

    @abstractmethod
    def refund(
        self,
        *,
        provider_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
    ) -> RefundResult:
        """Give back ``amount`` of the charge ``provider_reference``."""


class TestPaymentProvider(PaymentProvider):
    """No gateway: online cards are tokens (``tok_visa`` pays, ``tok_declined`` is
    refused); in-store methods are recorded as taken at the till. It keeps what it did
    per process so tests can see that a key was charged or refunded once."""

    name = "test"
    DECLINED = frozenset({"tok_declined", "tok_insufficient_funds"})

    def __init__(self):
        self._lock = threading.Lock()
        self.charges: dict[str, ChargeResult] = {}
        self.refunds: dict[str, RefundResult] = {}

    @staticmethod
    def _ref(prefix: str, key: str) -> str:
        return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"

    def charge(self, *, method, amount, currency, token, idempotency_key):
        if method == PaymentMethod.CARD_ONLINE:
            if not token or not token.startswith("tok_"):
                raise PaymentDeclined(
                    "The card token is not valid.",
                    extra={"payment": {"token": ["Not a valid card token."]}},
                )
            if token in self.DECLINED:
                raise PaymentDeclined(
                    "The card was declined.",
                    extra={"payment": {"token": ["The card was declined."]}},
                )
        with self._lock:
            done = self.charges.get(idempotency_key)
            if done is None:
                done = ChargeResult(
                    provider=self.name,
                    reference=self._ref("ch", idempotency_key),
                    status=PaymentStatus.CAPTURED,
                    amount=amount,
                )
                self.charges[idempotency_key] = done
        return done

    def refund(self, *, provider_reference, amount, currency, idempotency_key):
        with self._lock:
            done = self.refunds.get(idempotency_key)
            if done is None:
                done = RefundResult(
                    provider=self.name,
                    reference=self._ref("re", idempotency_key),
                    amount=amount,
                )
                self.refunds[idempotency_key] = done
        return done


_PROVIDERS: dict[str, PaymentProvider] = {}


def register_provider(provider: PaymentProvider) -> PaymentProvider:
    _PROVIDERS[provider.name] = provider
    return provider


register_provider(TestPaymentProvider())


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or getattr(settings, "OMNISTORE_PAYMENT_PROVIDER", "test")
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No payment provider named {name!r}") from None
