"""The staff and admin logins count the passwords tried from one client address
whatever the username, in the count the API's sign-ins use: a new username per try
buys no new count. Past the limit a try is refused before any password is checked,
with a 429 page saying when to try again; other addresses are not affected."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory
from tests.fakes.redis_faults import closed_redis_url, shared_cache

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"
LIMIT = 5


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sign_in_client": f"{LIMIT}/minute",
        },
    }


def sign_in(client, path, username, password="Summer2024!", address=ADDRESS):
    body = {"username": username, "password": password}
    return client.post(path, body, REMOTE_ADDR=address)


def shoppers(count: int) -> list[str]:
    return [
        UserFactory(username=f"shopper{n}@example.com").username for n in range(count)
    ]


@pytest.mark.parametrize("login", ["staff:login", "admin:login"])
def test_one_password_tried_on_many_usernames_is_stopped_per_address(rates, login):
    path = reverse(login)
    client = Client()
    names = shoppers(LIMIT + 1)
    statuses = [sign_in(client, path, name).status_code for name in names[:LIMIT]]
    assert statuses == [200] * LIMIT

    refused = sign_in(client, path, names[LIMIT])

    assert refused.status_code == 429
    body = refused.content.decode()
    assert "Too many tries from this address. Try again in 1 minute." in body
    assert 'name="password"' in body  # still the login page, its form
    assert int(refused["Retry-After"]) == 60


def test_past_the_limit_even_a_right_password_gets_no_session_elsewhere_it_does(
    rates,
):
    associate = StaffFactory(username="giulia")
    path = reverse("staff:login")
    client = Client()
    for name in shoppers(LIMIT):
        sign_in(client, path, name)

    refused = sign_in(client, path, associate.username, "pass-1234")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session

    elsewhere = Client()
    welcome = sign_in(elsewhere, path, associate.username, "pass-1234", "203.0.113.9")
    assert welcome.status_code == 302
    assert elsewhere.session["_auth_user_id"] == str(associate.pk)


def test_the_logins_and_the_api_share_one_count_per_address(rates):
    names = shoppers(LIMIT)
    api = APIClient()
    for name in names[:3]:
        body = {"email": name, "password": "Summer2024!"}
        api.post("/api/v1/auth/token/", body, format="json", REMOTE_ADDR=ADDRESS)
    client = Client()
    assert sign_in(client, reverse("staff:login"), names[3]).status_code == 200
    assert sign_in(client, reverse("admin:login"), names[4]).status_code == 200

    assert sign_in(client, reverse("staff:login"), names[0]).status_code == 429


def test_staff_sign_in_while_the_shared_cache_is_down():
    """The shared cache down: the shop's staff still sign in (the count per address
    cannot be kept), and the lockout of a username, kept in the database, still
    holds."""
    associate = StaffFactory()
    client = Client()
    with override_settings(CACHES=shared_cache(closed_redis_url())):
        signed_in = sign_in(
            client, reverse("staff:login"), associate.username, "pass-1234"
        )
        assert signed_in.status_code == 302
        assert "_auth_user_id" in client.session
        other = StaffFactory()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(Client(), reverse("staff:login"), other.username, "wrong-pass")
        locked = sign_in(Client(), reverse("staff:login"), other.username, "pass-1234")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content


def test_reading_the_login_page_is_not_counted(rates):
    client = Client()
    for _ in range(LIMIT + 2):
        assert (
            client.get(reverse("staff:login"), REMOTE_ADDR=ADDRESS).status_code == 200
        )
    associate = StaffFactory()
    signed_in = sign_in(client, reverse("staff:login"), associate.username, "pass-1234")
    assert signed_in.status_code == 302


def test_an_associate_with_the_right_password_at_the_admin_counts_as_a_failure(
    settings,
):
    """The admin refuses an associate as a wrong password, in the lockout's count
    too: the lockout coming alike tells nothing of the password."""
    StaffFactory(username="aldo")  # an associate: no admin access
    client = Client()
    statuses = [
        sign_in(client, reverse("admin:login"), "aldo", "pass-1234").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert "_auth_user_id" not in client.session
