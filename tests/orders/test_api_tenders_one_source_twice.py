"""One gift card, the store credit or the points given in two tenders of a checkout
are checked in total before any is spent: a refusal says what the card (the store
credit, the points) holds and all that was asked, as the payment intent says it,
never what the first tender would have left; and nothing is taken."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import Order, Payment
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

from .test_api_stored_value import CARD, fill_cart, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

BUY_NOW = "/api/v1/checkout/buy-now/"
CHECKOUT = "/api/v1/checkout/"
INTENT = "/api/v1/checkout/payment-intent/"


@pytest.fixture
def store():
    return shop()


@pytest.fixture
def item(store):
    return stocked(store, 5, price="100.00")


@pytest.fixture
def member():
    user = UserFactory(email="pia@example.com")
    return user, make_customer(email="pia@example.com", user=user)


def card_tender(card, amount: str) -> dict:
    return {"type": "gift_card", "number": card.number, "pin": PIN, "amount": amount}


def pickup(store, tenders, **body) -> dict:
    return {
        "fulfilment": "pickup",
        "store": store.pk,
        "email": "ada@example.com",
        "tenders": tenders,
        **body,
    }


def refused(client, url, body) -> dict:
    response = client.post(url, body, format="json")
    assert response.status_code == 400, response.json()
    return response.json()


def test_buy_now_with_one_card_twice_states_its_balance_and_the_total_asked(
    store, item
):
    card = gift_card("54.10")
    tenders = [card_tender(card, "30.00"), card_tender(card, "30.00")]
    body = pickup(store, tenders, lines=[{"variant": item.pk}])

    answer = refused(APIClient(), BUY_NOW, {**body, "payment": CARD})

    assert answer["code"] == "insufficient_gift_card_balance"
    assert answer["message"] == "The gift card holds 54.10 EUR; 60.00 was asked."
    assert answer["extra"]["gift_card"] == ["Balance on the card: 54.10 EUR."]
    assert answer["extra"]["tenders"] == [
        {},
        {"non_field_errors": ["Balance on the card: 54.10 EUR."]},
    ]
    assert answer == refused(APIClient(), INTENT, body)
    assert balance(card) == Decimal("54.10")
    assert not Order.objects.exists()


def test_a_cart_checkout_with_one_card_twice_states_its_balance_and_the_total_asked(
    store, item
):
    card = gift_card("54.10")
    client = APIClient()
    fill_cart(client, item)
    body = pickup(store, [card_tender(card, "30.00"), card_tender(card, "30.00")])

    answer = refused(client, CHECKOUT, {**body, "payment": CARD})

    assert answer["message"] == "The gift card holds 54.10 EUR; 60.00 was asked."
    assert answer["extra"]["tenders"][1] == {
        "non_field_errors": ["Balance on the card: 54.10 EUR."]
    }
    assert answer == refused(client, INTENT, body)
    assert balance(card) == Decimal("54.10")
    assert not Order.objects.exists()


def test_store_credit_given_twice_is_refused_on_all_the_customer_holds(
    store, item, member
):
    user, customer = member
    give_credit(customer, "50.00")
    client = signed_in(user)
    fill_cart(client, item)
    credit = {"type": "store_credit", "amount": "30.00"}
    body = pickup(store, [credit, credit])

    answer = refused(client, CHECKOUT, {**body, "payment": CARD})

    assert answer["code"] == "insufficient_store_credit"
    assert answer["message"] == (
        "Not enough store credit: 50.00 EUR available, 60.00 asked."
    )
    assert answer["extra"]["tenders"] == [
        {},
        {"non_field_errors": ["Store credit available: 50.00 EUR."]},
    ]
    assert answer == refused(client, INTENT, body)
    assert credit_of(customer) == Decimal("50.00")
    assert not Order.objects.exists()

    within = pickup(store, [credit, {**credit, "amount": "20.00"}], payment=CARD)
    placed = client.post(CHECKOUT, within, format="json")
    assert placed.status_code == 201, placed.json()
    assert credit_of(customer) == Decimal("0.00")
    assert Payment.objects.filter(method="store_credit").count() == 2


def test_points_given_twice_are_refused_on_all_the_customer_holds(store, item, member):
    user, customer = member
    give_points(customer, 500)
    client = signed_in(user)
    body = pickup(
        store,
        [{"type": "points", "points": 300}, {"type": "points", "points": 300}],
        lines=[{"variant": item.pk}],
    )

    answer = refused(client, BUY_NOW, {**body, "payment": CARD})

    assert answer["code"] == "insufficient_points"
    assert answer["message"] == "Not enough points: 500 held, 600 asked."
    assert answer["extra"]["tenders"] == [
        {},
        {"non_field_errors": ["Points available: 500."]},
    ]
    assert answer == refused(client, INTENT, body)
    assert points_of(customer) == 500
    assert not Order.objects.exists()
