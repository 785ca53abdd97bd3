"""An item missing from a market's price list has no price in that market's currency:
the cart priced for that market marks its line not sellable here, with no price and
no total (never the catalogue's euro amount under the franc), and leaves it out of
the subtotal, a previewed code and the total, as checkout there refuses it. The
same item in a market priced from the catalogue keeps its price."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orders.api.cart_output import CartLineOutput, cart_lines_data
from orders.selectors.taxes import sale_terms
from orders.services.carts import add_cart_lines, create_cart
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import in_francs, stocked, warehouse

from .test_api_checkout import ADDRESS, cart_with, checkout

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def items():
    """A shirt on the Swiss price list (62.90 CHF) and a scarf that is not on it."""
    depot = warehouse()
    shirt = in_francs(stocked(depot, 5, price="59.90", sku="WSH-WHT-M"), "62.90")
    scarf = stocked(depot, 5, price="49.90", sku="SCF-RED")
    return shirt, scarf


def line_of(body, variant) -> dict:
    return next(line for line in body["lines"] if line["variant"] == variant.pk)


def test_an_item_without_a_franc_price_is_not_priced_nor_counted_in_francs(items):
    shirt, scarf = items
    client = APIClient()
    cart_with(client, (shirt, 1), (scarf, 2))

    body = client.get("/api/v1/cart/?country=CH").json()

    assert body["currency"] == "CHF"
    assert body["subtotal"] == "62.90"
    missing = line_of(body, scarf)
    assert (missing["unit_price"], missing["line_total"], missing["gross"]) == (
        None,
        None,
        None,
    )
    assert missing["sellable_here"] is False
    assert (missing["net"], missing["tax"], missing["tax_rate"]) == (None, None, None)
    priced = line_of(body, shirt)
    assert priced["sellable_here"] is True
    assert (priced["unit_price"], priced["line_total"]) == ("62.90", "62.90")
    assert D(body["net_total"]) + D(body["tax_total"]) == D(body["total"])
    assert D(body["total"]) == D("62.90") + D(body["delivery_fee"])
    assert body["item_count"] == 3

    refused = checkout(
        client, fulfilment="delivery", address={**ADDRESS, "country": "CH"}
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_sellable_here"


def test_a_code_previewed_leaves_the_item_not_sold_here_out(items):
    shirt, scarf = items
    discount_code("TEN", "percentage", "10")
    client = APIClient()
    cart_with(client, (shirt, 1), (scarf, 1))

    response = client.get("/api/v1/cart/?country=CH&discount_code=TEN")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["discount_total"] == "6.29"
    assert line_of(body, shirt)["line_total"] == "56.61"
    missing = line_of(body, scarf)
    assert (missing["discount"], missing["line_total"]) == ("0.00", None)


def test_in_the_euro_market_every_line_keeps_its_price(items):
    shirt, scarf = items
    client = APIClient()
    cart_with(client, (shirt, 1), (scarf, 2))

    body = client.get("/api/v1/cart/?country=IT").json()

    assert body["currency"] == "EUR"
    assert [
        (line["sellable_here"], line["unit_price"], line["line_total"])
        for line in body["lines"]
    ] == [(True, "59.90", "59.90"), (True, "49.90", "99.80")]
    assert body["subtotal"] == "159.70"


def test_the_line_not_sold_here_renders_as_its_documented_serializer(items):
    shirt, scarf = items
    lines = add_cart_lines(cart=create_cart(), lines=[(shirt.pk, 1), (scarf.pk, 2)])
    terms = sale_terms(
        variants=[line.variant for line in lines],
        on=timezone.localdate(),
        destination="CH",
    )
    context = {"availability": {}, "fulfilment": "delivery", "terms": terms}

    fast = cart_lines_data(lines, availability={}, fulfilment="delivery", terms=terms)

    assert fast == CartLineOutput(lines, many=True, context=context).data
    assert [line["sellable_here"] for line in fast] == [True, False]
