"""A card or mobile wallet payment sent without its token is bad input, a 400 on
``payment.token``, not a card declined: at checkout, buy-now and an e-gift card's
purchase alike, nothing charged, held or written. Tenders paying the whole order
need no card, so no token."""

import pytest
from rest_framework.test import APIClient

from inventory.models import Reservation
from orders.models import GiftCard, Order, Payment
from orders.payments.registry import get_provider
from tests.orders.factories import shop, stocked
from tests.orders.stored_value_helpers import PIN, balance, gift_card

from .test_api_gift_card_purchase import buy as buy_gift_card
from .test_api_stored_value import checkout, fill_cart

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

REQUIRED = {"token": ["Required for a card payment."]}


def buy_now(store, item, payment, tenders=()):
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "payment": payment,
        "email": "guest@example.com",
        "lines": [{"variant": item.pk}],
        "tenders": list(tenders),
    }
    return APIClient().post("/api/v1/checkout/buy-now/", body, format="json")


def assert_token_required(response) -> None:
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "payment_token_required"
    assert body["extra"]["payment"] == REQUIRED
    assert body["payment"] == REQUIRED


@pytest.mark.parametrize(
    "payment", [{}, {"method": "card_online", "token": ""}, {"method": "mobile_wallet"}]
)
def test_buy_now_without_a_card_token_is_a_400_and_nothing_is_charged(payment):
    store = shop()
    item = stocked(store, 5, price="30.00")
    charges = len(get_provider("test").charges)

    response = buy_now(store, item, payment)

    assert_token_required(response)
    assert len(get_provider("test").charges) == charges
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert not Reservation.objects.exists()


def test_a_cart_checkout_without_a_card_token_is_a_400_and_the_cart_stays():
    store = shop()
    item = stocked(store, 5, price="30.00")
    client = APIClient()
    fill_cart(client, item)
    card = gift_card("10.00")
    tender = {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "10.00"}

    refused = checkout(client, store, [tender], payment={})

    assert_token_required(refused)
    assert balance(card) == 10
    assert not Order.objects.exists()
    paid = checkout(client, store, [tender])
    assert paid.status_code == 201, paid.json()


def test_an_e_gift_card_bought_without_a_card_token_is_a_400_and_none_is_issued():
    response = buy_gift_card(payment={"method": "card_online"})

    assert_token_required(response)
    assert not GiftCard.objects.exists() and not Order.objects.exists()


def test_an_order_the_gift_card_pays_in_full_needs_no_card_token():
    store = shop()
    item = stocked(store, 5, price="30.00")
    card = gift_card("50.00")
    tender = {"type": "gift_card", "number": card.number, "pin": PIN, "amount": "30.00"}

    response = buy_now(store, item, {}, [tender])

    assert response.status_code == 201, response.json()
    assert [p["method"] for p in response.json()["payments"]] == ["gift_card"]
