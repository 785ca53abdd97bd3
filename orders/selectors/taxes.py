"""The terms of a sale: its market and currency, each line's shelf price, and the
country, class and rate of its VAT.

The one place a sale is priced and taxed: the cart, checkout (storefront, counter,
phone), an exchange's new side; returns and refunds do not come here, they take the
amounts stored on the original lines. It reads the tax table kept by the process
(``inventory.markets``): nothing for a market selling at the catalogue's prices, one
query for a market with its own price list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings

from customers.models import Customer
from inventory.markets import (
    MarketTerms,
    ShelfPrice,
    TaxTable,
    shelf_prices,
    tax_table,
)
from inventory.models import Location, TaxClass, Variant
from omnistore.core.exceptions import ValidationFailed
from orders.pricing import (
    ZERO,
    TaxedAmount,
    delivery_charge,
    split_gross,
    vat_country,
)
from orders.selectors.loyalty import customer_tiers

TAX_CLASSES = frozenset(TaxClass.values)


@dataclass
class SaleTerms:
    """Where a sale is taxed and at what prices; ``problems`` lists the lines that
    cannot be sold on these terms (no tax class, no rate, no price)."""

    country: str
    currency: str
    market: MarketTerms
    legal_entity_id: int | None
    prices: dict[int, Decimal] = field(default_factory=dict)
    rates: dict[int, tuple[str, Decimal]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def taxed(self, variant_id: int, gross: Decimal) -> TaxedAmount:
        """The VAT in a line's gross at its variant's rate."""
        tax_class, rate = self.rates[variant_id]
        return split_gross(gross, rate, tax_class)


def _market_or_refuse(
    table: TaxTable,
    *,
    shop: Location | None,
    destination: str,
    shop_field: str,
    country_field: str,
) -> MarketTerms:
    if shop is None:
        market = table.market_of_country(destination)
        if market is None:
            # "address.country": {"address": {"country": [...]}}
            error: dict | list = [f"No market sells to {destination or 'nowhere'}."]
            for name in reversed(country_field.split(".")):
                error = {name: error}
            raise ValidationFailed(
                f"We do not sell to {destination or 'this country'}.",
                code="unknown_country",
                extra=error,
            )
        return market
    market = table.market_of_location(shop)
    if market is None:
        raise ValidationFailed(
            "This shop belongs to no market.",
            code="unknown_country",
            extra={shop_field: [f"No market covers {shop.country}."]},
        )
    return market


def sale_terms(
    *,
    variants: Iterable[Variant],
    on: date,
    shop: Location | None = None,
    destination: str = "",
    shop_field: str = "store",
    country_field: str = "address.country",
) -> SaleTerms:
    """The terms of selling ``variants`` on day ``on``: at ``shop`` (a counter sale
    or a pickup, taxed where the shop is), else delivered to the country
    ``destination`` (taxed there, or at the seller's while the OSS threshold is
    not reached). An unknown country or a shop outside every market is refused at
    once; line problems are collected in ``problems`` (see ``check_terms``)."""
    table = tax_table()
    market = _market_or_refuse(
        table,
        shop=shop,
        destination=destination,
        shop_field=shop_field,
        country_field=country_field,
    )
    country = vat_country(
        method="delivery" if shop is None else "shop",
        shop_country=shop.country if shop is not None else "",
        destination=destination,
        seller_country=market.seller_country,
        oss_threshold_reached=settings.OMNISTORE_OSS_THRESHOLD_REACHED,
    )
    terms = SaleTerms(
        country=country,
        currency=market.currency,
        market=market,
        legal_entity_id=(
            shop.legal_entity_id if shop is not None else market.legal_entity_id
        ),
    )
    variants = list(variants)
    shelf = shelf_prices(market, variants)
    for variant in variants:
        _line_terms(terms, table, variant, shelf[variant.pk], on)
    return terms


def _line_terms(
    terms: SaleTerms,
    table: TaxTable,
    variant: Variant,
    shelf: ShelfPrice,
    on: date,
) -> None:
    if shelf.amount is None:
        terms.problems.append(f"{variant.sku} has no price in {terms.currency}.")
    else:
        terms.prices[variant.pk] = Decimal(shelf.amount).quantize(Decimal("0.01"))
    tax_class = variant.product.tax_class
    if tax_class not in TAX_CLASSES:
        terms.problems.append(f"{variant.sku} has no tax class.")
        return
    rate = table.rate(terms.country, tax_class, on)
    if rate is None:
        terms.problems.append(
            f"{variant.sku}: no VAT rate for {tax_class} in {terms.country}."
        )
        return
    terms.rates[variant.pk] = (tax_class, rate)


def delivery_fee(
    terms: SaleTerms,
    *,
    goods: Decimal,
    customer: Callable[[], Customer | None] = lambda: None,
) -> Decimal:
    """What an online order delivered on ``terms`` pays for delivery, for goods worth
    ``goods`` after discounts: the market's fee, none from its threshold on, none
    for a signed-in customer whose loyalty tier travels free (``customer`` gives
    them; asked, and the tier read, only when a fee would be paid)."""
    market = terms.market
    fee = delivery_charge(
        market.delivery_fee, free_from=market.free_delivery_from, goods=goods
    )
    buyer = customer() if fee else None
    if buyer is not None and customer_tiers([buyer.pk])[buyer.pk].free_delivery:
        return ZERO
    return fee


def check_terms(terms: SaleTerms) -> SaleTerms:
    """The terms, or a refusal naming every line that cannot be sold on them."""
    if terms.problems:
        raise ValidationFailed(
            "Some items cannot be sold here.",
            code="not_sellable_here",
            extra={"lines": terms.problems},
        )
    return terms


def shop_prices(
    shop: Location, variants: Iterable[Variant], on: date
) -> tuple[str, dict[int, Decimal]]:
    """The currency and shelf prices at ``shop``, for showing a basket: a variant
    without a price there is left out (not sold at that shop: the basket shows it
    unpriced, and checkout refuses it with the reason)."""
    try:
        terms = sale_terms(variants=variants, on=on, shop=shop)
    except ValidationFailed:
        return settings.OMNISTORE_CURRENCY, {}
    return terms.currency, terms.prices


def preview_taxes(
    terms: SaleTerms, items: Iterable[tuple[Variant, int]]
) -> list[TaxedAmount | None]:
    """Each item's shelf total on ``terms`` with its VAT, for showing a cart; None
    for an item that cannot be sold on them (checkout says why)."""
    return [
        terms.taxed(variant.pk, terms.prices[variant.pk] * quantity)
        if variant.pk in terms.rates and variant.pk in terms.prices
        else None
        for variant, quantity in items
    ]
