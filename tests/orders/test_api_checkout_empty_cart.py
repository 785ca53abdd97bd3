"""A signed-in checkout or payment intent with nothing to buy is refused and writes
nothing: no empty cart is stored for the refusal."""

import pytest
from rest_framework.test import APIClient

from orders.models import Cart
from tests.customers.factories import CustomerUserFactory

pytestmark = pytest.mark.django_db

PICKUP = {"fulfilment": "pickup", "store": 1}


@pytest.fixture
def customer_client():
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    return client


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/checkout/", {**PICKUP, "payment": {"token": "tok_visa"}}),
        ("/api/v1/checkout/payment-intent/", PICKUP),
    ],
)
def test_a_customer_without_a_cart_is_refused_and_no_cart_is_stored(
    customer_client, url, body
):
    response = customer_client.post(url, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["extra"] == {"cart": ["The cart is empty."]}
    assert not Cart.objects.exists()
