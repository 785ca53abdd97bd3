"""A variant's shelf price in a market: the market's price list when it has one (a
variant left off it is not sold there), else the catalogue's price; with no market
at all, the catalogue's price in the home currency. The list is read once for all
the variants asked about."""

from decimal import Decimal

import pytest

from inventory.markets import ShelfPrice, shelf_prices, tax_table
from inventory.models import PriceList, PriceListPrice
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def knit():
    """189.00 in the catalogue, 198.45 CHF on the Swiss price list."""
    item = VariantFactory(sku="WKN-06-BLK-L", price=D("189.00"))
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price=D("198.45")
    )
    return item


@pytest.fixture
def scarf():
    """59.00 in the catalogue, on no price list."""
    return VariantFactory(sku="SCF-01", price=D("59.00"))


def test_a_market_with_a_price_list_sells_at_its_prices_and_not_what_it_leaves_out(
    knit, scarf, django_assert_num_queries
):
    swiss = tax_table().market_of_country("CH")

    with django_assert_num_queries(1):
        prices = shelf_prices(swiss, [knit, scarf])

    assert prices == {
        knit.pk: ShelfPrice(D("198.45"), "CHF", catalogue=False),
        scarf.pk: ShelfPrice(None, "CHF", catalogue=False),
    }


def test_a_price_list_is_read_once_however_many_variants(
    knit, django_assert_num_queries
):
    swiss = tax_table().market_of_country("CH")
    listed = PriceList.objects.get(code="CHF")
    more = VariantFactory.create_batch(12)
    for item in more:
        PriceListPrice.objects.create(price_list=listed, variant=item, price=D("9.95"))

    with django_assert_num_queries(1):
        prices = shelf_prices(swiss, [knit, *more])

    assert [prices[item.pk].amount for item in more] == [D("9.95")] * 12


def test_a_market_without_a_price_list_sells_at_the_catalogue_prices(
    knit, scarf, django_assert_num_queries
):
    eu = tax_table().market_of_country("IT")

    with django_assert_num_queries(0):
        prices = shelf_prices(eu, [knit, scarf])

    assert prices == {
        knit.pk: ShelfPrice(D("189.00"), "EUR", catalogue=True),
        scarf.pk: ShelfPrice(D("59.00"), "EUR", catalogue=True),
    }


def test_without_a_market_the_catalogue_prices_are_in_the_home_currency(
    knit, scarf, settings, django_assert_num_queries
):
    settings.OMNISTORE_CURRENCY = "SEK"

    with django_assert_num_queries(0):
        prices = shelf_prices(None, [knit, scarf])

    assert prices == {
        knit.pk: ShelfPrice(D("189.00"), "SEK", catalogue=True),
        scarf.pk: ShelfPrice(D("59.00"), "SEK", catalogue=True),
    }
