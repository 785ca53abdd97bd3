"""Too many wrong gift card numbers or PINs from one caller refuse that caller for a
while (429 ``too_many_attempts``), in its own words: a genuine card asked about from
there is not said to be locked, does not become locked, and answers anyone else."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import StaffFactory
from tests.orders.stored_value_helpers import PIN, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/gift-cards/balance/"
CALLER_LIMIT = 20  # four times the wrong PINs that lock one card


def ask(client, number, pin=PIN):
    return client.post(URL, {"number": number, "pin": pin}, format="json")


def guess_numbers(client, count=CALLER_LIMIT):
    for attempt in range(count):
        wrong = ask(client, f"4000000000{attempt:06d}", "1234")
        assert wrong.json()["code"] == "gift_card_invalid"


def test_a_genuine_card_after_twenty_guesses_from_the_same_address_is_not_locked():
    card = gift_card("25.00")
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    guess_numbers(guesser)

    refused = ask(guesser, card.number)
    elsewhere = ask(APIClient(REMOTE_ADDR="198.51.100.4"), card.number)

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    assert body["message"] == (
        "Too many wrong gift card numbers or PINs were tried from here: try again "
        "in 30 minutes."
    )
    assert "locked" not in body["message"]
    assert body["extra"]["number"] == [body["message"]]
    assert elsewhere.status_code == 200
    assert elsewhere.json()["balance"] == "25.00"


def test_tries_refused_for_the_caller_do_not_count_against_the_card():
    card = gift_card("25.00")
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    guess_numbers(guesser)

    codes = {ask(guesser, card.number).json()["code"] for _ in range(6)}
    owner = ask(APIClient(REMOTE_ADDR="198.51.100.4"), card.number)

    assert codes == {"too_many_attempts"}
    assert owner.status_code == 200, owner.json()


def test_the_counter_says_the_associate_tried_too_often_not_that_the_card_is_locked(
    client,
):
    client.force_login(StaffFactory())
    card = gift_card("35.00")
    url = reverse("staff:gift_card_balance")
    for attempt in range(CALLER_LIMIT):
        client.post(url, {"number": f"4000000000{attempt:06d}", "pin": "1234"})

    refused = client.post(url, {"number": card.number, "pin": PIN})

    html = refused.content.decode()
    assert refused.status_code == 422
    assert "Too many wrong gift card numbers or PINs were tried from here" in html
    assert "locked after too many wrong PINs" not in html
    assert "35.00 EUR" not in html
