"""A wrong current password at *Change password* (the staff pages' and the admin's)
is a failed sign-in of that login from that address: after ``AXES_FAILURE_LIMIT`` of
them the login is locked out of the sign-in pages, even with the right password, as
guessing at the login page would lock it, and out of *Change password* too: a locked
login's current password is not checked there. The passwords typed and the form's
CSRF token are not kept in the record of the attempts; the limit per login on the
page itself still holds."""

import re

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role, User
from tests.factories import LocationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"
PASSWORD = "pass-1234"
NEW_PASSWORD = "Quiet-Harbour-2025"
STAFF_PAGE = "/staff/password/"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def associate():
    return StaffFactory(username="giulia", role=Role.ASSOCIATE)


def manager():
    return UserFactory(
        username="giulia", role=Role.STORE_MANAGER, store=LocationFactory()
    )


# Each page with the login that reaches it: the staff pages for an associate, the
# admin for a manager; both sign in at the staff login.
PAGES = [
    pytest.param(lambda: STAFF_PAGE, associate, id="staff"),
    pytest.param(lambda: reverse("admin:password_change"), manager, id="admin"),
]


def signed_in(user, address=ADDRESS) -> Client:
    browser = Client(REMOTE_ADDR=address)
    browser.force_login(user)
    return browser


def change(browser: Client, page: str, old: str, **extra):
    body = {
        "old_password": old,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        **extra,
    }
    return browser.post(page, body)


def lock_out(browser: Client, page: str, limit: int) -> None:
    for n in range(limit):
        change(browser, page, f"guess-{n}")


def sign_in(address=ADDRESS, password=PASSWORD):
    browser = Client(REMOTE_ADDR=address)
    login = reverse("staff:login")
    return browser.post(login, {"username": "giulia", "password": password})


@pytest.mark.parametrize(("page", "login"), PAGES)
def test_wrong_current_passwords_lock_the_login_out_of_signing_in(
    page, login, settings
):
    page = page()
    user = login()
    browser = signed_in(user)
    for n in range(settings.AXES_FAILURE_LIMIT):
        change(browser, page, f"guess-{n}")

    locked = sign_in()

    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    # from another address, the pair is another one: the login still signs in
    assert sign_in(address="203.0.113.20").status_code == 302


@pytest.mark.parametrize(("page", "login"), PAGES)
def test_a_locked_login_cannot_change_its_password_even_with_the_right_one(
    page, login, settings
):
    page = page()
    user = login()
    browser = signed_in(user)
    lock_out(browser, page, settings.AXES_FAILURE_LIMIT)
    failures = AccessAttempt.objects.get(username="giulia").failures_since_start

    refused = change(browser, page, PASSWORD)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    body = refused.content.decode()
    assert "Too many failed sign-ins" in body
    assert 'name="old_password"' in body  # still the page, its form
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    # the password was not tried: the record of the attempts is as it was
    attempt = AccessAttempt.objects.get(username="giulia")
    assert attempt.failures_since_start == failures
    # from another address, the pair is another one: the password changes there
    elsewhere = signed_in(user, address="203.0.113.20")
    assert change(elsewhere, page, PASSWORD).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


@pytest.mark.parametrize(("page", "login"), PAGES)
def test_the_try_reaching_the_limit_says_the_login_is_locked(page, login, settings):
    page = page()
    browser = signed_in(login())
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = change(browser, page, f"guess-{n}")
        assert wrong.status_code in (200, 422)  # the admin's page, the staff's
        assert "entered incorrectly" in wrong.content.decode()

    last = change(browser, page, "guess-last")

    assert last.status_code == 429
    body = last.content.decode()
    assert "Too many failed sign-ins" in body
    assert "entered incorrectly" not in body
    assert 'name="old_password"' in body  # still the page, its form


def test_fewer_wrong_tries_leave_signing_in_open(settings):
    browser = signed_in(associate())
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        change(browser, STAFF_PAGE, f"guess-{n}")

    assert sign_in().status_code == 302


def test_the_passwords_typed_are_not_kept_with_the_attempt():
    browser = signed_in(associate())

    change(browser, STAFF_PAGE, "guess-kept-nowhere")

    attempt = AccessAttempt.objects.get(username="giulia")
    assert attempt.ip_address == ADDRESS
    assert attempt.failures_since_start == 1
    assert "guess-kept-nowhere" not in attempt.post_data
    assert NEW_PASSWORD not in attempt.post_data


@pytest.mark.parametrize(("page", "login"), PAGES)
def test_the_forms_csrf_token_is_not_kept_with_the_attempt(page, login):
    page = page()
    browser = Client(REMOTE_ADDR=ADDRESS, enforce_csrf_checks=True)
    browser.force_login(login())
    form = browser.get(page).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    wrong = change(browser, page, "guess-once", csrfmiddlewaretoken=token)

    assert wrong.status_code in (200, 422)  # accepted: the token was the right one
    attempt = AccessAttempt.objects.get(username="giulia")
    assert "csrfmiddlewaretoken=" in attempt.post_data
    assert token not in attempt.post_data
    assert browser.cookies["csrftoken"].value not in attempt.post_data


def test_the_right_current_password_counts_no_failure():
    user = associate()

    changed = change(signed_in(user), STAFF_PAGE, PASSWORD)

    assert changed.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
