"""A sale taken at a shop is in the shop's currency: a pickup at a shop, or a
delivery to a country, of another currency is refused at checkout with both
currencies named, so a franc price never becomes a euro one (nor the reverse) and
no drawer books a sale in another currency than its own."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.exceptions import ValidationFailed
from orders.models import CartLine, FulfilmentMethod, Order, PaymentMethod, TillMovement
from orders.selectors.till import expected_cash
from orders.services.till import TillBooking
from tests.factories import StaffFactory, stock
from tests.orders.factories import in_francs, shop, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Torino 1",
    "postcode": "20123",
    "city": "Milano",
}


@pytest.fixture
def zurich():
    return shop(
        code="ZH01",
        name="Zürich Bahnhofstrasse",
        country="CH",
        ships_online_orders=True,
    )


@pytest.fixture
def shirt(zurich, milano):
    """59.90 EUR in the catalogue, 62.90 CHF on the Swiss price list; on the
    shelf in both shops."""
    item = in_francs(stocked(zurich, 5, price="59.90", sku="WSH-WHT-M"), "62.90")
    stock(item, milano, 5)
    return item


def counter_at(client, store):
    clerk = StaffFactory(store=store)
    client.force_login(clerk)
    till = open_counter_till(clerk)
    client.post(
        reverse("staff:sale_customer"),
        {"kind": "email", "value": "ada@example.com", "create": "1"},
        **HTMX,
    )
    return till


def checkout(client, **data):
    return client.post(reverse("staff:sale_checkout"), data, **HTMX)


def test_a_franc_sale_is_not_collected_at_a_euro_shop(client, zurich, milano, shirt):
    till = counter_at(client, zurich)
    client.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)

    refused = checkout(
        client,
        mode=FulfilmentMethod.PICKUP,
        store=milano.pk,
        method_1=PaymentMethod.CARD_IN_STORE,
    )

    assert refused.status_code == 422
    html = refused.content.decode()
    assert (
        "This shop sells in CHF: an order collected at Milano Duomo is in EUR. Sell "
        "it at a shop that sells in EUR, or the customer orders it online."
    ) in html
    assert "Milano Duomo sells in EUR." in html  # under the shop chosen
    assert not Order.objects.exists()
    assert not TillMovement.objects.exclude(kind="float").filter(session=till)


def test_a_franc_counter_price_is_not_carried_into_a_euro_delivery(
    client, zurich, shirt
):
    """62.90 is the franc shelf price (no approval asked); delivered to Italy it
    would have become 62.90 EUR, 3.00 over the euro list price, paid into the
    franc drawer."""
    till = counter_at(client, zurich)
    client.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    line = CartLine.objects.get()
    priced = client.post(
        reverse("staff:sale_line_price", args=[line.pk]),
        {"price": "62.90", "reason": "as on the tag"},
        **HTMX,
    )
    assert priced.status_code == 200

    refused = checkout(
        client,
        mode=FulfilmentMethod.DELIVERY,
        country="IT",
        method_1=PaymentMethod.CASH,
        tendered="100.00",
        **ADDRESS,
    )

    assert refused.status_code == 422
    html = refused.content.decode()
    assert "This shop sells in CHF: an order delivered to IT is in EUR." in html
    assert "Orders to IT are in EUR." in html  # under the country
    assert not Order.objects.exists()
    assert expected_cash(till) == D("100.00")  # the float alone


def test_a_euro_shop_does_not_deliver_a_sale_in_francs(client, milano, shirt):
    counter_at(client, milano)
    client.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)

    refused = checkout(
        client,
        mode=FulfilmentMethod.DELIVERY,
        country="CH",
        method_1=PaymentMethod.CARD_IN_STORE,
        **{**ADDRESS, "city": "Zürich", "postcode": "8001"},
    )

    assert refused.status_code == 422
    assert (
        "This shop sells in EUR: an order delivered to CH is in CHF."
        in refused.content.decode()
    )
    assert not Order.objects.exists()


def test_a_delivery_in_the_shops_own_currency_is_sold_as_the_basket_shows(
    client, zurich, shirt
):
    counter_at(client, zurich)
    basket = client.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    assert 'data-testid="basket-total">62.90 CHF' in basket.content.decode()

    sold = checkout(
        client,
        mode=FulfilmentMethod.DELIVERY,
        country="CH",
        method_1=PaymentMethod.CARD_IN_STORE,
        **{**ADDRESS, "city": "Zürich", "postcode": "8001"},
    )

    assert "HX-Redirect" in sold, sold.content.decode()[:800]
    order = Order.objects.get()
    assert (order.total, order.currency) == (D("62.90"), "CHF")


def test_a_drawer_refuses_a_sale_in_another_currency(zurich, milano, shirt):
    """Whoever names the till: a franc sale booked on a euro drawer is refused
    and leaves nothing behind, the order included."""
    euro_till = open_counter_till(StaffFactory(store=milano))

    with pytest.raises(ValidationFailed) as refused:
        counter_sale(
            store=zurich,
            lines=[(shirt, 1)],
            staff=StaffFactory(store=zurich),
            tenders=[(PaymentMethod.CASH, "62.90")],
            till=TillBooking(euro_till, None),
        )

    assert refused.value.code == "till_currency"
    assert "This till holds EUR; this sale is in CHF" in refused.value.message
    assert not Order.objects.exists()
    assert expected_cash(euro_till) == D("100.00")
    assert not TillMovement.objects.exclude(kind="float").exists()
