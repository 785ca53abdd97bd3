"""A password set in the admin signs the login out everywhere, as the storefront's own
password change and reset do: HQ setting a customer's password, or making it
unusable, ends the customer's API tokens and sessions at once; a manager changing
their own password in the admin keeps that session and ends every other."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from omnistore.accounts.models import Role, User
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-Harbour-2025"


@pytest.fixture
def hq():
    return UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)


@pytest.fixture
def shopper():
    """A customer signed up in the app: a login, its profile, a token."""
    body = {"email": "nora@example.com", "password": "Sunny-Linen-2024"}
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201
    return User.objects.get(email="nora@example.com")


def api_for(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def session_of(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def storefront_signed_in(browser: Client) -> bool:
    return browser.get("/api/v1/auth/session/").json()["signed_in"]


def set_password_in_admin(client, user, body):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    return client.post(url, body)


def test_hq_setting_a_customers_password_ends_their_token_and_sessions(
    client, hq, shopper
):
    token = Token.objects.get(user=shopper).key
    phone = session_of(shopper)
    assert api_for(token).get("/api/v1/me/").status_code == 200
    assert storefront_signed_in(phone)
    client.force_login(hq)

    response = set_password_in_admin(
        client, shopper, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert api_for(token).get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(user=shopper).exists()
    assert not storefront_signed_in(phone)
    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200  # HQ still in
    entry = LogEntry.objects.get(object_id=str(shopper.pk))
    assert entry.user == hq and "password" in entry.get_change_message().lower()


def test_making_a_password_unusable_ends_the_token_too(client, hq, shopper):
    token = Token.objects.get(user=shopper).key
    client.force_login(hq)

    response = set_password_in_admin(
        client, shopper, {"usable_password": "false", "unset-password": "1"}
    )

    assert response.status_code == 302
    shopper.refresh_from_db()
    assert not shopper.has_usable_password()
    assert api_for(token).get("/api/v1/me/").status_code == 401


def test_a_weak_password_is_refused_and_nothing_ends(client, hq, shopper):
    token = Token.objects.get(user=shopper).key
    client.force_login(hq)

    response = set_password_in_admin(
        client, shopper, {"password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert api_for(token).get("/api/v1/me/").status_code == 200


def test_a_manager_changing_their_own_password_in_the_admin_stays_signed_in_here_only(
    client,
):
    shop = LocationFactory()
    manager = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    token = Token.objects.create(user=manager).key
    tablet = session_of(manager)
    client.force_login(manager)
    assert api_for(token).get("/api/v1/me/").status_code != 401  # a staff login's

    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": "pass-1234",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert User.objects.get(pk=manager.pk).check_password(NEW_PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200
    assert tablet.get(reverse("staff:dashboard")).status_code == 302
    assert api_for(token).get("/api/v1/me/").status_code == 401
