"""VAT arithmetic on tax-inclusive prices: pure functions, no database.

Shelf prices include VAT. A line's gross is what the customer pays for it (unit
price × quantity, less its share of an order discount — the discount is spread
over the lines in proportion to their value, largest remainders taking the odd
cents, before any tax is worked out). Rounding is per line: the line's VAT is its
gross × rate / (100 + rate), rounded half up to the cent, and its net is gross less
VAT, so every line holds ``net + tax == gross`` exactly. An order's totals, per rate
and overall, are sums of its lines: the lines always add up to the totals to the
cent. A delivery fee is taxed as the goods it carries (at the highest rate among
the lines) and counts in the totals per rate beside them. docs/taxes.md has the
worked examples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TaxedAmount:
    """A gross amount split at a rate (percent) of a tax class."""

    tax_class: str
    rate: Decimal
    gross: Decimal
    net: Decimal
    tax: Decimal


def split_gross(gross: Decimal, rate: Decimal, tax_class: str = "") -> TaxedAmount:
    """The VAT contained in ``gross`` at ``rate`` percent, to the cent (half up)."""
    gross = Decimal(gross).quantize(CENT)
    rate = Decimal(rate)
    tax = (gross * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return TaxedAmount(tax_class, rate, gross, gross - tax, tax)


def delivery_charge(
    fee: Decimal, *, free_from: Decimal | None, goods: Decimal
) -> Decimal:
    """What a delivery pays: ``fee``, nothing when there is no fee or when the goods
    (after discounts) come to ``free_from`` or more."""
    if fee <= 0 or (free_from is not None and goods >= free_from):
        return ZERO
    return Decimal(fee).quantize(CENT)


def delivery_taxed(gross: Decimal, rates: Iterable[tuple[str, Decimal]]) -> TaxedAmount:
    """The VAT in a delivery fee: the delivery follows the goods it carries, at the
    highest of their ``rates`` (``(tax class, rate)`` of each line; their own when
    they share one)."""
    tax_class, rate = max(rates, key=lambda pair: (pair[1], pair[0]))
    return split_gross(gross, rate, tax_class)


def order_delivery(fee: Decimal, lines: Iterable) -> TaxedAmount | None:
    """The delivery ``fee`` an order paid, split at the rates of its ``lines`` (order
    lines: ``tax_class``, ``tax_rate``) as checkout split it; None when it paid none."""
    if not fee:
        return None
    return delivery_taxed(fee, [(line.tax_class, line.tax_rate) for line in lines])


def tax_totals(amounts: Iterable[TaxedAmount]) -> list[TaxedAmount]:
    """The amounts summed per (rate, class), highest rate first."""
    sums: dict[tuple[Decimal, str], list[Decimal]] = {}
    for amount in amounts:
        row = sums.setdefault((amount.rate, amount.tax_class), [ZERO, ZERO, ZERO])
        row[0] += amount.gross
        row[1] += amount.net
        row[2] += amount.tax
    return [
        TaxedAmount(tax_class, rate, gross, net, tax)
        for (rate, tax_class), (gross, net, tax) in sorted(
            sums.items(), key=lambda item: (-item[0][0], item[0][1])
        )
    ]


def share_of(amount: Decimal, *, quantity: int, before: int, units: int) -> Decimal:
    """The part of a line's ``amount`` that ``units`` carry after ``before`` units
    were already taken (returned): counted on the running total, so taking a line
    back in parts gives back exactly its amount. (Rounded to the cent as refunds
    always were: half to even.)"""
    amount = Decimal(amount)
    return (amount * (before + units) / quantity).quantize(CENT) - (
        amount * before / quantity
    ).quantize(CENT)


def vat_country(
    *,
    method: str,
    shop_country: str,
    destination: str,
    seller_country: str,
    oss_threshold_reached: bool,
) -> str:
    """Where a sale is taxed. A counter sale or a pickup: in the shop's country. A
    delivery, whatever the channel, is a distance sale: taxed in the destination
    country (OSS), or in the seller's country (the legal entity selling the
    market's online orders) while the OSS threshold is not reached; with no seller
    known, at destination."""
    if method != "delivery":
        return shop_country
    if oss_threshold_reached or not seller_country:
        return destination
    return seller_country
