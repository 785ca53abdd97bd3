"""VAT through the storefront API: the cart and the order show net, tax and gross
per line and in total; an unknown country or a product without a tax class is a
400 naming the field, with nothing written."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.models import Product, Reservation, StockLevel
from orders.models import Cart, CartStatus, Order, OrderTaxTotal
from tests.orders.factories import shop, stocked, warehouse

from .test_api_checkout import ADDRESS, cart_with, checkout

pytestmark = pytest.mark.django_db


def test_the_cart_shows_net_tax_and_gross_per_line_and_in_total():
    store = shop()
    shirt = stocked(store, 5, price="24.40")
    book = stocked(store, 5, price="10.40", product__tax_class="super_reduced")
    client = APIClient()
    cart_with(client, (shirt, 2), (book, 1))

    body = client.get("/api/v1/cart/").json()

    assert (body["country"], body["currency"]) == ("IT", "EUR")
    assert [
        (line["gross"], line["net"], line["tax"], line["tax_rate"])
        for line in body["lines"]
    ] == [("48.80", "40.00", "8.80", "22.00"), ("10.40", "10.00", "0.40", "4.00")]
    assert (body["subtotal"], body["net_total"], body["tax_total"]) == (
        "59.20",
        "50.00",
        "9.20",
    )
    german = client.get("/api/v1/cart/?country=de").json()
    assert (german["country"], german["lines"][1]["tax_rate"]) == ("DE", "7.00")


def test_a_cart_for_an_unknown_country_is_a_400_on_country():
    client = APIClient()
    cart_with(client, (stocked(shop(), 1), 1))
    for country in ("US", "x1", ""):
        response = client.get(f"/api/v1/cart/?country={country}")
        assert response.status_code == 400
        assert list(response.json()["extra"]) == ["country"]


def test_the_order_body_shows_vat_per_line_per_rate_and_in_total():
    store = shop()
    shirt = stocked(store, 5, price="24.40")
    book = stocked(store, 5, price="10.40", product__tax_class="super_reduced")
    client = APIClient()
    cart_with(client, (shirt, 2), (book, 1))

    placed = checkout(client, fulfilment="pickup", store=store.pk)

    assert placed.status_code == 201, placed.json()
    body = placed.json()
    assert [
        (line["tax_class"], line["tax_rate"], line["net"], line["tax"], line["gross"])
        for line in body["lines"]
    ] == [
        ("standard", "22.00", "40.00", "8.80", "48.80"),
        ("super_reduced", "4.00", "10.00", "0.40", "10.40"),
    ]
    assert (body["net_total"], body["tax_total"], body["total"]) == (
        "50.00",
        "9.20",
        "59.20",
    )
    assert body["tax_country"] == "IT"
    assert [(t["rate"], t["tax"]) for t in body["tax_totals"]] == [
        ("22.00", "8.80"),
        ("4.00", "0.40"),
    ]
    assert OrderTaxTotal.objects.count() == 2


def test_a_delivery_to_an_unknown_country_is_a_400_and_writes_nothing():
    item = stocked(warehouse(), 5)
    client = APIClient()
    cart_with(client, (item, 1))

    response = checkout(
        client, fulfilment="delivery", address={**ADDRESS, "country": "US"}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_country"
    assert body["extra"] == {"address": {"country": ["No market sells to US."]}}
    assert not Order.objects.exists()
    assert not Reservation.objects.exists()
    assert Cart.objects.get().status == CartStatus.OPEN


def test_a_product_without_a_tax_class_is_a_400_naming_it_and_writes_nothing():
    store = shop()
    fine = stocked(store, 5)
    unclassed = stocked(store, 5)
    Product.objects.filter(pk=unclassed.product_id).update(tax_class="")
    client = APIClient()
    cart_with(client, (fine, 1), (unclassed, 1))

    response = checkout(client, fulfilment="pickup", store=store.pk)

    assert response.status_code == 400
    assert response.json()["extra"] == {"lines": [f"{unclassed.sku} has no tax class."]}
    assert not Order.objects.exists()
    assert set(StockLevel.objects.values_list("reserved", flat=True)) == {0}
    assert Cart.objects.get().status == CartStatus.OPEN


def test_totals_hold_for_many_odd_lines():
    """Whatever the prices, each line is net + tax = gross and the order's totals
    are the sums of its lines."""
    store = shop()
    items = [
        stocked(store, 9, price=price, product__tax_class=tax_class)
        for price, tax_class in [
            ("0.99", "standard"),
            ("1.01", "reduced"),
            ("7.77", "second_reduced"),
            ("13.13", "super_reduced"),
            ("2.50", "zero"),
        ]
    ]
    client = APIClient()
    cart_with(client, *[(item, 3) for item in items])
    placed = checkout(client, fulfilment="pickup", store=store.pk)
    assert placed.status_code == 201
    order = Order.objects.get()
    lines = list(order.lines.all())
    assert all(line.net + line.tax == line.line_total for line in lines)
    assert sum(line.tax for line in lines) == order.tax_total
    assert sum(line.net for line in lines) + order.tax_total == order.total
    assert sum(t.gross for t in order.tax_totals.all()) == order.total
    assert Decimal(placed.json()["tax_total"]) == order.tax_total
