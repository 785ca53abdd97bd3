"""The reply form offers a channel by the one rule the reply follows: the customer's
consent, an address on the profile, and that address proven (a code entered, or given
in person). Beside each channel it says why a reply cannot go there, and a reply sent
there anyway is refused with that reason, not another."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.backends import MemoryBackend
from customers.models import Conversation, Customer, Message
from omnistore.core import outbox
from omnistore.staff.once import new_token
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

EMAIL = "chiara.conti@example.com"
PHONE = "+393471234567"
HTMX = {"HTTP_HX_REQUEST": "true"}
NOT_VERIFIED = "{} not verified: ask the customer to confirm it"


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    yield
    MemoryBackend.reset()


@pytest.fixture
def associate():
    shop = LocationFactory(name="Milano Centro")
    return StaffFactory(first_name="Giulia", last_name="Bianchi", store=shop)


@pytest.fixture
def shopper():
    """Chiara signs up with her email and phone and proves neither."""
    api = APIClient()
    body = {
        "email": EMAIL,
        "phone": PHONE,
        "password": "Sunny-Linen-2024",
        "first_name": "Chiara",
    }
    response = api.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return api


def write_to(shopper, client, associate, **consents) -> Conversation:
    """Chiara agrees to ``consents``; the associate takes her as a client; she
    writes; the associate is signed in."""
    agreed = shopper.put("/api/v1/me/consents/", consents, format="json")
    assert agreed.status_code == 200, agreed.json()
    customer = Customer.objects.get(user__email=EMAIL)
    client.force_login(associate)
    taken = client.post(
        reverse("staff:customer_assign", args=[customer.pk]), {"action": "take"}
    )
    assert taken.status_code in (200, 302)
    wrote = shopper.post(
        "/api/v1/me/messages/", {"body": "Is the navy blazer back?"}, format="json"
    )
    assert wrote.status_code == 201, wrote.json()
    return Conversation.objects.get(pk=wrote.json()["id"])


def thread_page(client, thread) -> str:
    response = client.get(reverse("staff:inbox_thread", args=[thread.pk]))
    assert response.status_code == 200
    return response.content.decode()


def channel(page: str, name: str) -> str:
    """The radio of one channel with what is said beside it."""
    return re.search(rf'data-testid="channel-{name}">(.*?)</label>', page, re.S)[1]


def reply(client, thread, by: str):
    return client.post(
        reverse("staff:inbox_reply", args=[thread.pk]),
        {"channel": by, "body": "Yes, back on Friday.", "once": new_token()},
        **HTMX,
    )


def test_channels_never_verified_say_so_and_none_is_chosen(client, shopper, associate):
    thread = write_to(shopper, client, associate, email=True, sms=True)

    page = thread_page(client, thread)

    email, sms = channel(page, "email"), channel(page, "sms")
    assert NOT_VERIFIED.format("email") in email and "consented" not in email
    assert NOT_VERIFIED.format("phone") in sms and "consented" not in sms
    assert "checked" not in email and "checked" not in sms
    assert 'data-testid="no-channel"' in page


@pytest.mark.parametrize(
    "by, field_error, refusal",
    [
        (
            "email",
            "Email address not verified: ask the customer to confirm it.",
            f"The customer has not verified the email address {EMAIL}",
        ),
        (
            "sms",
            "Phone number not verified: ask the customer to confirm it.",
            f"The customer has not verified the phone number {PHONE}",
        ),
    ],
)
def test_a_reply_to_an_address_never_verified_is_refused_saying_so(
    client, shopper, associate, by, field_error, refusal
):
    thread = write_to(shopper, client, associate, email=True, sms=True)

    response = reply(client, thread, by)

    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="error-channel"' in body and field_error in body
    assert refusal in body
    assert "has not agreed" not in body and "consent" not in channel(body, by)
    assert not Message.objects.filter(direction="out").exists()


def test_without_consent_or_number_each_channel_says_its_own_reason(client, associate):
    api = APIClient()
    body = {"email": EMAIL, "password": "Sunny-Linen-2024", "first_name": "Chiara"}
    response = api.post("/api/v1/auth/register/", body, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    thread = write_to(api, client, associate, email=False, sms=True)

    page = thread_page(client, thread)

    assert 'data-testid="channel-unavailable">no consent<' in channel(page, "email")
    assert 'data-testid="channel-unavailable">no phone number<' in channel(page, "sms")
    refused = reply(client, thread, "sms").content.decode()
    assert "No phone number on the profile." in refused
    assert "has no phone number for a reply by SMS" in refused


def test_once_the_email_is_confirmed_it_is_chosen_and_the_reply_goes(
    client, shopper, associate
):
    thread = write_to(shopper, client, associate, email=True, sms=True)
    outbox.drain()
    (sent,) = [m for m in mail.outbox if EMAIL in m.to and "code" in m.subject]
    code = re.search(r"\b(\d{6})\b", sent.body)[1]
    confirmed = shopper.post(
        "/api/v1/me/verify/confirm/", {"email": EMAIL, "code": code}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    mail.outbox.clear()

    page = thread_page(client, thread)

    email = channel(page, "email")
    assert "consented" in email and "checked" in email
    assert NOT_VERIFIED.format("phone") in channel(page, "sms")
    sent_reply = reply(client, thread, "email")
    assert sent_reply.status_code == 200 and sent_reply["HX-Redirect"]
    outbox.drain()
    (answer,) = mail.outbox
    assert answer.to == [EMAIL] and answer.body == "Yes, back on Friday."


def test_the_thread_page_takes_a_fixed_number_of_queries(
    client, shopper, associate, django_assert_num_queries
):
    thread = write_to(shopper, client, associate, email=True, sms=True)
    thread_page(client, thread)  # marks the message read

    # Consents and proven addresses: two queries for both channels.
    with django_assert_num_queries(8):
        thread_page(client, thread)
