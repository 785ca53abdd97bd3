"""Order records are titled in the admin as a manager says them: a fulfilment by its
order and shop, payments, refunds and histories by their labels, lines by SKU, a
redemption by code and order number; the sales report names its channels."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import DiscountRedemption, Fulfilment, Payment
from orders.services.carts import add_lines_to_current_cart, create_cart
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
)
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import pickup_order, stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Duomo")


@pytest.fixture
def shirt(shop):
    return stocked(
        shop,
        10,
        sku="SKU-123",
        colour="",
        size="",
        price="40.00",
        product=ProductFactory(name="Linen shirt"),
    )


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_an_orders_page_titles_its_fulfilment_payment_and_history(root, shop, shirt):
    discount_code()
    order = pickup_order(store=shop, lines=[(shirt, 1)], discount_code="SPRING10")
    fulfilment = Fulfilment.objects.get(order=order)
    assert (
        str(fulfilment) == f"Order {order.number} · click and collect at Milano Duomo"
    )
    payment = Payment.objects.get(order=order)
    assert str(payment) == (
        f"{payment.get_method_display()} 36.00 EUR, "
        f"{payment.get_status_display().lower()}"
    )
    assert [str(step) for step in order.history.all()] == ["Placed"]
    redemption = DiscountRedemption.objects.get(order=order)
    assert str(redemption) == f"SPRING10 on order {order.number}"
    html = root.get(
        reverse("admin:orders_order_change", args=[order.pk])
    ).content.decode()
    assert str(fulfilment) in html and f"{order.pk}/pickup@" not in html


def test_a_returns_lines_and_refunds_name_the_item_and_payment(shop, shirt):
    sale = counter_sale(store=shop, lines=[(shirt, 1)], staff=StaffFactory(store=shop))
    line = sale.lines.get()
    returned = return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(line.pk, 1, "too_small")],
        location=shop,
        actor=StaffFactory(store=shop),
    )
    assert [str(row) for row in returned.lines.all()] == ["1 × SKU-123"]
    refund = returned.refunds.get()
    assert str(refund) == f"40.00 back on {refund.payment}"
    assert str(refund.payment).startswith("Card in store 40.00 EUR")
    statuses = [str(step) for step in returned.history.all()]
    assert statuses[0] == returned.history.first().get_to_status_display()
    assert all("_" not in step for step in statuses)


def test_a_cart_names_its_customer_and_items(shop, shirt):
    customer = make_customer(email="pia@x.it", first_name="Pia", last_name="Moro")
    create_cart(customer=customer)
    cart, _ = add_lines_to_current_cart(
        customer=customer, token="", lines=[(shirt.pk, 2)]
    )
    assert str(cart) == f"Cart {cart.pk} of Pia Moro (open)"
    assert [str(line) for line in cart.lines.all()] == ["2 × SKU-123 · Linen shirt"]


def test_the_sales_report_names_its_channels(root, shop, shirt):
    counter_sale(store=shop, lines=[(shirt, 1)], staff=StaffFactory(store=shop))
    response = root.get(reverse("admin:orders_order_report"), {"days": 0})
    html = response.content.decode()
    assert [row["label"] for row in response.context["report"].by_channel] == ["Store"]
    assert "<td>Store</td>" in html and "<td>store</td>" not in html
    assert "Store (EUR)" in html
