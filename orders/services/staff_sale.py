"""What only a sale staff take brings to checkout, beside what every channel asks
(``orders.services.checkout``): the storefront sends none of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .delivery_waiver import FeeWaiver
from .giftcard_sales import GiftCardSale


@dataclass(frozen=True)
class StaffSale:
    """The sale's ``prices`` set at the counter on its lines (variant id -> price,
    approved where they needed it, ``orders.services.counter_prices``), the
    ``gift_cards`` sold and activated with it (``orders.services.giftcard_sales``)
    and the delivery fee its shop waived (``delivery_waiver``,
    ``orders.services.delivery_waiver``)."""

    prices: Mapping[int, Decimal] | None = None
    gift_cards: Sequence[GiftCardSale] = ()
    delivery_waiver: FeeWaiver | None = None
