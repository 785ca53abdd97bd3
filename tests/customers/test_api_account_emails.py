"""The account emails (a verification code, a password reset link) come with an
HTML part like the order emails, and each is on the customer's timeline as a
message sent, saying what was sent but never the code or the link."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from tests.orders.factories import deliver_outbox

pytestmark = pytest.mark.django_db

EMAIL = "chiara@example.com"
OTHER = "chiara.work@example.com"


@pytest.fixture
def client():
    api = APIClient()
    body = {"email": EMAIL, "password": "Chiara-pw-123xyz", "first_name": "Chiara"}
    response = api.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    deliver_outbox()
    mail.outbox.clear()
    return api


def sent_to(to: str, word: str):
    deliver_outbox()
    [message] = [m for m in mail.outbox if to in m.to and word in m.subject]
    return message


def messages_sent(client) -> list[dict]:
    """Newest first; the sign-up's own code is the oldest."""
    timeline = client.get("/api/v1/me/timeline/").json()["results"]
    return [event for event in timeline if event["kind"] == "message_sent"]


def test_a_verification_code_email_has_an_html_part_and_is_on_the_timeline(client):
    assert client.post("/api/v1/me/verify/", {"email": OTHER}).status_code == 202

    message = sent_to(OTHER, "code")
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert code in html and "15 minutes" in html

    events = messages_sent(client)
    assert [event["summary"] for event in events] == [
        "Email sent: Your verification code"
    ] * 2
    assert code not in str(events)


def test_a_password_reset_email_has_an_html_part_and_is_on_the_timeline(client):
    response = APIClient().post(
        "/api/v1/auth/password-reset/", {"email": EMAIL}, format="json"
    )
    assert response.status_code < 300

    message = sent_to(EMAIL, "password")
    link = re.search(r"https?://\S+", message.body).group(0)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link.replace("&", "&amp;")}"' in html

    events = messages_sent(client)
    assert [event["summary"] for event in events] == [
        "Email sent: Reset your Omnistore password",
        "Email sent: Your verification code",
    ]
    token = re.search(r"token=([^&\s]+)", link).group(1)
    assert token not in str(events) and "uid=" not in str(events)
