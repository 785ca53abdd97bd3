"""Gift cards sent to an email follow that email only to a person who proved it is
theirs (a code sent there). Signing up with someone else's address shows none of
the cards sent to it in the export, and erasing that account leaves them as their
buyer and recipient know them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import GiftCard
from orders.services.egift import send_due_e_gift_cards
from tests.orders.factories import deliver_outbox
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

PURCHASE = "/api/v1/gift-cards/purchase/"
EXPORT = "/api/v1/me/export/"
ERASE = "/api/v1/me/erase/"
RECIPIENT = "vittoria.b@example.org"
MESSAGE = "Happy birthday Vitto, from Marco - see you at the clinic on Friday"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Purchases and sign-ups are throttled in the cache: none counted at first."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def buyer():
    user, _ = shopper("marco.buyer@example.com")
    return api_client_for(user)


@pytest.fixture
def sent_card(buyer) -> GiftCard:
    """Marco's e-gift card for Vittoria, already emailed to her."""
    response = buyer.post(
        PURCHASE,
        {
            "amount": "50.00",
            "country": "IT",
            "recipient_name": "Vittoria Bianchi",
            "recipient_email": RECIPIENT,
            "message": MESSAGE,
            "send_on": timezone.localdate().isoformat(),
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    card = GiftCard.objects.get(order__number=response.json()["order"])
    send_due_e_gift_cards(now=timezone.now() + timedelta(minutes=1))
    card.refresh_from_db()
    assert card.sent_at is not None
    return card


def sign_up(email: str) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/register/",
        {
            "email": email,
            "password": "Sup3r-secret-pw!",
            "first_name": "Eva",
            "last_name": "Rossi",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def prove_email(client: APIClient, email: str) -> None:
    """The code mailed at sign-up, typed back: the mailbox is theirs."""
    deliver_outbox()
    (sent,) = [m for m in mail.outbox if email in m.to and "code" in m.subject]
    code = re.search(r"\b(\d{6})\b", sent.body).group(1)
    response = client.post(
        "/api/v1/me/verify/confirm/", {"email": email, "code": code}, format="json"
    )
    assert response.status_code == 200, response.json()


def card_as_bought(buyer) -> dict:
    (card,) = buyer.get(EXPORT).json()["gift_cards_bought"]
    return card


def test_signing_up_with_the_recipients_email_shows_none_of_the_cards_sent_there(
    sent_card,
):
    stranger = sign_up("Vittoria.B@example.org")

    data = stranger.get(EXPORT).json()

    assert data["gift_cards_received"] == []
    assert MESSAGE not in str(data) and sent_card.masked_number not in str(data)


def test_erasing_such_an_account_leaves_the_card_to_its_buyer_and_recipient(
    buyer, sent_card
):
    stranger = sign_up("Vittoria.B@example.org")

    response = stranger.post(
        ERASE, {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    sent_card.refresh_from_db()
    assert (sent_card.recipient_email, sent_card.recipient_name) == (
        RECIPIENT,
        "Vittoria Bianchi",
    )
    assert sent_card.message == MESSAGE
    card = card_as_bought(buyer)
    assert (card["recipient_email"], card["message"]) == (RECIPIENT, MESSAGE)


def test_the_recipient_who_proved_the_email_sees_the_card_and_erasing_them_forgets_it(
    buyer, sent_card
):
    vittoria = sign_up(RECIPIENT)
    prove_email(vittoria, RECIPIENT)

    (got,) = vittoria.get(EXPORT).json()["gift_cards_received"]
    assert (got["number"], got["message"]) == (sent_card.masked_number, MESSAGE)

    response = vittoria.post(
        ERASE, {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    sent_card.refresh_from_db()
    assert (
        sent_card.recipient_email,
        sent_card.recipient_name,
        sent_card.message,
    ) == ("", "", "")
    assert sent_card.balance == sent_card.initial_amount  # the bearer's money
    card = card_as_bought(buyer)
    assert (card["recipient_email"], card["message"]) == ("", "")
