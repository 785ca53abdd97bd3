"""The app says who it is with ``X-Client-Channel: app`` on every request: its carts,
orders (an e-gift card's too), returns and their withdrawal are recorded as the app's
unless the body names a channel, as its wishlists and profile changes are; without the
header they are the website's."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import CustomerEvent
from orders.models import Cart, Order, Return
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

pytestmark = pytest.mark.django_db

APP = {"HTTP_X_CLIENT_CHANNEL": "app"}
CARD = {"method": "card_online", "token": "tok_visa"}


@pytest.fixture
def store():
    return shop()


@pytest.fixture
def item(store):
    return stocked(store, 5, price="20.00")


def pickup(store, **body):
    return {"fulfilment": "pickup", "store": store.pk, "payment": CARD, **body}


def test_a_guest_s_cart_and_order_from_the_app_are_the_app_s(store, item):
    client = APIClient()
    started = client.post("/api/v1/cart/", **APP)
    assert started.status_code == 201 and started.json()["channel"] == "app"
    client.credentials(HTTP_X_CART_TOKEN=started.json()["token"])
    assert client.get("/api/v1/cart/", **APP).json()["channel"] == "app"
    added = client.post(
        "/api/v1/cart/lines/", {"variant": item.pk, "quantity": 1}, format="json", **APP
    )
    assert added.status_code == 201 and added.json()["channel"] == "app"
    assert Cart.objects.get().channel == "app"

    response = client.post(
        "/api/v1/checkout/",
        pickup(store, email="guest@example.com"),
        format="json",
        **APP,
    )

    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "app"
    assert Order.objects.get().channel == "app"


def test_a_signed_in_customer_s_cart_and_order_from_the_app_are_the_app_s(store, item):
    user, _ = shopper()
    client = api_client_for(user)
    added = client.post(
        "/api/v1/cart/lines/", {"variant": item.pk, "quantity": 1}, format="json", **APP
    )
    assert added.status_code == 201 and Cart.objects.get().channel == "app"

    response = client.post("/api/v1/checkout/", pickup(store), format="json", **APP)

    assert response.status_code == 201, response.json()
    assert Order.objects.get().channel == "app"


def test_a_buy_now_from_the_app_is_the_app_s(store, item):
    response = APIClient().post(
        "/api/v1/checkout/buy-now/",
        pickup(store, email="guest@example.com", lines=[{"variant": item.pk}]),
        format="json",
        **APP,
    )
    assert response.status_code == 201, response.json()
    assert Order.objects.get().channel == "app"


def test_without_the_header_the_cart_and_order_are_the_website_s(store, item):
    client = APIClient()
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    response = client.post(
        "/api/v1/checkout/", pickup(store, email="guest@example.com"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert Cart.objects.get().channel == "web"
    assert Order.objects.get().channel == "web"


def test_a_channel_named_in_the_body_is_kept(store, item):
    response = APIClient().post(
        "/api/v1/checkout/buy-now/",
        pickup(
            store,
            email="guest@example.com",
            channel="web",
            lines=[{"variant": item.pk}],
        ),
        format="json",
        **APP,
    )
    assert response.status_code == 201, response.json()
    assert Order.objects.get().channel == "web"


def test_a_return_started_in_the_app_is_the_app_s(store, item):
    user, customer = shopper()
    order = collected_order(store=store, lines=[(item, 1)], customer=customer)
    response = api_client_for(user).post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {"order_line": order.lines.get().pk, "quantity": 1, "reason": "other"}
            ],
        },
        format="json",
        **APP,
    )
    assert response.status_code == 201, response.json()
    assert response.json()["started_channel"] == "app"
    assert Return.objects.get().started_channel == "app"


def test_an_e_gift_card_bought_in_the_app_is_the_app_s_order(fresh_cache):
    user, customer = shopper()
    response = api_client_for(user).post(
        "/api/v1/gift-cards/purchase/",
        {
            "amount": "50.00",
            "country": "IT",
            "recipient_name": "Lea",
            "recipient_email": "lea@example.com",
            "send_on": timezone.localdate().isoformat(),
            "payment": CARD,
        },
        format="json",
        **APP,
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["order"])
    assert order.channel == "app"
    event = CustomerEvent.objects.get(customer=customer, kind="order_placed")
    assert event.channel == "app"


def test_a_return_withdrawn_in_the_app_is_recorded_as_the_app_s(store, item):
    """Started on the website, withdrawn in the app: the withdrawal is the app's."""
    user, customer = shopper()
    order = collected_order(store=store, lines=[(item, 1)], customer=customer)
    client = api_client_for(user)
    started = client.post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {"order_line": order.lines.get().pk, "quantity": 1, "reason": "other"}
            ],
        },
        format="json",
    )
    code = started.json()["code"]
    assert started.json()["started_channel"] == "web"

    withdrawn = client.post(f"/api/v1/returns/{code}/cancel/", **APP)

    assert withdrawn.status_code == 200, withdrawn.json()
    event = CustomerEvent.objects.get(kind="return_cancelled", reference_id=code)
    assert event.channel == "app"
    assert Return.objects.get(code=code).started_channel == "web"


def test_the_schema_documents_the_header_where_it_decides_the_channel(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = {
        ("/api/v1/cart/", "post"),
        ("/api/v1/cart/lines/", "post"),
        ("/api/v1/checkout/", "post"),
        ("/api/v1/checkout/buy-now/", "post"),
        ("/api/v1/returns/", "post"),
        ("/api/v1/returns/{code}/cancel/", "post"),
        ("/api/v1/gift-cards/purchase/", "post"),
        ("/api/v1/auth/register/", "post"),
        ("/api/v1/me/consents/", "put"),
    }
    for path, method in operations:
        parameters = schema["paths"][path][method].get("parameters", [])
        headers = {p["name"] for p in parameters if p["in"] == "header"}
        assert "X-Client-Channel" in headers, (path, method)
    checkout = schema["components"]["schemas"]["CheckoutInputRequest"]
    assert "X-Client-Channel" in checkout["properties"]["channel"]["description"]
