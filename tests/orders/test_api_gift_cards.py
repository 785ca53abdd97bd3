"""The gift card balance check: number and PIN, never a hint which one was wrong,
locked after repeated wrong PINs, rate-limited per caller."""

from datetime import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orders.services.giftcard_pins import unlock_card
from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/gift-cards/balance/"


def ask(client, number, pin, **extra):
    return client.post(URL, {"number": number, "pin": pin}, format="json", **extra)


def test_the_balance_with_the_right_pin():
    card = gift_card("42.50")
    response = ask(APIClient(), card.number, PIN)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["balance"] == "42.50" and body["currency"] == "EUR"
    assert body["status"] == "active"
    assert body["number"].endswith(card.number[-4:])
    assert card.number not in body["number"]


def test_the_expiry_is_given_in_the_shops_time_zone_like_every_other_time():
    card = gift_card("10.00")

    body = ask(APIClient(), card.number, PIN).json()

    local = timezone.localtime(card.expires_at)
    assert body["expires_at"] == local.isoformat()
    assert datetime.fromisoformat(body["expires_at"]) == card.expires_at
    assert body["expires_at"].endswith(("+01:00", "+02:00"))


def test_an_unknown_number_and_a_wrong_pin_answer_the_same():
    card = gift_card()
    client = APIClient()
    unknown = ask(client, "9999888877776666", PIN).json()
    wrong = ask(client, card.number, "111111").json()
    assert unknown["code"] == wrong["code"] == "gift_card_invalid"
    assert unknown["message"] == wrong["message"]


def test_twenty_wrong_pins_lock_the_card_with_a_message(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "gift_card": "1000/minute",
        },
    }
    card = gift_card()
    codes = []
    for attempt in range(20):
        # Each guess from another address: the card's own count locks it.
        client = APIClient(REMOTE_ADDR=f"10.0.0.{attempt + 1}")
        codes.append(ask(client, card.number, f"{attempt:06d}").json()["code"])
    assert codes.count("gift_card_invalid") == 4
    assert codes[4:] == ["gift_card_locked"] * 16
    locked = ask(APIClient(), card.number, PIN)
    assert locked.status_code == 400
    assert "locked after too many wrong PINs" in locked.json()["message"]
    assert locked.json()["extra"]["number"]
    unlock_card(card.number)
    assert ask(APIClient(), card.number, PIN).status_code == 200


def test_balance_checks_are_rate_limited_per_caller():
    client = APIClient()
    statuses = [ask(client, "1234567812345678", "1234").status_code for _ in range(31)]
    assert statuses[:30].count(429) == 0
    assert statuses[30] == 429


@pytest.mark.parametrize(
    "body",
    [{}, {"number": 123, "pin": "1"}, {"number": "1" * 40, "pin": "1"}, []],
)
def test_malformed_requests_are_400(body):
    response = APIClient().post(URL, body, format="json")
    assert response.status_code == 400
