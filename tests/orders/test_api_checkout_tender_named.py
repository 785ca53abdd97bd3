"""A stored-value tender refused at checkout is named at its place in the request's
``tenders`` (one entry per tender sent, ``{}`` for the others), whichever check
refused it: with two gift cards, the one at fault is known."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from tests.customers.factories import make_customer
from tests.factories import UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.stored_value_helpers import PIN, balance, gift_card, give_credit

from .test_api_stored_value import checkout, fill_cart, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def card_tender(card, amount, pin=PIN) -> dict:
    return {"type": "gift_card", "number": card.number, "pin": pin, "amount": amount}


@pytest.mark.parametrize(
    ("second", "code"),
    [
        ({"amount": "20.00"}, "insufficient_gift_card_balance"),
        ({"pin": "000000"}, "gift_card_invalid"),
    ],
)
def test_the_second_of_two_gift_cards_refused_is_named_at_its_place(second, code):
    store = shop()
    item = stocked(store, 5, price="60.00")
    good, short = gift_card("30.00"), gift_card("10.00")
    client = APIClient()
    fill_cart(client, item)
    tenders = [
        card_tender(good, "10.00"),
        {**card_tender(short, "5.00"), **second},
    ]

    response = checkout(client, store, tenders)

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code
    first, refused = body["extra"]["tenders"]
    assert first == {}
    assert refused["non_field_errors"]
    assert body["tenders"] == body["extra"]["tenders"]
    assert "tender" not in body["extra"]
    assert not Order.objects.exists()
    assert (balance(good), balance(short)) == (Decimal("30.00"), Decimal("10.00"))


def test_a_guest_s_store_credit_is_named_at_its_place():
    store = shop()
    item = stocked(store, 5, price="60.00")
    card = gift_card("30.00")
    client = APIClient()
    fill_cart(client, item)

    response = checkout(
        client,
        store,
        [card_tender(card, "10.00"), {"type": "store_credit", "amount": "5.00"}],
    )

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "sign_in_required"
    assert response.json()["extra"]["tenders"] == [
        {},
        {"non_field_errors": ["Store credit needs a signed-in customer."]},
    ]


def test_too_little_store_credit_is_named_at_its_place():
    store = shop()
    item = stocked(store, 5, price="60.00")
    user = UserFactory(email="ada@example.com")
    customer = make_customer(email="ada@example.com", user=user)
    give_credit(customer, "5.00")
    client = signed_in(user)
    fill_cart(client, item)

    response = checkout(client, store, [{"type": "store_credit", "amount": "20.00"}])

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "insufficient_store_credit"
    (named,) = response.json()["extra"]["tenders"]
    assert named["non_field_errors"]
