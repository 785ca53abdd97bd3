"""The e-gift card email says where the card pays: online and in the app on orders
in its currency, and in the shops that sell in it (its market named), never "in
every shop" when the shops of another currency refuse it."""

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from tests.orders.factories import deliver_outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def emailed_card(country: str):
    """An e-gift card bought for a buyer in ``country``, sent today: the email its
    recipient gets, as text and as HTML."""
    response = APIClient().post(
        "/api/v1/gift-cards/purchase/",
        {
            "amount": "50.00",
            "country": country,
            "recipient_name": "Lea",
            "recipient_email": "lea@example.com",
            "send_on": timezone.localdate().isoformat(),
            "email": "ada@example.com",
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    deliver_outbox()
    (email,) = [m for m in mail.outbox if m.to == ["lea@example.com"]]
    return email.body, email.alternatives[0][0]


@pytest.mark.parametrize(
    ("country", "where"),
    [
        (
            "CH",
            "Spend it online and in the app on orders in CHF, and in our shops that "
            "sell in CHF (Switzerland).",
        ),
        (
            "IT",
            "Spend it online and in the app on orders in EUR, and in our shops that "
            "sell in EUR (European Union).",
        ),
    ],
)
def test_the_email_names_the_currency_and_the_shops_the_card_pays_in(country, where):
    text, html = emailed_card(country)

    assert where in text
    assert where in html
    assert "every shop" not in text and "every shop" not in html
