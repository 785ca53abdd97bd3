"""The caller refused for too many wrong gift card numbers or PINs is told when its
count ends, the time actually left of it: in the message, in ``extra`` (``wait``,
``retry_at``) and in the header ``Retry-After``, as the throttles send it; a card
locked after wrong PINs says the time left of its lock."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/gift-cards/balance/"
CALLER_LIMIT = 20  # four times the wrong PINs that lock one card


def ask(client, number, pin=PIN):
    return client.post(URL, {"number": number, "pin": pin}, format="json")


def test_the_caller_refused_is_told_the_time_left_of_its_count(settings):
    card = gift_card("25.00")
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    started = timezone.now()
    for attempt in range(CALLER_LIMIT):
        ask(guesser, f"4000000000{attempt:06d}", "1234")
    # The lock's length changes while the count runs: the count keeps its end.
    settings.OMNISTORE_GIFT_CARD_PIN_LOCK_MINUTES = 45

    refused = ask(guesser, card.number)

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    assert body["message"] == (
        "Too many wrong gift card numbers or PINs were tried from here: try again "
        "in 30 minutes."
    )
    assert body["extra"]["number"] == [body["message"]]
    retry_at = datetime.fromisoformat(body["extra"]["retry_at"])
    assert started + timedelta(minutes=30) <= retry_at
    assert retry_at <= timezone.now() + timedelta(minutes=30)
    wait = body["extra"]["wait"]
    assert 1700 < wait <= 1800
    assert abs(int(refused["Retry-After"]) - wait) <= 1


def test_a_locked_card_says_the_time_left_of_its_lock(settings):
    card = gift_card("25.00")
    for _ in range(settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES):
        ask(APIClient(REMOTE_ADDR="203.0.113.7"), card.number, "1234")
    settings.OMNISTORE_GIFT_CARD_PIN_LOCK_MINUTES = 45

    locked = ask(APIClient(REMOTE_ADDR="198.51.100.4"), card.number)

    assert locked.status_code == 400
    assert locked.json()["code"] == "gift_card_locked"
    assert "try again in 30 minutes" in locked.json()["message"]
