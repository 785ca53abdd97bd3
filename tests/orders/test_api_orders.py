"""Customers see their own orders from every channel, in a fixed number of queries."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.services.matching import match_customer
from inventory.models import StockLevel
from omnistore.core.channels import Channel
from orders.models import OrderStatus, PaymentMethod, Refund
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked
from orders.services.payments import PaymentRequest
from orders.services.till import TillBooking
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import pickup_order, shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def customer_user():
    user = UserFactory(email="cleo@example.com")
    customer = match_customer(user=user, email=user.email, channel="web")
    return user, customer


def make_orders(customer, store, count):
    items = [stocked(store, 20) for _ in range(2)]
    return [
        pickup_order(
            store=store, lines=[(items[0], 1), (items[1], 2)], customer=customer
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("count", [1, 6])
def test_order_list_costs_the_same_queries_at_any_length(
    customer_user, count, django_assert_max_num_queries
):
    user, customer = customer_user
    make_orders(customer, shop(), count)
    client = client_for(user)
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/orders/")
    assert response.status_code == 200
    assert response.json()["count"] == count
    assert all(len(row["lines"]) == 2 for row in response.json()["results"])


@pytest.mark.parametrize("count", [1, 4])
def test_order_detail_costs_a_fixed_number_of_queries(
    customer_user, count, django_assert_max_num_queries
):
    user, customer = customer_user
    store = shop()
    items = [stocked(store, 10) for _ in range(count)]
    order = pickup_order(store=store, lines=[(i, 1) for i in items], customer=customer)
    client = client_for(user)
    with django_assert_max_num_queries(9):
        response = client.get(f"/api/v1/orders/{order.number}/")
    assert response.status_code == 200
    assert len(response.json()["lines"]) == count
    assert response.json()["payments"][0]["status"] == "captured"
    assert response.json()["history"][0]["to_status"] == "placed"


def test_another_customers_order_is_not_found(customer_user):
    user, _ = customer_user
    store = shop()
    theirs = pickup_order(
        store=store, lines=[(stocked(store, 2), 1)], email="x@example.com"
    )
    client = client_for(user)
    assert client.get(f"/api/v1/orders/{theirs.number}/").status_code == 404
    assert client.post(f"/api/v1/orders/{theirs.number}/cancel/").status_code == 404
    assert client.get("/api/v1/orders/").json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PLACED


def test_order_lists_need_a_signed_in_customer():
    assert APIClient().get("/api/v1/orders/").status_code in (401, 403)


def test_customer_cancels_before_picking_and_is_refunded(customer_user):
    user, customer = customer_user
    store = shop()
    item = stocked(store, 3)
    order = pickup_order(store=store, lines=[(item, 2)], customer=customer)
    response = client_for(user).post(
        f"/api/v1/orders/{order.number}/cancel/", {"reason": "Found it elsewhere"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["payments"][0]["status"] == "refunded"
    assert body["payments"][0]["refunds"][0]["amount"] == body["total"]
    assert StockLevel.objects.get(variant=item, location=store).reserved == 0


def test_customer_cannot_cancel_once_picked(customer_user):
    user, customer = customer_user
    store = shop()
    order = pickup_order(store=store, lines=[(stocked(store, 3), 1)], customer=customer)
    mark_picked(order=order)
    response = client_for(user).post(f"/api/v1/orders/{order.number}/cancel/")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED


def test_an_order_paid_in_cash_at_a_shop_is_cancelled_at_a_shop(customer_user):
    """Cash comes back from a till: the app refuses the cancellation and says where,
    and nothing is marked refunded that no one handed over."""
    user, customer = customer_user
    store = shop()
    associate = StaffFactory(store=store)
    order = place_order(  # endless aisle: paid in cash now, collected later
        lines=[LineRequest(stocked(store, 3), 1)],
        channel=Channel.STORE,
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        customer=customer,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
        till=TillBooking(open_counter_till(associate)),
    )

    client = client_for(user)
    assert client.get(f"/api/v1/orders/{order.number}/").json()["can_cancel"] is False

    response = client.post(f"/api/v1/orders/{order.number}/cancel/")

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "cancel_at_shop"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert not Refund.objects.exists()


def test_a_cancelled_orders_receipt_says_so_and_shows_the_refund(customer_user):
    user, customer = customer_user
    store = shop()
    order = pickup_order(store=store, lines=[(stocked(store, 3), 2)], customer=customer)
    client = client_for(user)
    client.post(f"/api/v1/orders/{order.number}/cancel/")

    receipt = client.get(f"/api/v1/orders/{order.number}/receipt/").json()

    assert receipt["cancelled_at"] is not None
    assert [t["amount"] for t in receipt["refunds"]] == [order.total.to_eng_string()]
    assert receipt["refunds"][0]["method"] == receipt["tenders"][0]["method"]


def test_the_schema_documents_what_a_cancellation_can_answer(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    responses = schema["paths"]["/api/v1/orders/{number}/cancel/"]["post"]["responses"]

    refused = responses["409"]["description"]
    assert "`illegal_transition`" in refused and "`cancel_at_shop`" in refused
    assert "stock" not in refused and "cart" not in responses["404"]["description"]
    assert "`not_found`" in responses["404"]["description"]
    assert "`payment_unavailable`" in responses["503"]["description"]
    for code in ("404", "409", "503"):
        assert responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
