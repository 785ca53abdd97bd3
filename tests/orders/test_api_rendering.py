"""The cart after an add and the order just placed are rendered without building a
serializer per request; they must say exactly what the documented serializers say."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orders.api.cart_output import CartLineOutput, cart_lines_data
from orders.api.orders import OrderDetailOutput, order_detail_data
from orders.selectors.carts import cart_availability
from orders.selectors.orders import order_by_id, order_detail
from orders.selectors.taxes import sale_terms
from orders.services.carts import add_cart_lines, create_cart
from orders.services.fulfilment import cancel_order
from tests.factories import StaffFactory, stock
from tests.orders.factories import (
    delivery_order,
    pickup_order,
    ready_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = pytest.mark.django_db


def test_a_placed_order_renders_as_its_serializer_fresh_and_reloaded():
    store = shop()
    here = stocked(store, 5, price="19.90")
    depot = warehouse()
    elsewhere = stocked(depot, 5, price="5.05")  # travels to the shop first
    order = pickup_order(store=store, lines=[(here, 2), (elsewhere, 1)])

    assert order_detail_data(order) == OrderDetailOutput(order).data
    reloaded = order_by_id(order.pk)
    assert order_detail_data(reloaded) == OrderDetailOutput(reloaded).data
    assert len(order_detail_data(reloaded)["fulfilments"]) == 2


def test_delivered_ready_and_cancelled_orders_render_as_their_serializer():
    store = shop()
    depot = warehouse()
    item = stocked(depot, 9, price="12.50")
    delivery = delivery_order(lines=[(item, 3)])
    staff = StaffFactory(store=store)
    stock(item, store, 4)
    ready = ready_order(store=store, lines=[(item, 1)], staff=staff)
    cancelled = pickup_order(store=store, lines=[(item, 2)])
    cancel_order(order=cancelled, actor=staff, reason="Changed mind")

    for order in (delivery, ready, cancelled):
        loaded = order_by_id(order.pk)
        assert order_detail_data(loaded) == OrderDetailOutput(loaded).data
    rendered = order_detail_data(order_by_id(cancelled.pk))
    assert rendered["payments"][0]["refunds"]  # the refund is part of the shape
    assert order_detail_data(order_by_id(ready.pk))["pickup_code"]


@pytest.mark.parametrize("fulfilment", ["pickup", "delivery"])
def test_cart_lines_render_as_their_serializer(fulfilment):
    store = shop()
    depot = warehouse()
    at_shop = stocked(store, 5, price="10.00")
    from_depot = stocked(depot, 5, price="7.35")
    short = stocked(store, 1, price="3.10")
    cart = create_cart()
    lines = add_cart_lines(
        cart=cart, lines=[(at_shop.pk, 2), (from_depot.pk, 3), (short.pk, 4)]
    )
    availability = cart_availability(
        variant_ids=[line.variant_id for line in lines],
        store_id=store.pk if fulfilment == "pickup" else None,
    )

    terms = sale_terms(
        variants=[line.variant for line in lines],
        on=timezone.localdate(),
        destination="IT",
    )
    fast = cart_lines_data(
        lines, availability=availability, fulfilment=fulfilment, terms=terms
    )
    documented = CartLineOutput(
        lines,
        many=True,
        context={
            "availability": availability,
            "fulfilment": fulfilment,
            "terms": terms,
        },
    ).data
    assert fast == documented
    assert [line["tax"] for line in fast] == ["3.61", "3.98", "2.24"]
    assert {line["availability"] for line in fast} == (
        {"in_stock", "ships_to_store", "short"}
        if fulfilment == "pickup"
        else {"in_stock", "short"}
    )


def test_the_checkout_response_is_the_order_detail_shape():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")

    response = client.post(
        "/api/v1/checkout/",
        {
            "fulfilment": "pickup",
            "store": store.pk,
            "email": "ada@example.com",
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )

    assert response.status_code == 201
    order = order_by_id(order_detail(number=response.json()["number"]).pk)
    assert response.json() == OrderDetailOutput(order).data
