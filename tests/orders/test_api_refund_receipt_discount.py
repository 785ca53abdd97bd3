"""The refund receipt of a return from an order placed with a discount code gives each
returned line its share of the discount, as the sale receipt of the order does: unit
price × quantity − discount is the line's total, in the API and on the printed slip;
a line sold without a discount has none."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from orders.models import Order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.pickups import collect_order
from orders.services.refunds import receive_and_refund_return
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


def collected(client: APIClient, store, associate, *lines, **body) -> Order:
    """The signed-in customer's click-and-collect order of ``lines``, collected."""
    response = client.post(
        "/api/v1/checkout/buy-now/",
        {
            "lines": [{"variant": v.pk, "quantity": q} for v, q in lines],
            "payment": CARD,
            "fulfilment": "pickup",
            "store": store.pk,
            **body,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    mark_picked(order=order, actor=associate, location=store)
    order = mark_ready(order=order, actor=associate, location=store)
    return collect_order(
        order=order, actor=associate, code=order.pickup_code, location=store
    )


def refunded_return(client, order, store, associate) -> str:
    """Every line of the order returned online, then refunded at ``store``."""
    started = client.post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {"order_line": line.pk, "quantity": line.quantity, "reason": "too_big"}
                for line in order.lines.order_by("id")
            ],
        },
        format="json",
    )
    assert started.status_code == 201, started.json()
    code = started.json()["code"]
    receive_and_refund_return(return_request=code, location=store, actor=associate)
    return code


def adds_up(line: dict) -> bool:
    goods = Decimal(line["unit_price"]) * line["quantity"]
    return goods - Decimal(line["discount"] or "0") == Decimal(line["total"])


def test_the_refund_receipt_gives_each_line_its_discount_as_the_sale_receipt(
    store, associate
):
    user, _ = shopper()
    client = api_client_for(user)
    discount_code("TENOFF", "fixed", "10")
    shirt = stocked(store, 10, price="40.00", sku="SHIRT")
    belt = stocked(store, 10, price="15.50", sku="BELT")
    order = collected(
        client, store, associate, (shirt, 1), (belt, 2), discount_code="TENOFF"
    )
    code = refunded_return(client, order, store, associate)

    sale = client.get(f"/api/v1/orders/{order.number}/receipt/").json()
    response = client.get(f"/api/v1/returns/{code}/receipt/")

    assert response.status_code == 200, response.json()
    returned = {line["sku"]: line for line in response.json()["returned"]["lines"]}
    sold = {line["sku"]: line for line in sale["sold"]["lines"]}
    assert {
        sku: (line["unit_price"], line["quantity"], line["discount"], line["total"])
        for sku, line in returned.items()
    } == {
        "SHIRT": ("40.00", 1, "5.63", "34.37"),
        "BELT": ("15.50", 2, "4.37", "26.63"),
    }
    for sku, line in returned.items():
        assert line["discount"] == sold[sku]["discount"]
        assert adds_up(line)
    assert response.json()["returned"]["total"] == "61.00"


def test_a_line_sold_without_a_discount_has_none_on_the_refund_receipt(
    store, associate
):
    user, _ = shopper()
    client = api_client_for(user)
    belt = stocked(store, 10, price="15.50", sku="BELT")
    order = collected(client, store, associate, (belt, 2))
    code = refunded_return(client, order, store, associate)

    receipt = client.get(f"/api/v1/returns/{code}/receipt/").json()
    (line,) = receipt["returned"]["lines"]

    assert (line["unit_price"], line["quantity"], line["discount"], line["total"]) == (
        "15.50",
        2,
        None,
        "31.00",
    )


def test_the_printed_refund_receipt_shows_the_discount_like_the_sale_receipt(
    client, store, associate
):
    user, _ = shopper()
    api = api_client_for(user)
    discount_code("TENOFF", "fixed", "10")
    shirt = stocked(store, 10, price="40.00", sku="SHIRT")
    belt = stocked(store, 10, price="15.50", sku="BELT")
    order = collected(
        api, store, associate, (shirt, 1), (belt, 2), discount_code="TENOFF"
    )
    code = refunded_return(api, order, store, associate)
    client.force_login(associate)

    html = client.get(reverse("staff:return_receipt_print", args=[code]))

    assert html.status_code == 200
    returned = html.content.decode().split('data-testid="receipt-returned"')[1]
    returned = returned.split("</table>")[0]
    assert "BELT · 15.50 each · −4.37 off" in returned
    assert "SHIRT · −5.63 off" in returned
    assert "−26.63" in returned and "−34.37" in returned
