"""A split tender paid with Stripe (against a local fake Stripe): the payment intent
is for what the gift cards, store credit and points leave, the customer confirms
it, and checkout with the same tenders takes each of them and the card's share.
Tenders checkout would refuse are refused before any intent is made, with
checkout's own answer, and nothing is taken from them."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import GiftCard, Order, PaymentStatus
from orders.services.giftcards import void_gift_card
from tests.customers.factories import make_customer
from tests.factories import UserFactory
from tests.orders.factories import ADDRESS, deliver_outbox, shop, stocked, warehouse
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


@pytest.fixture
def parcel():
    """An item sent from a warehouse: its intent is charged as soon as confirmed."""
    return stocked(warehouse(), 10, price="59.90")


@pytest.fixture
def member():
    user = UserFactory(email="pia@example.com")
    return user, make_customer(email="pia@example.com", user=user)


def delivery(tenders) -> dict:
    return {"fulfilment": "delivery", "address": ADDRESS, "tenders": tenders}


def refused_intent(fake_stripe, client, body, code: str) -> dict:
    """The intent is refused with ``code`` and none is made at Stripe."""
    response = client.post(INTENT, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code, response.json()
    assert fake_stripe.intents == {}
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []
    return response.json()


def checkout_answer(client, body) -> dict:
    placed = client.post(
        "/api/v1/checkout/",
        {**body, "payment": {"method": "card_online", "token": "pi_none"}},
        format="json",
    )
    assert placed.status_code == 400, placed.json()
    return placed.json()


@pytest.mark.parametrize(
    "case, code",
    [
        ("wrong_pin", "gift_card_invalid"),
        ("expired", "gift_card_unusable"),
        ("foreign_currency", "gift_card_unusable"),
        ("void", "gift_card_unusable"),
        ("too_much", "insufficient_gift_card_balance"),
    ],
)
def test_a_gift_card_checkout_would_refuse_gets_no_intent(
    fake_stripe, parcel, case, code
):
    card = gift_card("30.00", currency="CHF" if case == "foreign_currency" else "EUR")
    if case == "expired":
        GiftCard.objects.filter(pk=card.pk).update(expires_at="2020-01-01T00:00Z")
    if case == "void":
        void_gift_card(card=card, reason="Lost", actor=None)
    before = balance(card)
    client = APIClient()
    fill_cart(client, parcel)
    tender = {
        "type": "gift_card",
        "number": card.number,
        "pin": "000000" if case == "wrong_pin" else PIN,
        "amount": "40.00" if case == "too_much" else "30.00",
    }
    body = {**delivery([tender]), "email": "ada@example.com"}

    answer = refused_intent(fake_stripe, client, body, code)

    assert answer["extra"]["gift_card"], answer
    assert (answer["code"], answer["message"]) == (
        (checkout := checkout_answer(client, body))["code"],
        checkout["message"],
    )
    assert balance(card) == before
    assert not Order.objects.exists()


def test_one_gift_card_given_twice_for_more_than_it_holds_gets_no_intent(
    fake_stripe, parcel
):
    card = gift_card("30.00")
    client = APIClient()
    fill_cart(client, parcel)
    twice = {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "20"}
    body = {**delivery([twice, twice]), "email": "ada@example.com"}

    refused_intent(fake_stripe, client, body, "insufficient_gift_card_balance")

    assert checkout_answer(client, body)["code"] == "insufficient_gift_card_balance"
    assert balance(card) == Decimal("30.00")


def test_wrong_pins_tried_for_an_intent_lock_the_card_at_checkout(
    fake_stripe, parcel, settings
):
    card = gift_card("30.00")
    client = APIClient()
    fill_cart(client, parcel)
    limit = settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES

    def intent_with(pin):
        tender = {"type": "gift_card", "number": card.number, "pin": pin, "amount": "9"}
        return {**delivery([tender]), "email": "ada@example.com"}

    for attempt in range(limit - 1):
        refused_intent(
            fake_stripe, client, intent_with(f"{attempt:06d}"), "gift_card_invalid"
        )
    refused_intent(fake_stripe, client, intent_with("999999"), "gift_card_locked")

    locked = checkout_answer(client, intent_with(PIN))
    assert locked["code"] == "gift_card_locked"
    assert balance(card) == Decimal("30.00")


def test_store_credit_the_customer_does_not_hold_gets_no_intent(
    fake_stripe, parcel, member
):
    user, customer = member
    give_credit(customer, "4.00")
    client = signed_in(user)
    fill_cart(client, parcel)
    body = delivery([{"type": "store_credit", "amount": "5.00"}])

    answer = refused_intent(fake_stripe, client, body, "insufficient_store_credit")

    assert "4.00 EUR available" in answer["message"]
    assert answer == checkout_answer(client, body)
    assert credit_of(customer) == Decimal("4.00")
    assert not Order.objects.exists()


def test_points_the_customer_does_not_hold_get_no_intent(fake_stripe, parcel, member):
    user, customer = member
    give_points(customer, 469)
    client = signed_in(user)
    fill_cart(client, parcel)
    body = delivery([{"type": "points", "points": 470}])

    answer = refused_intent(fake_stripe, client, body, "insufficient_points")

    assert answer["extra"]["points"] == ["Points available: 469."]
    assert answer == checkout_answer(client, body)
    assert points_of(customer) == 469


def test_points_not_spendable_yet_get_no_intent(fake_stripe, store, item, member):
    """Points an order earned wait until its goods are handed over."""
    user, customer = member
    give_points(customer, 300)
    card = gift_card("59.90")
    client = signed_in(user)
    fill_cart(client, item)
    first = client.post(
        "/api/v1/checkout/",
        {
            "fulfilment": "pickup",
            "store": store.pk,
            "tenders": [
                {"type": "gift_card", "number": card.number, "pin": PIN, "amount": 59.9}
            ],
            "payment": {"method": "card_online", "token": "unused"},
        },
        format="json",
    )
    assert first.status_code == 201, first.json()
    deliver_outbox()  # the order's points are credited
    earned = Order.objects.get().loyalty_points
    assert earned > 0 and points_of(customer) == 300 + earned
    fill_cart(client, item)
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "tenders": [{"type": "points", "points": 300 + earned}],
    }

    answer = refused_intent(fake_stripe, client, body, "points_not_settled")

    assert "300 can be spent now" in answer["extra"]["points"][0]
    assert answer == checkout_answer(client, body)
    assert points_of(customer) == 300 + earned and Order.objects.count() == 1
