"""Stored value at the API checkout: gift cards, store credit and points as tenders,
alone or split with a card, the bad input that takes nothing, and the refunds of a
split-tender order back to each tender."""

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import LoyaltyTransaction
from orders.models import GiftCard, Order, Payment
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.giftcards import void_gift_card
from orders.services.loyalty import order_points
from orders.services.pickups import collect_order
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.stored_value_helpers import (
    PIN,
    balance,
    credit_of,
    gift_card,
    give_credit,
    give_points,
    ledger_total,
    points_of,
    return_and_refund,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CARD = {"method": "card_online", "token": "tok_visa"}


def signed_in(user) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}"
    )
    return client


def fill_cart(client, item, quantity=1):
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": item.pk, "quantity": quantity}]},
        format="json",
    )
    if response.status_code == 404:  # an anonymous client needs its cart first
        token = client.post("/api/v1/cart/").json()["token"]
        client.credentials(HTTP_X_CART_TOKEN=token)
        response = client.post(
            "/api/v1/cart/lines/",
            {"lines": [{"variant": item.pk, "quantity": quantity}]},
            format="json",
        )
    assert response.status_code == 201, response.json()


def checkout(client, store, tenders, **body):
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "payment": CARD,
        "email": "guest@example.com",
        "tenders": tenders,
        **body,
    }
    return client.post("/api/v1/checkout/", body, format="json")


@pytest.fixture
def store():
    return shop()


@pytest.fixture
def item(store):
    return stocked(store, 10, price="100.00")


@pytest.fixture
def member():
    user = UserFactory(email="pia@example.com")
    customer = make_customer(email="pia@example.com", user=user)
    return user, customer


def paid(response) -> dict[str, str]:
    return {p["method"]: p["amount"] for p in response.json()["payments"]}


def test_a_gift_card_pays_part_and_the_card_the_rest(store, item):
    card = gift_card("30.00")
    client = APIClient()
    fill_cart(client, item)
    response = checkout(
        client,
        store,
        [{"type": "gift_card", "number": card.number, "pin": PIN, "amount": "30.00"}],
    )
    assert response.status_code == 201, response.json()
    assert paid(response) == {"gift_card": "30.00", "card_online": "70.00"}
    assert balance(card) == Decimal("0.00")
    assert ledger_total(card) == balance(card)


def test_a_gift_card_paying_it_all_charges_no_card(store, item):
    card = gift_card("150.00")
    client = APIClient()
    fill_cart(client, item)
    response = checkout(
        client,
        store,
        [{"type": "gift_card", "number": card.number, "pin": PIN, "amount": "100.00"}],
    )
    assert response.status_code == 201, response.json()
    assert paid(response) == {"gift_card": "100.00"}
    assert balance(card) == Decimal("50.00")


def test_a_gift_card_asked_for_more_than_the_order_says_so(store, item):
    card = gift_card("150.00")
    client = APIClient()
    fill_cart(client, item)
    response = checkout(
        client,
        store,
        [{"type": "gift_card", "number": card.number, "pin": PIN, "amount": "120.00"}],
    )
    assert response.status_code == 400, response.json()
    assert response.json()["extra"]["payment"] == [
        "Gift card pays 120.00, more than the 100.00 left to pay."
    ]
    assert balance(card) == Decimal("150.00")


def test_store_credit_and_points_pay_for_a_signed_in_customer(store, item, member):
    user, customer = member
    give_credit(customer, "20.00")
    give_points(customer, 1500)
    client = signed_in(user)
    fill_cart(client, item)
    response = checkout(
        client,
        store,
        [
            {"type": "store_credit", "amount": "20.00"},
            {"type": "points", "points": 1500},
        ],
    )
    assert response.status_code == 201, response.json()
    assert paid(response) == {
        "store_credit": "20.00",
        "loyalty_points": "15.00",
        "card_online": "65.00",
    }
    assert credit_of(customer) == Decimal("0.00")
    assert points_of(customer) == 0
    redeemed = LoyaltyTransaction.objects.get(kind="redeem")
    assert redeemed.points == -1500


def test_store_credit_back_from_a_cancelled_order_reads_in_the_customers_words(
    store, item, member
):
    user, customer = member
    give_credit(customer, "20.00")
    client = signed_in(user)
    fill_cart(client, item)
    placed = checkout(client, store, [{"type": "store_credit", "amount": "20.00"}])
    number = placed.json()["number"]

    assert client.post(f"/api/v1/orders/{number}/cancel/").status_code == 200

    assert credit_of(customer) == Decimal("20.00")
    said = str(client.get("/api/v1/me/timeline/").json())
    assert f"Store credit paid back: order {number} cancelled online" in said
    assert "cancel:" not in said


def test_what_points_paid_earns_no_points(store, item, member, settings):
    """100.00 of goods, 15.00 of it paid with points: 85 points earned."""
    settings.OMNISTORE_LOYALTY_POINTS_PER_UNIT = 1
    user, customer = member
    give_points(customer, 1500)
    client = signed_in(user)
    fill_cart(client, item)
    response = checkout(client, store, [{"type": "points", "points": 1500}])
    assert response.status_code == 201, response.json()
    deliver_outbox()

    order = Order.objects.get(number=response.json()["number"])
    assert order.total - order.delivery_fee == Decimal("100.00")
    assert order.loyalty_points == 85
    assert points_of(customer) == 85


@pytest.mark.parametrize(
    "cards, delivery, in_points, earned",
    [
        ("0.00", "0.00", "0.00", 150),  # all goods, paid in money
        ("0.00", "0.00", "100.00", 50),  # points paid 100 of the goods
        ("100.00", "0.00", "100.00", 50),  # points paid the card sold, not the goods
        ("0.00", "10.00", "10.00", 140),  # points paid the delivery (of 150 in all)
        ("100.00", "10.00", "150.00", 0),  # points paid everything
    ],
)
def test_points_pay_the_delivery_and_cards_first_then_the_goods(
    settings, cards, delivery, in_points, earned
):
    settings.OMNISTORE_LOYALTY_POINTS_PER_UNIT = 1
    order = Order(total=Decimal("150.00"), delivery_fee=Decimal(delivery))
    order.cards_sold = Decimal(cards)
    assert order_points(order, paid_in_points=Decimal(in_points)) == earned


def test_a_split_tender_of_gift_card_points_and_card(store, item, member):
    user, customer = member
    give_points(customer, 1000)
    card = gift_card("25.00")
    client = signed_in(user)
    fill_cart(client, item)
    response = checkout(
        client,
        store,
        [
            {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "25.00"},
            {"type": "points", "points": 1000},
        ],
    )
    assert response.status_code == 201, response.json()
    assert paid(response) == {
        "gift_card": "25.00",
        "loyalty_points": "10.00",
        "card_online": "65.00",
    }


def test_store_credit_and_points_need_a_signed_in_customer(store, item, member):
    _, customer = member
    give_credit(customer, "20.00")
    client = APIClient()
    fill_cart(client, item)
    response = checkout(
        client,
        store,
        [{"type": "store_credit", "amount": "20.00"}],
        email="pia@example.com",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "sign_in_required"
    assert credit_of(customer) == Decimal("20.00")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "case", ["wrong_pin", "expired", "foreign_currency", "void", "too_much"]
)
def test_a_refused_gift_card_takes_nothing(store, item, case):
    card = gift_card("30.00", currency="CHF" if case == "foreign_currency" else "EUR")
    if case == "expired":
        GiftCard.objects.filter(pk=card.pk).update(expires_at="2020-01-01T00:00Z")
    if case == "void":
        void_gift_card(card=card, reason="Lost", actor=None)
    amount = "40.00" if case == "too_much" else "30.00"
    pin = "000000" if case == "wrong_pin" else PIN
    client = APIClient()
    fill_cart(client, item)
    before = balance(card)
    response = checkout(
        client,
        store,
        [{"type": "gift_card", "number": card.number, "pin": pin, "amount": amount}],
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    expected = {
        "wrong_pin": "gift_card_invalid",
        "expired": "gift_card_unusable",
        "foreign_currency": "gift_card_unusable",
        "void": "gift_card_unusable",
        "too_much": "insufficient_gift_card_balance",
    }[case]
    assert body["code"] == expected
    assert body["extra"]["gift_card"], body
    assert balance(card) == before
    assert not Order.objects.exists()
    assert not Payment.objects.exists()


def test_more_points_than_held_is_refused_and_takes_nothing(store, item, member):
    user, customer = member
    give_points(customer, 300)
    client = signed_in(user)
    fill_cart(client, item)
    response = checkout(client, store, [{"type": "points", "points": 500}])
    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_points"
    assert "300" in response.json()["extra"]["points"][0]
    assert points_of(customer) == 300
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "tender",
    [
        {"type": "gift_card", "amount": "10.00"},
        {"type": "gift_card", "number": "1", "pin": "1", "amount": "-1"},
        {"type": "points", "points": 0},
        {"type": "points", "points": "many"},
        {"type": "store_credit"},
        {"type": "cash", "amount": "1.00"},
        "not an object",
    ],
)
def test_malformed_tenders_are_field_errors(store, item, tender):
    client = APIClient()
    fill_cart(client, item)
    response = checkout(client, store, [tender])
    assert response.status_code == 400, response.content
    assert "tenders" in response.json()["extra"]


def test_twenty_wrong_pins_lock_the_card_and_the_right_pin_then_waits(store, item):
    card = gift_card("30.00")
    client = APIClient()
    fill_cart(client, item)
    codes = []
    for attempt in range(20):
        response = checkout(
            client,
            store,
            [
                {
                    "type": "gift_card",
                    "number": card.number,
                    "pin": f"{attempt:06d}",
                    "amount": "10.00",
                }
            ],
        )
        codes.append(response.json()["code"])
    assert codes[:4] == ["gift_card_invalid"] * 4
    assert set(codes[4:]) == {"gift_card_locked"}
    right = checkout(
        client,
        store,
        [{"type": "gift_card", "number": card.number, "pin": PIN, "amount": "10.00"}],
    )
    assert right.status_code == 400
    assert right.json()["code"] == "gift_card_locked"
    assert "locked after too many wrong PINs" in right.json()["message"]
    assert balance(card) == Decimal("30.00")


def test_a_return_of_a_split_tender_order_refunds_each_tender(
    store, item, member, settings
):
    """Two units paid 30 gift card + 20 points + 150 card; returning both gives back
    the card first, then the gift card, then the points; returning one gives back
    the card only."""
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None  # the tenders' order, not the limit
    user, customer = member
    give_points(customer, 2000)
    card = gift_card("30.00")
    client = signed_in(user)
    fill_cart(client, item, 2)
    response = checkout(
        client,
        store,
        [
            {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "30.00"},
            {"type": "points", "points": 2000},
        ],
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    clerk = StaffFactory(store=store)
    mark_picked(order=order, actor=clerk)
    order = mark_ready(order=order, actor=clerk)
    collect_order(order=order, code=order.pickup_code, actor=clerk, location=store)
    line = order.lines.get()

    refunded = return_and_refund(order, line, actor=clerk, location=store)
    assert refunded == {
        "card_online": Decimal("100.00"),
        "gift_card": Decimal("0.00"),
        "loyalty_points": Decimal("0.00"),
    }

    refunded = return_and_refund(order, line, actor=clerk, location=store)
    assert refunded == {
        "card_online": Decimal("150.00"),
        "gift_card": Decimal("30.00"),
        "loyalty_points": Decimal("20.00"),
    }
    assert balance(card) == Decimal("30.00")
    assert ledger_total(card) == Decimal("30.00")
    # The points spent come back; the points earned on the order go back.
    assert LoyaltyTransaction.objects.filter(kind="restore").get().points == 2000


def test_points_an_order_earned_are_spent_once_its_goods_are_handed_over(
    store, item, member
):
    """Spent at once, a cancel of the order that earned them would take back points
    already gone (the balance went below zero)."""
    user, customer = member
    give_points(customer, 300)
    client = signed_in(user)
    fill_cart(client, item, quantity=5)
    first = checkout(client, store, [])
    assert first.status_code == 201, first.json()
    deliver_outbox()  # the order's points are credited
    earned = Order.objects.get().loyalty_points
    assert earned > 0 and points_of(customer) == 300 + earned

    fill_cart(client, item)
    refused = checkout(client, store, [{"type": "points", "points": 300 + earned}])

    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == "points_not_settled"
    assert "300 can be spent now" in refused.json()["extra"]["points"][0]
    assert points_of(customer) == 300 + earned and Order.objects.count() == 1
    within = checkout(client, store, [{"type": "points", "points": 300}])
    assert within.status_code == 201, within.json()
