"""Campaigns reach an address or number only when the profile proved it (a code) or
an associate took it in person: typed online and never confirmed, it may be anyone's,
and a consent given next to it says nothing of what its owner wants."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.backends import MemoryBackend
from campaigns.models import CampaignStatus
from campaigns.selectors.audiences import campaign_audience, reachable
from campaigns.services.sending import send_campaign
from customers.models import Customer
from customers.services.consents import set_consent
from omnistore.core.channels import Channel
from tests.campaigns.factories import EVERYONE, campaign
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import deliver_outbox

pytestmark = pytest.mark.django_db

PASSWORD = "Sunny-Linen-2024"
VERA_PHONE = "+393475550101"


@pytest.fixture
def store():
    return LocationFactory(country="IT")


@pytest.fixture
def vera(client, store) -> Customer:
    """Vera, registered at the counter with her number; she said no to SMS."""
    associate = StaffFactory(store=store)
    client.force_login(associate)
    response = client.post(
        reverse("staff:customer_create"),
        {"first_name": "Vera", "last_name": "Conti", "phone": VERA_PHONE},
    )
    assert response.status_code == 302
    customer = Customer.objects.get(phone=VERA_PHONE)
    set_consent(
        customer=customer,
        channel="sms",
        granted=False,
        source_channel=Channel.STORE,
        location=store,
        actor=associate,
    )
    return customer


def sign_up(email: str, **extra) -> tuple[APIClient, Customer]:
    client = APIClient()
    body = {"email": email, "password": PASSWORD, **extra}
    response = client.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client, Customer.objects.get(user__email=email)


def say_yes(client: APIClient, **channels) -> None:
    response = client.put("/api/v1/me/consents/", channels, format="json")
    assert response.status_code == 200, response.json()


def reached(channel: str) -> set[int]:
    return set(Customer.objects.filter(reachable(channel)).values_list("pk", flat=True))


def texted_code(to: str) -> str:
    deliver_outbox()
    body = [m.body for m in MemoryBackend.outbox if m.to == to][-1]
    return re.search(r"\b(\d{6})\b", body).group(1)


def emailed_code(to: str) -> str:
    deliver_outbox()
    body = [m.body for m in mail.outbox if to in m.to and "code" in m.subject][-1]
    return re.search(r"\b(\d{6})\b", body).group(1)


def confirm(client: APIClient, code: str, **target) -> None:
    response = client.post(
        "/api/v1/me/verify/confirm/", {**target, "code": code}, format="json"
    )
    assert response.status_code == 200, response.json()


def test_a_sign_up_with_someone_elses_phone_does_not_text_that_phone(vera):
    client, mallory = sign_up("mallory@example.net", phone=VERA_PHONE)
    assert mallory.phone == VERA_PHONE  # kept as she typed it, proven by nobody
    say_yes(client, sms=True)

    assert mallory.pk not in reached("sms") and vera.pk not in reached("sms")
    spring = campaign(
        rules=EVERYONE, channels=("sms",), status=CampaignStatus.SCHEDULED
    )
    assert mallory.pk not in {c.pk for c in campaign_audience(spring)}
    MemoryBackend.reset()
    send_campaign(campaign=spring)
    assert [m for m in MemoryBackend.outbox if m.to == VERA_PHONE] == []


def test_an_account_reaches_its_phone_and_email_once_it_proved_them():
    client, nora = sign_up("nora@example.net", phone="+393475550202")
    say_yes(client, sms=True, email=True)
    assert nora.pk not in reached("sms") and nora.pk not in reached("email")

    confirm(client, texted_code("+393475550202"), phone="+393475550202")
    assert nora.pk in reached("sms") and nora.pk not in reached("email")
    confirm(client, emailed_code("nora@example.net"), email="nora@example.net")
    assert nora.pk in reached("email")


def test_a_number_taken_at_the_counter_is_reached_with_its_consent(client, store):
    client.force_login(StaffFactory(store=store))
    client.post(
        reverse("staff:customer_create"),
        {"first_name": "Lia", "phone": "+393475550303", "sms_consent": "on"},
    )
    lia = Customer.objects.get(phone="+393475550303")
    assert lia.pk in reached("sms")
