"""The VAT rates and markets a fresh database starts with."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.models import Market, TaxClass, TaxRate

pytestmark = pytest.mark.django_db


def current(country: str, tax_class: str, on: date = date(2026, 1, 1)) -> Decimal:
    return (
        TaxRate.objects.filter(country=country, tax_class=tax_class, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )


@pytest.mark.parametrize(
    ("country", "rates"),
    [
        ("IT", ["22", "10", "5", "4"]),
        ("AT", ["20", "10", "13", "10"]),
        ("DE", ["19", "7", "7", "7"]),
        ("FR", ["20", "10", "5.5", "2.1"]),
        ("ES", ["21", "10", "10", "4"]),
        ("CH", ["8.1", "2.6", "2.6", "2.6"]),
    ],
)
def test_the_real_rates_are_seeded_for_every_class(country, rates):
    classes = [
        TaxClass.STANDARD,
        TaxClass.REDUCED,
        TaxClass.SECOND_REDUCED,
        TaxClass.SUPER_REDUCED,
    ]
    assert [current(country, c) for c in classes] == [Decimal(r) for r in rates]
    assert current(country, TaxClass.ZERO) == Decimal("0")


def test_a_rate_change_is_a_row_from_its_date():
    assert current("DE", TaxClass.STANDARD, date(2020, 8, 1)) == Decimal("16")
    assert current("DE", TaxClass.STANDARD, date(2021, 1, 1)) == Decimal("19")
    assert current("CH", TaxClass.STANDARD, date(2023, 12, 31)) == Decimal("7.7")


def test_the_eu_sells_in_euro_and_switzerland_in_francs():
    eu = Market.objects.get(code="EU")
    ch = Market.objects.get(code="CH")
    assert eu.currency == "EUR" and eu.price_list is None
    assert sorted(eu.countries.values_list("country", flat=True)) == [
        "AT",
        "DE",
        "ES",
        "FR",
        "IT",
    ]
    assert ch.currency == "CHF" and ch.price_list.currency == "CHF"
    assert list(ch.countries.values_list("country", flat=True)) == ["CH"]
