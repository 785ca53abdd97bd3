"""Cash at a shop's counter: no gateway takes it, the till does.

The money is counted into the drawer (``orders.services.till``: the sale is booked on
the open session in the order's transaction, and a cash refund is paid out of it);
this provider only records the payment, under every configuration, production
included. Cash is never taken online (``check_payments`` refuses it there).
"""

from __future__ import annotations

import hashlib

from orders.models import PaymentStatus

from .base import ChargeResult, PaymentProvider, RefundResult


class RecordedAtCounter(PaymentProvider):
    """A payment taken at the counter before the sale is placed, by something no
    gateway speaks for (the drawer, the shop's own terminal): recorded as captured
    (nothing is held for later), its refunds recorded as given back there. A
    reference is the idempotency key's digest under the provider's prefixes."""

    charged = refunded = ""

    @staticmethod
    def _ref(prefix: str, key: str) -> str:
        return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"

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
        return ChargeResult(
            provider=self.name,
            reference=self._ref(self.charged, idempotency_key),
            status=PaymentStatus.CAPTURED,
            amount=amount,
        )

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
        return RefundResult(
            provider=self.name,
            reference=self._ref(self.refunded, idempotency_key),
            amount=amount,
        )


class CashProvider(RecordedAtCounter):
    name = "cash"
    charged, refunded = "cash", "cashback"
