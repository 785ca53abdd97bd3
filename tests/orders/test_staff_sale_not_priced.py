"""An item the shop's market does not price (not on the Swiss price list, at a
Zürich shop) is not sold there: the basket shows it without an amount, leaves it out
of the total and says so; the sale is not paid while it holds it."""

import re

import pytest
from django.urls import reverse

from orders.models import CartLine, Order
from tests.factories import StaffFactory
from tests.orders.factories import in_francs, shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
NOT_PRICED = (
    "Not priced in CHF at this shop, so not sold here: SCF-01. Take it out of the "
    "sale to take the payment."
)


@pytest.fixture
def zurich():
    return shop(code="ZH01", country="CH", city="Zürich")


@pytest.fixture
def coat(zurich):
    """189.00 EUR in the catalogue, 198.45 CHF on the Swiss price list."""
    return in_francs(stocked(zurich, 10, price="189.00", sku="COAT-CML-XS"), "198.45")


@pytest.fixture
def scarf(zurich):
    """49.90 EUR in the catalogue, not on the Swiss price list."""
    return stocked(zurich, 10, price="49.90", sku="SCF-01")


@pytest.fixture
def desk(client, zurich):
    clerk = StaffFactory(store=zurich)
    client.force_login(clerk)
    open_counter_till(clerk)
    return client


def scan(desk, item):
    return desk.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)


def row(html: str, sku: str) -> str:
    return re.search(rf'<tr class="line[^"]*" data-sku="{sku}".*?</tr>', html, re.S)[0]


def pay_cash(desk, tendered: str):
    return desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": tendered},
        **HTMX,
    )


def test_the_basket_shows_an_item_not_on_the_price_list_unpriced_and_out_of_the_total(
    desk, coat, scarf
):
    scan(desk, coat)
    html = scan(desk, scarf).content.decode()

    line = row(html, "SCF-01")
    assert "not priced in CHF" in line
    assert "49.90" not in line
    assert 'data-testid="basket-total">198.45 CHF' in html
    assert f'data-testid="not-priced">{NOT_PRICED}<' in html


def test_a_sale_holding_an_unpriced_item_is_not_paid_until_it_is_taken_out(
    desk, coat, scarf
):
    scan(desk, coat)
    scan(desk, scarf)

    refused = pay_cash(desk, "198.45")

    assert refused.status_code == 422
    assert NOT_PRICED in refused.content.decode()
    assert not Order.objects.exists()

    line = CartLine.objects.get(variant=scarf)
    after = desk.post(
        reverse("staff:sale_line", args=[line.pk]), {"quantity": 0}, **HTMX
    )
    assert 'data-testid="not-priced"' not in after.content.decode()
    assert "HX-Redirect" in pay_cash(desk, "198.45")
    order = Order.objects.get()
    assert (order.currency, str(order.total)) == ("CHF", "198.45")
