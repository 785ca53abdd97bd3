"""A staff session ends a working day after signing in and after idle time; the next
page asks to sign in again."""

import time

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.staff.sessions import SEEN_AT, SIGNED_IN_AT
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def associate(client):
    StaffFactory(username="giulia")
    response = client.post(
        reverse("staff:login"), {"username": "giulia", "password": "pass-1234"}
    )
    assert response.status_code == 302
    return client


def backdate(client, **seconds_ago) -> None:
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def asks_to_sign_in(response, login: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login)


def test_signing_in_starts_the_day(associate):
    session = associate.session
    assert time.time() - session[SIGNED_IN_AT] < 60
    assert time.time() - session[SEEN_AT] < 60
    assert associate.get(reverse("staff:dashboard")).status_code == 200


def test_the_session_ends_after_idle_time(associate, settings):
    idle = settings.OMNISTORE_STAFF_IDLE_MINUTES * 60
    backdate(associate, **{SEEN_AT: idle + 5})
    response = associate.get(reverse("staff:dashboard"))
    assert asks_to_sign_in(response, reverse("staff:login"))
    page = associate.get(response["Location"])
    assert b"Your session has ended" in page.content
    # signed out for good, not only on this page
    assert "_auth_user_id" not in associate.session


def test_a_request_within_the_idle_time_keeps_the_session(associate, settings):
    idle = settings.OMNISTORE_STAFF_IDLE_MINUTES * 60
    backdate(associate, **{SEEN_AT: idle - 120})
    assert associate.get(reverse("staff:dashboard")).status_code == 200
    assert time.time() - associate.session[SEEN_AT] < 60  # the clock starts again
    assert associate.get(reverse("staff:dashboard")).status_code == 200


def test_the_session_ends_after_a_working_day_even_when_busy(associate, settings):
    day = settings.OMNISTORE_STAFF_SESSION_HOURS * 3600
    backdate(associate, **{SIGNED_IN_AT: day + 5, SEEN_AT: 10})
    response = associate.get(reverse("staff:dashboard"))
    assert asks_to_sign_in(response, reverse("staff:login"))


def test_the_admin_ends_the_session_too(client, settings):
    UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    client.post(reverse("admin:login"), {"username": "hq", "password": "pass-1234"})
    assert client.get(reverse("admin:index")).status_code == 200
    backdate(client, **{SEEN_AT: settings.OMNISTORE_STAFF_IDLE_MINUTES * 60 + 5})
    response = client.get(reverse("admin:index"))
    assert asks_to_sign_in(response, reverse("admin:login"))


def test_the_limits_are_settings(associate, settings):
    settings.OMNISTORE_STAFF_IDLE_MINUTES = 1
    backdate(associate, **{SEEN_AT: 90})
    assert asks_to_sign_in(
        associate.get(reverse("staff:dashboard")), reverse("staff:login")
    )
