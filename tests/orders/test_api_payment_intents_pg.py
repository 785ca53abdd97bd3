"""One PaymentIntent pays one order, also when checkouts race for it (PostgreSQL,
real threads and connections): the others are refused with a 409, never a 500."""

import pytest
from rest_framework.test import APIClient

from inventory.models import StockLevel
from omnistore.core.exceptions import Conflict
from orders.models import Order, Payment
from orders.services.payments import PaymentRequest
from tests.concurrency import run_parallel
from tests.orders.factories import pickup_order, shop, stocked
from tests.orders.test_api_payments_stripe import confirmed_intent, pickup_cart

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_checkouts_of_one_cart_with_one_intent_make_one_order(fake_stripe):
    client, body = pickup_cart(price="30.00")
    intent = confirmed_intent(fake_stripe, client, body)
    token = client._credentials["HTTP_X_CART_TOKEN"]

    def attempt(key):
        def run():
            other = APIClient()
            other.credentials(HTTP_X_CART_TOKEN=token, HTTP_IDEMPOTENCY_KEY=key)
            return other.post(
                "/api/v1/checkout/",
                {**body, "payment": {"method": "card_online", "token": intent["id"]}},
                format="json",
            )

        return run

    results = run_parallel([attempt(f"key-{i}") for i in range(4)])

    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409], results
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_parallel_orders_paid_by_one_intent_make_one_order(fake_stripe):
    store = shop()
    item = stocked(store, 5, price="30.00")
    intent = fake_stripe.intent(3000)

    def place():
        return pickup_order(
            store=store,
            lines=[(item, 1)],
            payments=[PaymentRequest(method="card_online", token=intent["id"])],
        )

    results = run_parallel([place] * 4)

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(placed) == 1 and len(refused) == 3, results
    assert {r.code for r in refused} == {"payment_already_used"}
    assert Payment.objects.count() == 1
    assert StockLevel.objects.get(variant=item, location=store).reserved == 1
