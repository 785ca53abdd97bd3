"""The current passwords tried at *Change password*, on the staff pages and in the
admin, are counted per login in the count the API's password change keeps
(``THROTTLE_PASSWORD_CHANGE``): a device left signed in does not buy unlimited
guesses. Past the limit a try is refused before the password is checked, even the
right one, with a 429 page saying when to try again; another login is not affected.
While the shared cache cannot count, a password change is refused (503): it can
wait, unlike a sign-in."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from omnistore.accounts.models import Role, User
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.fakes.redis_faults import closed_redis_url, shared_cache

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234"
NEW_PASSWORD = "Quiet-Harbour-2025"
LIMIT = 3
STAFF_PAGE = "/staff/password/"
TOO_MANY = "Too many tries at the current password. Try again in 60 minutes."


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
            "password_change": f"{LIMIT}/hour",
        },
    }


def associate():
    return StaffFactory(role=Role.ASSOCIATE)


def manager():
    return UserFactory(role=Role.STORE_MANAGER, store=LocationFactory())


# Each page with the login that reaches it: the staff pages for an associate, the
# admin for a manager.
PAGES = [
    pytest.param(lambda: STAFF_PAGE, associate, id="staff"),
    pytest.param(lambda: reverse("admin:password_change"), manager, id="admin"),
]


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def change(browser: Client, page: str, old: str):
    body = {
        "old_password": old,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    return browser.post(page, body)


def still_has(user, password: str) -> bool:
    return User.objects.get(pk=user.pk).check_password(password)


@pytest.mark.parametrize(("page", "login"), PAGES)
def test_past_the_limit_even_the_right_password_is_refused_with_when(
    rates, page, login
):
    page = page()
    user = login()
    browser = signed_in(user)
    for _ in range(LIMIT + 1):  # reading the page is no try
        assert browser.get(page).status_code == 200
    for n in range(LIMIT):
        wrong = change(browser, page, f"guess-{n}")
        assert wrong.status_code in (200, 422)  # the admin's page, the staff's
        assert "entered incorrectly" in wrong.content.decode()

    refused = change(browser, page, PASSWORD)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 3600
    body = refused.content.decode()
    assert TOO_MANY in body
    assert "entered incorrectly" not in body
    assert 'name="old_password"' in body  # still the page, its form
    assert still_has(user, PASSWORD)


@pytest.mark.parametrize(("page", "login"), PAGES)
def test_another_login_is_not_affected(rates, page, login):
    page = page()
    guessed = signed_in(login())
    for n in range(LIMIT + 1):
        change(guessed, page, f"guess-{n}")
    assert change(guessed, page, PASSWORD).status_code == 429

    colleague = login()
    changed = change(signed_in(colleague), page, PASSWORD)

    assert changed.status_code == 302
    assert still_has(colleague, NEW_PASSWORD)


def test_the_staff_pages_and_the_admin_share_one_count_per_login(rates):
    user = manager()
    browser = signed_in(user)
    admin_page = reverse("admin:password_change")
    assert change(browser, STAFF_PAGE, "guess-1").status_code == 422
    assert change(browser, admin_page, "guess-2").status_code == 200
    assert change(browser, STAFF_PAGE, "guess-3").status_code == 422

    assert change(browser, admin_page, PASSWORD).status_code == 429
    assert change(browser, STAFF_PAGE, PASSWORD).status_code == 429
    assert still_has(user, PASSWORD)


@pytest.mark.parametrize(("page", "login"), PAGES)
def test_while_the_shared_cache_is_down_a_password_change_waits(page, login):
    page = page()
    user = login()
    browser = signed_in(user)

    with override_settings(CACHES=shared_cache(closed_redis_url())):
        refused = change(browser, page, PASSWORD)

    assert refused.status_code == 503
    assert int(refused["Retry-After"]) >= 1
    body = refused.content.decode()
    assert "This cannot be checked right now; try again in a moment." in body
    assert 'name="old_password"' in body
    assert still_has(user, PASSWORD)
