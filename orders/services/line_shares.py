"""How an order's discount and VAT are shared between the lines of one variant sourced
from several places (``orders.services.placing``): by units, to the cent, the last
units taking what is left, so the lines add up to the variant's amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from orders.pricing import CENT, TaxedAmount


def take_share(left: dict, variant_id: int, quantity: int, price: Decimal):
    """The discount and VAT of ``quantity`` units of a variant's line: all that is
    left of them for its last units, else their share by units, to the cent; what
    is taken comes off ``left`` (units, discount, taxed amount still to share)."""
    units, discount, taxed = left[variant_id]
    if quantity >= units:
        left[variant_id] = (0, Decimal("0.00"), None)
        return discount, taxed
    part = (discount * quantity / units).quantize(CENT, rounding=ROUND_HALF_UP)
    rest = taxed
    if taxed is not None:
        tax = (taxed.tax * quantity / units).quantize(CENT, rounding=ROUND_HALF_UP)
        gross = price * quantity - part
        rest = TaxedAmount(
            taxed.tax_class,
            taxed.rate,
            taxed.gross - gross,
            taxed.net - (gross - tax),
            taxed.tax - tax,
        )
        taxed = TaxedAmount(taxed.tax_class, taxed.rate, gross, gross - tax, tax)
    left[variant_id] = (units - quantity, discount - part, rest)
    return part, taxed
