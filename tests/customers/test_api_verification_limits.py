"""Codes to an address are limited per asking login and address, with a larger cap
per address whoever asks: another login asking for codes cannot keep the owner of
an email from proving it, and a code that does not leave is said so, with when to
ask again."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from campaigns.backends import MemoryBackend
from customers.models import VerificationCode, VerificationKind
from customers.services.code_limits import SENDS_PER_ADDRESS, SENDS_PER_TARGET
from tests.customers.factories import CustomerUserFactory
from tests.customers.test_api_accounts_verification import confirm, sent_code
from tests.orders.factories import deliver_outbox

pytestmark = pytest.mark.django_db

PASSWORD = "Sunny-Linen-2024"
VICTIM = "victim9@example.org"
PHONE = "+393471234567"


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    yield
    MemoryBackend.reset()


def client_of(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def ask(client, **target):
    return client.post("/api/v1/me/verify/", target, format="json")


def pump(count: int, **target) -> list[int]:
    """``count`` codes asked for ``target`` by as many logins as the limit per
    login and address needs."""
    statuses = []
    while len(statuses) < count:
        client = client_of(CustomerUserFactory())
        for _ in range(min(SENDS_PER_TARGET, count - len(statuses))):
            statuses.append(ask(client, **target).status_code)
    return statuses


def register(email: str, **extra):
    body = {"email": email, "password": PASSWORD, **extra}
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_login_asking_codes_for_a_strangers_email_does_not_block_its_owner():
    mallory = client_of(CustomerUserFactory(email="mallory@example.com"))
    asked = [ask(mallory, email=VICTIM).status_code for _ in range(4)]
    assert asked == [202, 202, 202, 429]

    body = register(VICTIM)
    [entry] = body["verifications"]
    assert entry["kind"] == "email" and entry["sent"] is True
    assert entry["expires_at"] and entry["retry_at"] is None
    owner = APIClient()
    owner.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    proven = confirm(owner, sent_code(VICTIM), email=VICTIM)
    assert proven.status_code == 200, proven.json()
    assert ask(owner, email=VICTIM).status_code == 202


def test_codes_to_one_address_are_capped_whoever_asks_but_not_for_its_owner():
    assert pump(SENDS_PER_ADDRESS + 1, email=VICTIM) == [202] * SENDS_PER_ADDRESS + [
        429
    ]
    deliver_outbox()
    mailed = len([m for m in mail.outbox if VICTIM in m.to])
    body = register(VICTIM)
    assert [(v["kind"], v["sent"]) for v in body["verifications"]] == [("email", True)]
    deliver_outbox()
    assert len([m for m in mail.outbox if VICTIM in m.to]) == mailed + 1


def test_a_refused_code_says_when_to_ask_again():
    mallory = client_of(CustomerUserFactory())
    before = timezone.now()
    for _ in range(SENDS_PER_TARGET):
        ask(mallory, phone=PHONE)
    refused = ask(mallory, phone=PHONE)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    retry_at = datetime.fromisoformat(body["extra"]["retry_at"])
    assert (
        before + timedelta(minutes=59) < retry_at <= timezone.now() + timedelta(hours=1)
    )
    assert 3500 < body["extra"]["wait"] <= 3600
    assert "try again in 60 minutes" in body["message"]


def test_a_sign_up_whose_phone_code_was_held_back_says_so_and_when_to_ask_again():
    pump(SENDS_PER_ADDRESS, phone=PHONE)
    deliver_outbox()
    texted = len(MemoryBackend.outbox)

    body = register("nora@example.com", phone="347 123 4567")
    entries = {v["kind"]: v for v in body["verifications"]}
    assert entries["email"]["sent"] is True and entries["email"]["message"] == ""
    phone = entries["phone"]
    assert phone["sent"] is False and phone["expires_at"] is None
    assert phone["sent_to"] == "+39•••67"
    assert "Too many codes sent to this address" in phone["message"]
    retry_at = datetime.fromisoformat(phone["retry_at"].replace("Z", "+00:00"))
    assert timezone.now() < retry_at <= timezone.now() + timedelta(hours=1)
    sent_code("nora@example.com")  # delivers the outbox
    assert len(MemoryBackend.outbox) == texted  # no text left for the sign-up


def test_codes_of_erased_logins_still_count_toward_the_cap_on_an_address():
    statuses = []
    for round_ in range(4):
        client = APIClient()
        body = register(f"eve{round_}@example.com")
        client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
        statuses += [ask(client, phone=PHONE).status_code for _ in range(3)]
        erased = client.post("/api/v1/me/erase/", {"confirm": True}, format="json")
        assert erased.status_code == 200
    assert statuses == [202] * SENDS_PER_ADDRESS + [429, 429]


def test_signing_up_asking_and_erasing_again_and_again_keeps_the_cap_on_an_address():
    """Each new login with the address is its owner, but the codes the closed ones
    asked for still count: no fresh ten an hour per sign-up."""
    statuses = []
    for _ in range(5):
        body = register(VICTIM)
        statuses.append(202 if body["verifications"][0]["sent"] else 429)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
        statuses += [ask(client, email=VICTIM).status_code for _ in range(2)]
        erased = client.post("/api/v1/me/erase/", {"confirm": True}, format="json")
        assert erased.status_code == 200

    assert statuses.count(202) == SENDS_PER_ADDRESS
    assert (
        VerificationCode.objects.filter(kind=VerificationKind.EMAIL).count()
        == SENDS_PER_ADDRESS
    )
