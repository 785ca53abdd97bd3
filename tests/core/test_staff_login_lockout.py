"""Password guessing on the staff and admin logins locks the username from that
address for a while, with a message on the login page; HQ can unlock it."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from omnistore.accounts.models import Role
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"


@pytest.fixture
def giulia():
    return StaffFactory(username="giulia")


def sign_in(client, path, password, *, address=ADDRESS, forwarded=None, user="giulia"):
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(path, {"username": user, "password": password}, **extra)


def fail_until_locked(client, path, settings):
    return [
        sign_in(client, path, f"wrong-{n}", forwarded=f"10.0.{n}.1").status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]


def test_staff_login_locks_after_the_failure_limit_even_with_the_right_password(
    client, giulia, settings
):
    login = reverse("staff:login")
    statuses = fail_until_locked(client, login, settings)
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]

    locked = sign_in(client, login, "pass-1234")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert b"15 minutes" in locked.content
    assert b'name="password"' in locked.content  # still the login page
    assert client.get(reverse("staff:dashboard")).status_code == 302  # not signed in

    # another address is another pair: the associate at the shop still gets in
    elsewhere = sign_in(client, login, "pass-1234", address="203.0.113.20")
    assert elsewhere.status_code == 302


def test_admin_login_locks_too(client, settings):
    UserFactory(username="giulia", role=Role.HQ, is_staff=True, is_superuser=True)
    login = reverse("admin:login")
    fail_until_locked(client, login, settings)
    locked = sign_in(client, login, "pass-1234")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert b"Omnistore back office" in locked.content  # the admin's own login page


def test_hq_unlocks_a_locked_username_in_the_admin(client, giulia, settings):
    fail_until_locked(client, reverse("staff:login"), settings)
    attempt = AccessAttempt.objects.get(username="giulia")
    assert attempt.ip_address == ADDRESS  # the socket's address, not the header

    hq = UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(hq)
    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert b"giulia" in listing.content
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    client.logout()

    assert sign_in(client, reverse("staff:login"), "pass-1234").status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, giulia, settings):
    login = reverse("staff:login")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, login, f"wrong-{n}")
    assert sign_in(client, login, "pass-1234").status_code == 302
    client.logout()
    assert sign_in(client, login, "wrong-again").status_code == 200  # a fresh count
