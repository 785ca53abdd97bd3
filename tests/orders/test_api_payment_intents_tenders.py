"""A split tender paid with Stripe (against a local fake Stripe): the payment intent
is for what the gift cards, store credit and points leave, the customer confirms
it, and checkout with the same tenders takes each of them and the card's share."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import Order, PaymentStatus
from tests.customers.factories import make_customer
from tests.factories import UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.stored_value_helpers import (
    PIN,
    balance,
    credit_of,
    gift_card,
    give_credit,
    give_points,
    points_of,
)
from tests.orders.test_api_stored_value import fill_cart, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

INTENT = "/api/v1/checkout/payment-intent/"


@pytest.fixture
def store():
    return shop()


@pytest.fixture
def item(store):
    return stocked(store, 5, price="59.90")


def paid(response) -> dict[str, tuple[str, str]]:
    return {
        p["method"]: (p["amount"], p["status"]) for p in response.json()["payments"]
    }


def test_a_gift_card_and_a_stripe_card_pay_a_pickup_together(fake_stripe, store, item):
    card = gift_card("20.00")
    client = APIClient()
    fill_cart(client, item)
    tenders = [
        {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "20.00"}
    ]
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "email": "ada@example.com",
        "tenders": tenders,
    }

    started = client.post(INTENT, body, format="json")

    assert started.status_code == 201, started.json()
    assert (started.json()["amount"], started.json()["currency"]) == ("39.90", "EUR")
    intent = fake_stripe.intents[started.json()["id"]]
    assert (intent["amount"], intent["capture_method"]) == (3990, "manual")
    assert balance(card) == Decimal("20.00")  # nothing spent before checkout

    fake_stripe.confirm(intent["id"])
    placed = client.post(
        "/api/v1/checkout/",
        {**body, "payment": {"method": "card_online", "token": intent["id"]}},
        format="json",
    )

    assert placed.status_code == 201, placed.json()
    assert paid(placed) == {
        "gift_card": ("20.00", PaymentStatus.CAPTURED),
        "card_online": ("39.90", PaymentStatus.AUTHORISED),
    }
    assert balance(card) == Decimal("0.00")


def test_every_stored_value_and_a_stripe_card_split_a_signed_in_order(
    fake_stripe, store, item
):
    """The split of docs/stored-value.md: gift card, store credit and points first,
    the card the rest, with the intent priced the way checkout splits it."""
    user = UserFactory(email="pia@example.com")
    customer = make_customer(email="pia@example.com", user=user)
    give_credit(customer, "15.00")
    give_points(customer, 500)  # 5.00
    card = gift_card("10.00")
    client = signed_in(user)
    fill_cart(client, item)
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "tenders": [
            {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "10.00"},
            {"type": "store_credit", "amount": "15.00"},
            {"type": "points", "points": 500},
        ],
    }

    started = client.post(INTENT, body, format="json")

    assert started.status_code == 201, started.json()
    assert started.json()["amount"] == "29.90"
    fake_stripe.confirm(started.json()["id"])
    placed = client.post(
        "/api/v1/checkout/",
        {**body, "payment": {"method": "card_online", "token": started.json()["id"]}},
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    assert {method: amount for method, (amount, _) in paid(placed).items()} == {
        "gift_card": "10.00",
        "store_credit": "15.00",
        "loyalty_points": "5.00",
        "card_online": "29.90",
    }
    assert (balance(card), credit_of(customer), points_of(customer)) == (
        Decimal("0.00"),
        Decimal("0.00"),
        0,
    )


def test_tenders_paying_it_all_need_no_intent(fake_stripe, store, item):
    card = gift_card("100.00")
    client = APIClient()
    fill_cart(client, item)
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "email": "ada@example.com",
        "tenders": [
            {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "59.90"}
        ],
    }

    refused = client.post(INTENT, body, format="json")

    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == "nothing_to_pay"
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []


def test_a_guest_holds_no_card_for_store_credit_checkout_would_refuse(
    fake_stripe, store, item
):
    client = APIClient()
    fill_cart(client, item)
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "email": "pia@example.com",
        "tenders": [{"type": "store_credit", "amount": "10.00"}],
    }

    refused = client.post(INTENT, body, format="json")

    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == "sign_in_required"
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []
    assert not Order.objects.exists()
