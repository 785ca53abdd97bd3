"""Sign-in attempts are counted per real client address: a header the caller writes
does not buy a fresh count, and behind trusted proxies the address they saw counts."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from omnistore.core.clientip import client_ip
from omnistore.core.throttling import CallerRateThrottle
from tests.factories import UserFactory

TOKEN = "/api/v1/auth/token/"
LIMIT = 20  # the sign-in rate: 20/minute


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def trusting(settings, proxies: int) -> None:
    settings.OMNISTORE_TRUSTED_PROXIES = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}


def sign_in(api_client, n: int, *, forwarded: str, remote="198.51.100.7"):
    return api_client.post(
        TOKEN,
        {"email": "ada@example.com", "password": f"guess-{n}"},
        format="json",
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_a_new_forwarded_header_per_try_does_not_reset_the_sign_in_limit(api_client):
    UserFactory(username="ada@example.com", email="ada@example.com")
    statuses = [
        sign_in(api_client, n, forwarded=f"10.9.{n}.1").status_code
        for n in range(LIMIT + 1)
    ]
    assert statuses[:LIMIT] == [400] * LIMIT  # wrong password, counted
    assert statuses[LIMIT] == 429


@pytest.mark.django_db
def test_behind_one_proxy_the_address_it_saw_is_counted(api_client, settings):
    trusting(settings, 1)
    statuses = [
        sign_in(api_client, n, forwarded=f"10.9.{n}.1, 203.0.113.5").status_code
        for n in range(LIMIT + 1)
    ]
    assert statuses[LIMIT] == 429  # what the client put on the left is ignored
    # another client behind the same proxy has its own count
    assert sign_in(api_client, 99, forwarded="203.0.113.6").status_code == 400


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "198.51.100.7"),  # no proxy of ours: the header is anyone's
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (2, "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "198.51.100.7"),  # shorter than our chain: went around it
        (1, "", "198.51.100.7"),
    ],
)
def test_client_ip_counts_trusted_hops_from_the_right(
    settings, proxies, forwarded, expected
):
    settings.OMNISTORE_TRUSTED_PROXIES = proxies
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected


def test_the_general_api_rate_keys_anonymous_callers_on_the_client_address(settings):
    settings.OMNISTORE_TRUSTED_PROXIES = 0
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert CallerRateThrottle().get_ident(request) == "198.51.100.7"
