"""The VAT rates of the countries sold in and the markets, written into a database
that has none yet.

A fresh database must take an order at once, so the rates and markets are seeded
after ``migrate`` (``post_migrate``, see ``inventory.apps``) when their tables are
empty; an existing table is never touched, so rates and markets edited or removed
in the admin stay as they were. A country without a rate of its own for a class
(Germany has no super-reduced rate) charges the rate its law gives those goods,
written out here so the lookup stays one exact match. A rate change is a new row
from its date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from inventory.models import Market, MarketCountry, PriceList, TaxClass, TaxRate

CLASSES = (
    TaxClass.STANDARD,
    TaxClass.REDUCED,
    TaxClass.SECOND_REDUCED,
    TaxClass.SUPER_REDUCED,
    TaxClass.ZERO,
)

# country, valid from, the rates in the order of CLASSES
RATES = [
    ("IT", date(2013, 10, 1), ("22", "10", "5", "4", "0")),
    ("AT", date(2016, 1, 1), ("20", "10", "13", "10", "0")),
    ("FR", date(2014, 1, 1), ("20", "10", "5.5", "2.1", "0")),
    ("ES", date(2012, 9, 1), ("21", "10", "10", "4", "0")),
    ("DE", date(2007, 1, 1), ("19", "7", "7", "7", "0")),
    ("DE", date(2020, 7, 1), ("16", "5", "5", "5", "0")),
    ("DE", date(2021, 1, 1), ("19", "7", "7", "7", "0")),
    ("CH", date(2018, 1, 1), ("7.7", "2.5", "2.5", "2.5", "0")),
    ("CH", date(2024, 1, 1), ("8.1", "2.6", "2.6", "2.6", "0")),
]

# code, name, currency, its own price list (code, name) or None, countries
MARKETS = [
    ("EU", "European Union", "EUR", None, ("IT", "AT", "DE", "FR", "ES")),
    ("CH", "Switzerland", "CHF", ("CHF", "Swiss francs"), ("CH",)),
]


@transaction.atomic
def seed_tax_data(*, using: str = "default") -> None:
    """The rates and the markets above, each only into an empty table."""
    if not TaxRate.objects.using(using).exists():
        TaxRate.objects.using(using).bulk_create(
            TaxRate(
                country=country,
                tax_class=tax_class,
                rate=Decimal(rate),
                valid_from=valid_from,
            )
            for country, valid_from, rates in RATES
            for tax_class, rate in zip(CLASSES, rates, strict=True)
        )
    if Market.objects.using(using).exists():
        return
    for code, name, currency, own_list, countries in MARKETS:
        price_list = None
        if own_list is not None:
            price_list, _ = PriceList.objects.using(using).get_or_create(
                code=own_list[0], defaults={"name": own_list[1], "currency": currency}
            )
        market = Market.objects.using(using).create(
            code=code, name=name, currency=currency, price_list=price_list
        )
        MarketCountry.objects.using(using).bulk_create(
            MarketCountry(market=market, country=country) for country in countries
        )
