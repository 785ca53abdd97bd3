"""The test provider: no gateway, for the demo, the test suite and the benchmark.

Production refuses it (``orders.payments.registry.refuse_test_money``).
"""

from __future__ import annotations

import hashlib
import threading

from orders.models import PaymentMethod, PaymentStatus

from .base import (
    ChargeResult,
    IntentResult,
    PaymentDeclined,
    PaymentProvider,
    RefundResult,
    require_token,
)


class TestPaymentProvider(PaymentProvider):
    """No gateway: online cards are tokens (``tok_visa`` pays, ``tok_declined`` is
    refused, none is bad input); in-store methods are recorded as taken at the till.
    Money is taken at once, also when only an authorisation is asked for. It keeps
    what it did per process so tests can see that a key was charged or refunded
    once."""

    name = "test"
    DECLINED = frozenset({"tok_declined", "tok_insufficient_funds"})

    def __init__(self):
        self._lock = threading.Lock()
        self.charges: dict[str, ChargeResult] = {}
        self.refunds: dict[str, RefundResult] = {}

    @staticmethod
    def _ref(prefix: str, key: str) -> str:
        return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"

    def create_intent(
        self, *, amount, currency, capture, idempotency_key, cart_reference
    ):
        """An intent the demo storefront pays at once: its id is a token this
        provider accepts."""
        ref = self._ref("tok_pi", f"{idempotency_key}:{cart_reference}")
        return IntentResult(
            provider=self.name,
            id=ref,
            client_secret=f"{ref}_secret_test",
            amount=amount,
            currency=currency,
            capture_method="automatic" if capture else "manual",
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
        require_token(method, token)
        if method == PaymentMethod.CARD_ONLINE:
            if not token.startswith("tok_"):
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
