"""An ``Idempotency-Key`` on a cart checkout answers only the checkout of that cart:
another visitor sending the same key and body makes their own order, never sees
someone else's; a signed-in customer's next cart with the same key is refused
(409), never answered with the last order; a retry of the same checkout still
answers its order."""

import pytest
from rest_framework.test import APIClient

from orders.models import Cart, CartStatus, Order, Payment
from tests.customers.factories import CustomerUserFactory
from tests.orders.factories import shop, stocked

from .test_api_checkout import CARD, cart_with, checkout

pytestmark = pytest.mark.django_db

KEY = "checkout-2"


def test_another_visitor_with_the_same_key_and_body_makes_their_own_order():
    store = shop()
    shirt, scarf = stocked(store, 5), stocked(store, 5)
    first_visitor, second_visitor = APIClient(), APIClient()
    cart_with(first_visitor, (shirt, 1))
    body = {"fulfilment": "pickup", "store": store.pk, "email": "ada@example.com"}
    theirs = checkout(first_visitor, key=KEY, **body)
    assert theirs.status_code == 201, theirs.json()
    token = cart_with(second_visitor, (scarf, 3))

    mine = checkout(second_visitor, key=KEY, **body)

    assert mine.status_code == 201, mine.json()
    assert "Idempotent-Replayed" not in mine
    assert mine.json()["number"] != theirs.json()["number"]
    assert [(line["sku"], line["quantity"]) for line in mine.json()["lines"]] == [
        (scarf.sku, 3)
    ]
    assert Cart.objects.get(token=token).status == CartStatus.CONVERTED
    references = set(Payment.objects.values_list("provider_reference", flat=True))
    assert len(references) == 2  # two charges, not the first one answered twice
    # each visitor's retry still answers their own order
    again = checkout(second_visitor, key=KEY, **body)
    assert again.status_code == 200
    assert again.json()["number"] == mine.json()["number"]
    assert Order.objects.count() == 2


def signed_in_cart(client, variant, quantity):
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": variant.pk, "quantity": quantity}]},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_a_customer_s_next_cart_with_the_same_key_is_refused_and_stays_open():
    store = shop()
    shirt, scarf = stocked(store, 5), stocked(store, 5)
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    body = {"fulfilment": "pickup", "store": store.pk, "payment": CARD}
    signed_in_cart(client, shirt, 1)
    first = checkout(client, key=KEY, **body)
    assert first.status_code == 201, first.json()
    signed_in_cart(client, scarf, 2)

    again = checkout(client, key=KEY, **body)

    assert again.status_code == 409, again.json()
    assert again.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    cart = client.get("/api/v1/cart/").json()
    assert cart["status"] == CartStatus.OPEN
    assert [(line["variant"], line["quantity"]) for line in cart["lines"]] == [
        (scarf.pk, 2)
    ]
    placed = checkout(client, key="checkout-3", **body)
    assert placed.status_code == 201, placed.json()


def test_a_retried_customer_checkout_answers_its_order_once_the_cart_is_closed():
    store = shop()
    shirt = stocked(store, 5)
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    body = {"fulfilment": "pickup", "store": store.pk, "payment": CARD}
    signed_in_cart(client, shirt, 1)
    first = checkout(client, key=KEY, **body)
    assert first.status_code == 201, first.json()
    # the next cart is started (and emptied) before the retry arrives
    signed_in_cart(client, shirt, 1)
    line = client.get("/api/v1/cart/").json()["lines"][0]["id"]
    assert client.delete(f"/api/v1/cart/lines/{line}/").status_code in (200, 204)

    again = checkout(client, key=KEY, **body)

    assert again.status_code == 200, again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
