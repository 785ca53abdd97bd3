"""Without an Idempotency-Key, the provider's key comes from the cart and what it buys:
a checkout that failed after the charge and is retried charges the same key once."""

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from orders.payments.registry import get_provider
from tests.orders.factories import stocked, warehouse

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}
ADDRESS = {"line1": "Via Torino 1", "city": "Milano", "postcode": "20123"}


def test_the_same_cart_gets_the_same_provider_key_and_a_changed_cart_a_new_one():
    item = stocked(warehouse(), 10, price="30.00")
    provider = get_provider("test")
    provider.charges.clear()
    client = APIClient()
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": item.pk, "quantity": 1}]},
        format="json",
    )
    body = {"fulfilment": "delivery", "address": ADDRESS, "email": "a@example.com"}

    placed = client.post("/api/v1/checkout/", {**body, "payment": CARD}, format="json")

    assert placed.status_code == 201, placed.json()
    [key] = provider.charges
    assert key.startswith("cart:") and key.endswith(":0")
    order = Order.objects.get()
    assert order.payments.get().provider_reference == provider.charges[key].reference
    assert order.number not in key  # a retry would not know the new number
