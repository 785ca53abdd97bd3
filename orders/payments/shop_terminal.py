"""A card or mobile wallet presented at a shop's counter and taken on the shop's own
payment terminal: no gateway takes it here, the terminal did.

A shop with a card reader paired with Omnistore takes the card through it
(``orders.services.terminals``), and the sale records the payment as the reader
collected it. Without one, the associate takes the payment on the shop's terminal
and the sale records it as taken, under every configuration, production included;
its refund is given back on that terminal and recorded here. Nothing online is
ever taken this way (``registry.provider_for``).
"""

from __future__ import annotations

import hashlib

from orders.models import PaymentStatus

from .base import ChargeResult, PaymentProvider, RefundResult


class ShopTerminalProvider(PaymentProvider):
    name = "shop_terminal"

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
        """Taken on the terminal before the sale was placed: recorded as captured
        (a terminal holds nothing for later)."""
        return ChargeResult(
            provider=self.name,
            reference=self._ref("term", idempotency_key),
            status=PaymentStatus.CAPTURED,
            amount=amount,
        )

    def refund(self, *, provider_reference, amount, currency, idempotency_key):
        return RefundResult(
            provider=self.name,
            reference=self._ref("termback", idempotency_key),
            amount=amount,
        )
