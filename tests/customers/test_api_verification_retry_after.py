"""A limit on codes says when to try again as the throttles do, in the header
``Retry-After`` (whole seconds, as ``extra.wait``); a code burned by wrong tries
is not a limit: nothing to wait for, a new code is asked for at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.backends import MemoryBackend
from customers.models import VerificationCode
from customers.services.code_limits import SENDS_PER_LOGIN

from .test_api_accounts_verification import (
    PHONE,
    confirm,
    register,
    sent_code,
    wrong,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    yield
    MemoryBackend.reset()


def ask(client, **target):
    return client.post("/api/v1/me/verify/", target, format="json")


def test_the_code_past_the_hours_limit_says_when_to_ask_again_in_retry_after(
    api_client,
):
    register(api_client)  # the sign-up's own email code counts
    for i in range(SENDS_PER_LOGIN - 1):
        assert ask(api_client, email=f"x{i}@example.com").status_code == 202
    # The first of them was asked 4 minutes ago: the hour lets the next by in 56.
    VerificationCode.objects.filter(target="mallory@example.com").update(
        created_at=timezone.now() - timedelta(minutes=4)
    )

    refused = ask(api_client, email="one-more@example.com")

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    wait = body["extra"]["wait"]
    assert 3355 <= wait <= 3360
    assert abs(int(refused["Retry-After"]) - wait) <= 1
    assert "try again in 56 minutes" in body["message"]


def test_a_code_burned_by_wrong_tries_is_a_400_and_a_new_one_comes_at_once(api_client):
    register(api_client, phone=PHONE)
    code = sent_code(PHONE)
    for _ in range(5):
        assert confirm(api_client, wrong(code), phone=PHONE).status_code == 400

    burned = confirm(api_client, code, phone=PHONE)

    assert burned.status_code == 400, burned.json()
    body = burned.json()
    assert body["code"] == "code_burned"
    assert "ask for a new one" in body["message"]
    assert body["extra"] == {"code": [body["message"]]}
    assert "Retry-After" not in burned
    assert ask(api_client, phone=PHONE).status_code == 202
    proven = confirm(api_client, sent_code(PHONE), phone=PHONE)
    assert proven.status_code == 200, proven.json()
