"""The cart's net and VAT are those of what checkout will charge: the lines' after a
previewed code and the delivery fee's, taxed like the goods it carries, so the
cart's net + VAT is its total and the order placed from it shows the same."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.markets import forget_tax_table
from inventory.models import Market, TaxClass
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import stocked, warehouse

from .test_api_checkout import ADDRESS, cart_with, checkout

pytestmark = pytest.mark.django_db

ADDRESSES = {
    "IT": {**ADDRESS, "country": "IT"},
    "DE": {
        "line1": "Unter den Linden 5",
        "city": "Berlin",
        "postcode": "10117",
        "country": "DE",
    },
    "AT": {
        "line1": "Mariahilfer Str. 1",
        "city": "Wien",
        "postcode": "1060",
        "country": "AT",
    },
}
TOTALS = ("net_total", "tax_total", "delivery_fee", "total")


@pytest.fixture
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 100.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"), free_delivery_from=Decimal("100.00")
    )
    forget_tax_table()
    discount_code("PCT15", "percentage", "15")
    discount_code("FIX7", "fixed", "7.77")
    discount_code("FIXBIG", "fixed", "500")
    yield
    forget_tax_table()


@pytest.mark.parametrize("country", ["IT", "DE", "AT"])
@pytest.mark.parametrize("code", ["", "PCT15", "FIX7", "FIXBIG"])
def test_the_cart_totals_are_what_the_order_placed_from_it_charges(
    priced_delivery, country, code
):
    depot = warehouse()
    shirt = stocked(depot, 5, price="24.90")
    pasta = stocked(depot, 5, price="12.99", product__tax_class=TaxClass.REDUCED)
    client = APIClient()
    cart_with(client, (shirt, 1), (pasta, 3))
    query = f"?fulfilment=delivery&country={country}"
    if code:
        query += f"&discount_code={code}"

    cart = client.get(f"/api/v1/cart/{query}").json()
    placed = checkout(
        client, fulfilment="delivery", address=ADDRESSES[country], discount_code=code
    )

    assert placed.status_code == 201, placed.json()
    order = placed.json()
    assert cart["delivery_fee"] == "4.90"
    assert Decimal(cart["net_total"]) + Decimal(cart["tax_total"]) == Decimal(
        cart["total"]
    )
    assert {key: cart[key] for key in TOTALS} == {key: order[key] for key in TOTALS}


def test_a_fixed_code_worth_more_than_the_goods_leaves_the_delivery_s_vat(
    priced_delivery,
):
    """Nothing left to pay for the goods: the cart still shows the VAT in the 4.90
    of delivery to Austria (20 %), as the order charges it."""
    shirt = stocked(warehouse(), 5, price="24.90")
    client = APIClient()
    cart_with(client, (shirt, 1))

    cart = client.get("/api/v1/cart/?country=AT&discount_code=FIXBIG").json()

    assert (cart["net_total"], cart["tax_total"], cart["total"]) == (
        "4.08",
        "0.82",
        "4.90",
    )
