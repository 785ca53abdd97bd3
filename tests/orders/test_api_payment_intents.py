"""The storefront starts its payment with the Stripe adapter (against a local fake
Stripe): the intent's amount is the checkout's own total, held for a pickup and paid
at once for a parcel from a warehouse, made for one cart; an intent that already paid
an order is refused with a 4xx, never a 500."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import Location, PriceList, PriceListPrice, StockLevel
from omnistore.core.exceptions import Conflict
from orders.models import Order, Payment, PaymentStatus
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order, expire_uncollected_pickups
from tests.orders.factories import ADDRESS, pickup_order, shop, stocked, warehouse
from tests.orders.test_api_payments_stripe import (
    confirmed_intent,
    pickup_cart,
)

pytestmark = pytest.mark.django_db

INTENT = "/api/v1/checkout/payment-intent/"


def checkout(client, body, token):
    return client.post(
        "/api/v1/checkout/",
        {**body, "payment": {"method": "card_online", "token": token}},
        format="json",
    )


def test_a_pickup_intent_is_held_for_the_carts_total_once(fake_stripe):
    client, body = pickup_cart(price="30.00")

    first = client.post(INTENT, body, format="json")
    again = client.post(INTENT, body, format="json")

    assert first.status_code == 201, first.json()
    data = first.json()
    assert data["id"] == again.json()["id"]  # the same key answers the same intent
    assert data["client_secret"].startswith(data["id"])
    assert (data["amount"], data["currency"], data["capture_method"]) == (
        "30.00",
        "EUR",
        "manual",
    )
    intent = fake_stripe.intents[data["id"]]
    assert (intent["amount"], intent["currency"]) == (3000, "eur")
    assert intent["metadata"]["omnistore_cart"].startswith("cart-")
    creates = fake_stripe.calls("POST", "/v1/payment_intents")
    assert creates[0][2].startswith("intent:cart-")
    assert not Order.objects.exists()

    fake_stripe.confirm(data["id"])
    placed = checkout(client, body, data["id"])
    assert placed.status_code == 201, placed.json()
    assert placed.json()["payments"][0]["status"] == PaymentStatus.AUTHORISED


def test_a_parcel_from_a_warehouse_is_paid_at_once(fake_stripe):
    depot = warehouse()
    item = stocked(depot, 3, price="12.50")
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": item.pk, "quantity": 2}]},
        format="json",
    )
    body = {"fulfilment": "delivery", "address": ADDRESS, "email": "a@example.com"}
    intent = confirmed_intent(fake_stripe, client, body)
    assert (intent["amount"], intent["capture_method"]) == (2500, "automatic")
    placed = checkout(client, body, intent["id"])
    assert placed.status_code == 201, placed.json()
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def test_an_intent_not_yet_confirmed_pays_nothing(fake_stripe):
    client, body = pickup_cart()
    started = client.post(INTENT, body, format="json").json()
    refused = checkout(client, body, started["id"])
    assert refused.status_code == 402
    assert not Order.objects.exists()


def test_an_intent_for_an_older_cart_is_refused_when_the_cart_changed(fake_stripe):
    """The cart grew after the payment started: the intent is for less."""
    client, body = pickup_cart(price="30.00")
    intent = confirmed_intent(fake_stripe, client, body)
    more = stocked(Location.objects.get(pk=body["store"]), 1, price="5.00")
    client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": more.pk, "quantity": 1}]},
        format="json",
    )
    refused = checkout(client, body, intent["id"])
    assert refused.status_code == 402
    assert refused.json()["code"] == "payment_amount_mismatch"
    newer = client.post(INTENT, body, format="json").json()
    assert newer["id"] != intent["id"] and newer["amount"] == "35.00"


def test_an_intent_that_paid_an_order_does_not_pay_another_cart(fake_stripe):
    client, body = pickup_cart(price="30.00")
    intent = confirmed_intent(fake_stripe, client, body)
    assert checkout(client, body, intent["id"]).status_code == 201

    other, other_body = pickup_cart(price="30.00")
    refused = checkout(other, other_body, intent["id"])

    assert refused.status_code in (400, 402, 409), refused.json()
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_a_payment_already_used_is_a_conflict_not_a_crash(fake_stripe):
    """Without a cart (an order placed by a service) the intent's reference is what
    makes it pay once: the second order is refused with a 409 and holds no stock."""
    store = shop()
    item = stocked(store, 3, price="30.00")
    intent = fake_stripe.intent(3000)
    payments = [PaymentRequest(method="card_online", token=intent["id"])]
    first = pickup_order(store=store, lines=[(item, 1)], payments=payments)

    with pytest.raises(Conflict) as refused:
        pickup_order(store=store, lines=[(item, 1)], payments=payments)

    assert refused.value.status == 409
    assert refused.value.code == "payment_already_used"
    assert list(Order.objects.all()) == [first]
    assert StockLevel.objects.get(variant=item, location=store).reserved == 1


def test_the_intent_needs_a_cart_with_lines(fake_stripe):
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    refused = client.post(
        INTENT,
        {"fulfilment": "pickup", "store": shop().pk, "email": "a@example.com"},
        format="json",
    )
    assert refused.status_code == 400
    assert "cart" in refused.json()["extra"]
    bad = client.post(INTENT, {"fulfilment": "teleport"}, format="json")
    assert bad.status_code == 400 and "fulfilment" in bad.json()["extra"]
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []


def test_the_test_provider_answers_an_intent_its_checkout_takes(settings):
    """The demo storefront runs the same two calls against the test provider."""
    client, body = pickup_cart(price="19.90")
    started = client.post(INTENT, body, format="json")
    assert started.status_code == 201, started.json()
    assert started.json()["provider"] == "test"
    assert Decimal(started.json()["amount"]) == Decimal("19.90")
    placed = checkout(client, body, started.json()["id"])
    assert placed.status_code == 201, placed.json()


@pytest.mark.parametrize("ending", ["collected", "expired"])
def test_click_and_collect_is_authorised_then_captured_or_released(fake_stripe, ending):
    """Checked out through the API with a held intent; handed over at the desk the
    money is taken, left uncollected past its time the hold is let go."""
    client, body = pickup_cart(price="30.00")
    intent = confirmed_intent(fake_stripe, client, body)
    placed = checkout(client, body, intent["id"])
    assert placed.json()["payments"][0]["status"] == PaymentStatus.AUTHORISED
    order = Order.objects.get(number=placed.json()["number"])
    mark_picked(order=order)
    order = mark_ready(order=order)

    if ending == "collected":
        collect_order(order=order, actor=None, code=order.pickup_code)
        expected = (PaymentStatus.CAPTURED, "succeeded")
    else:
        expire_uncollected_pickups(now=timezone.now() + timedelta(days=30))
        expected = (PaymentStatus.RELEASED, "canceled")

    payment = Payment.objects.get()
    assert (payment.status, fake_stripe.intents[intent["id"]]["status"]) == expected


def test_stripe_out_of_reach_is_a_503_the_client_may_retry(fake_stripe):
    client, body = pickup_cart(price="30.00")
    fake_stripe.drop = 10  # every call to Stripe is cut off

    refused = client.post(INTENT, body, format="json")

    assert refused.status_code == 503, refused.content
    assert refused["Retry-After"] == "1"
    assert refused.json()["code"] == "payment_unavailable"
    fake_stripe.drop = 0
    retried = client.post(INTENT, body, format="json")
    assert retried.status_code == 201, retried.json()
    assert not Order.objects.exists()


def test_an_idempotency_key_longer_than_a_checkout_takes_is_refused(fake_stripe):
    client, body = pickup_cart(price="30.00")

    long = client.post(INTENT, body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)
    fits = client.post(INTENT, body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 100)

    assert long.status_code == 400
    assert long.json()["extra"] == {"idempotency_key": ["At most 100 characters."]}
    assert fits.status_code == 201, fits.json()
    creates = fake_stripe.calls("POST", "/v1/payment_intents")
    assert len(creates) == 1 and creates[0][2].endswith(":" + "k" * 100)


def test_an_intent_for_a_sale_in_francs_is_in_francs(fake_stripe):
    zurich = shop(code="ZH01", country="CH", city="Zürich")
    item = stocked(zurich, 3, price="49.90")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=item,
        price=Decimal("54.05"),
    )
    client = APIClient()
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    client.post("/api/v1/cart/lines/", {"variant": item.pk, "quantity": 1})
    body = {"fulfilment": "pickup", "store": zurich.pk, "email": "ada@example.com"}

    answer = client.post(INTENT, body, format="json")

    assert answer.status_code == 201, answer.json()
    assert (answer.json()["amount"], answer.json()["currency"]) == ("54.05", "CHF")
    intent = fake_stripe.intents[answer.json()["id"]]
    assert (intent["amount"], intent["currency"]) == (5405, "chf")
    fake_stripe.confirm(answer.json()["id"])
    placed = checkout(client, body, answer.json()["id"])
    assert placed.status_code == 201, placed.json()
    assert Order.objects.get().currency == "CHF"
