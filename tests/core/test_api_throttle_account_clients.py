"""The storefront's anonymous account endpoints count each client address on its own,
whatever email each request names: a new email per try buys no new count, so one
client cannot try a password across many accounts or list who has one."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Sunny-Linen-2024"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    """The per-client rates as a deployment might set them, small enough to reach."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sign_in_client": "5/minute",
            "sign_up_client": "4/hour",
        },
    }


def post(path: str, body: dict, address: str):
    return APIClient().post(path, body, format="json", REMOTE_ADDR=address)


def test_one_password_tried_on_many_accounts_is_stopped_per_client(rates):
    for n in range(8):
        UserFactory(username=f"shopper{n}@example.com", email=f"shopper{n}@example.com")
    statuses = [
        post(
            "/api/v1/auth/token/",
            {"email": f"shopper{n}@example.com", "password": "Summer2024!"},
            "198.51.100.7",
        ).status_code
        for n in range(8)
    ]
    assert statuses == [400] * 5 + [429] * 3
    refused = post(
        "/api/v1/auth/token/",
        {"email": "shopper0@example.com", "password": "pass-1234"},
        "198.51.100.7",
    )
    assert refused.status_code == 429 and refused.json()["extra"]["wait"] > 0
    # another client has a count of its own, and the right password still works
    other = post(
        "/api/v1/auth/token/",
        {"email": "shopper0@example.com", "password": "pass-1234"},
        "198.51.100.8",
    )
    assert other.status_code == 200 and other.json()["token"]


def test_sign_ups_with_new_emails_are_limited_per_client_so_none_can_be_listed(rates):
    UserFactory(username="nora@example.com", email="nora@example.com")
    probes = [
        post(
            "/api/v1/auth/register/",
            {"email": f"probe{n}@example.com", "password": "x"},
            "198.51.100.7",
        )
        for n in range(4)
    ]
    assert [p.status_code for p in probes] == [400] * 4  # weak password, counted
    known = post(
        "/api/v1/auth/register/",
        {"email": "nora@example.com", "password": "x"},
        "198.51.100.7",
    )
    assert known.status_code == 429
    assert "email_taken" not in known.content.decode()
    fresh = post(
        "/api/v1/auth/register/",
        {"email": "ada@example.com", "password": PASSWORD},
        "198.51.100.9",
    )
    assert fresh.status_code == 201


def test_reset_links_asked_for_count_with_sign_ups_per_client(rates):
    for n in range(3):
        registered = post(
            "/api/v1/auth/register/",
            {"email": f"new{n}@example.com", "password": PASSWORD},
            "198.51.100.7",
        )
        assert registered.status_code == 201
    asked = [
        post(
            "/api/v1/auth/password-reset/",
            {"email": f"someone{n}@example.com"},
            "198.51.100.7",
        ).status_code
        for n in range(2)
    ]
    assert asked == [202, 429]


def test_a_reset_link_tried_many_times_counts_with_sign_ins_per_client(rates):
    statuses = [
        post(
            "/api/v1/auth/password-reset/confirm/",
            {"uid": "MQ", "token": f"guess-{n}", "new_password": PASSWORD},
            "198.51.100.7",
        ).status_code
        for n in range(6)
    ]
    assert statuses == [400] * 5 + [429]
