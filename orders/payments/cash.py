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


class CashProvider(PaymentProvider):
    name = "cash"

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
            reference=self._ref("cash", idempotency_key),
            status=PaymentStatus.CAPTURED,
            amount=amount,
        )

    def refund(self, *, provider_reference, amount, currency, idempotency_key):
        return RefundResult(
            provider=self.name,
            reference=self._ref("cashback", idempotency_key),
            amount=amount,
        )
