"""A storefront token can be revoked (sign-out), is replaced by a password change on
every device, and stops working once it is older than the maximum age."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import CustomerEvent
from customers.services.accounts import current_token
from omnistore.accounts.models import Role, User
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

EMAIL = "nora@example.com"
PASSWORD = "Sunny-Linen-2024"
NEW_PASSWORD = "Quiet-Harbour-2025"


def register() -> str:
    body = {"email": EMAIL, "password": PASSWORD}
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["token"]


def sign_in(password: str = PASSWORD):
    body = {"email": EMAIL, "password": password}
    return APIClient().post("/api/v1/auth/token/", body, format="json")


def client_for(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def change(token: str, current: str, new: str):
    body = {"current_password": current, "new_password": new}
    return client_for(token).post("/api/v1/me/password/", body, format="json")


def test_sign_out_revokes_the_token_and_signing_in_again_issues_a_new_one():
    token = register()
    assert client_for(token).get("/api/v1/me/").status_code == 200
    response = client_for(token).post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert client_for(token).get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(key=token).exists()
    again = sign_in()
    assert again.status_code == 200, again.json()
    fresh = again.json()["token"]
    assert fresh != token
    assert client_for(fresh).get("/api/v1/me/").status_code == 200


def test_sign_out_needs_a_valid_token():
    assert APIClient().post("/api/v1/auth/logout/").status_code == 401
    assert client_for("0" * 40).post("/api/v1/auth/logout/").status_code == 401


def test_sign_out_of_a_website_session_ends_the_session():
    register()
    client = APIClient()
    assert client.login(username=EMAIL, password=PASSWORD)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    assert Token.objects.filter(user__email=EMAIL).exists()  # the app stays signed in


def test_a_wrong_current_password_is_a_field_error_and_changes_nothing():
    token = register()
    response = change(token, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "wrong_password"
    assert "current_password" in response.json()["extra"]
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)
    assert client_for(token).get("/api/v1/me/").status_code == 200
    assert not CustomerEvent.objects.filter(kind="password_changed").exists()


@pytest.mark.parametrize("weak", ["short", "password123", "12345678901", PASSWORD])
def test_a_weak_or_unchanged_new_password_is_a_field_error_and_changes_nothing(weak):
    token = register()
    response = change(token, PASSWORD, weak)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    # As every refused field, also at the top level under its name.
    assert body["new_password"] == body["extra"]["new_password"]
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)
    assert Token.objects.get(user__email=EMAIL).key == token


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": EMAIL, "password": "password123"}, "password"),
        ({"email": "nora@", "password": PASSWORD}, "email"),
    ],
)
def test_a_refused_sign_up_names_the_field_in_extra_and_at_the_top_level(body, field):
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["extra"][field] and answer[field] == answer["extra"][field]
    assert not User.objects.filter(email__startswith="nora").exists()


def test_a_password_longer_than_128_characters_as_sent_is_refused():
    """Spaces around a password are dropped, but only once its length is checked:
    a password the schema refuses is refused by the API too."""
    padded = "    " + "Sunny-Linen-2024" + "*" * 110  # 130 as sent, 126 without
    response = APIClient().post(
        "/api/v1/auth/register/", {"email": EMAIL, "password": padded}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "password" in response.json()["extra"]
    assert not User.objects.filter(email=EMAIL).exists()
    # at 128 as sent, spaces included, it is taken (without them, as before)
    fits = "  " + "Sunny-Linen-2024" + "*" * 110
    response = APIClient().post(
        "/api/v1/auth/register/", {"email": EMAIL, "password": fits}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert sign_in(fits.strip()).status_code == 200


def test_missing_fields_are_field_errors():
    token = register()
    response = client_for(token).post("/api/v1/me/password/", {}, format="json")
    assert response.status_code == 400
    assert {"current_password", "new_password"} <= set(response.json()["extra"])


def test_a_password_change_signs_out_every_device_and_keeps_this_one_signed_in():
    token = register()
    response = change(token, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 200, response.json()
    fresh = response.json()["token"]
    assert fresh and fresh != token
    assert client_for(token).get("/api/v1/me/").status_code == 401
    assert client_for(fresh).get("/api/v1/me/").status_code == 200
    old = sign_in(PASSWORD)
    assert old.status_code == 400 and old.json()["code"] == "invalid_credentials"
    new = sign_in(NEW_PASSWORD)
    assert new.status_code == 200 and new.json()["token"] == fresh


def test_a_website_session_stays_signed_in_after_its_password_change():
    token = register()
    client = APIClient()
    assert client.login(username=EMAIL, password=PASSWORD)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = client.post("/api/v1/me/password/", body, format="json")
    assert response.status_code == 200, response.json()
    assert client.get("/api/v1/me/").status_code == 200
    assert client_for(token).get("/api/v1/me/").status_code == 401


def test_a_password_change_is_on_the_timeline_without_the_password():
    token = register()
    assert change(token, PASSWORD, NEW_PASSWORD).status_code == 200
    event = CustomerEvent.objects.get(kind="password_changed")
    assert event.customer.user.email == EMAIL
    written = f"{event.summary} {event.data}"
    assert PASSWORD not in written and NEW_PASSWORD not in written
    timeline = client_for(sign_in(NEW_PASSWORD).json()["token"]).get(
        "/api/v1/me/timeline/"
    )
    assert "password_changed" in str(timeline.json())


def test_current_password_guesses_are_limited_per_login(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_change": "3/minute",
        },
    }
    token = register()
    answers = [change(token, f"guess-{i}", NEW_PASSWORD) for i in range(4)]
    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    assert change(token, PASSWORD, NEW_PASSWORD).status_code == 429
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)


@pytest.mark.parametrize("kind", ["associate", "superuser"])
def test_staff_logins_cannot_change_a_password_here(kind):
    if kind == "associate":
        staff = StaffFactory()
    else:
        staff = User.objects.create_superuser(
            username="root", email="root@example.com", password="pass-1234"
        )
        assert staff.role == Role.CUSTOMER  # the admin's role, for want of groups
    token = Token.objects.create(user=staff)
    response = change(token.key, "pass-1234", NEW_PASSWORD)
    assert response.status_code == 404, response.json()
    assert response.json()["code"] == "staff_login"
    staff.refresh_from_db()
    assert staff.check_password("pass-1234")
    assert Token.objects.filter(key=token.key).exists()


def age(token: str, days: int) -> None:
    Token.objects.filter(key=token).update(
        created=timezone.now() - timedelta(days=days)
    )


def test_a_token_older_than_the_maximum_age_is_refused_and_sign_in_replaces_it(
    settings,
):
    settings.OMNISTORE_API_TOKEN_MAX_AGE_DAYS = 90
    token = register()
    age(token, 88)
    assert client_for(token).get("/api/v1/me/").status_code == 200
    assert sign_in().json()["token"] == token  # two days left: the same token
    age(token, 91)
    assert client_for(token).get("/api/v1/me/").status_code == 401
    fresh = sign_in().json()["token"]
    assert fresh != token
    assert client_for(fresh).get("/api/v1/me/").status_code == 200
    assert Token.objects.filter(user__email=EMAIL).count() == 1


def test_with_no_maximum_age_tokens_never_expire(settings):
    settings.OMNISTORE_API_TOKEN_MAX_AGE_DAYS = 0
    token = register()
    age(token, 3650)
    assert client_for(token).get("/api/v1/me/").status_code == 200
    assert sign_in().json()["token"] == token


def test_the_schema_documents_sign_out_and_the_password_change(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    logout = schema["paths"]["/api/v1/auth/logout/"]["post"]
    assert logout["summary"] == "Sign out"
    assert {"204", "401"} <= set(logout["responses"])
    password = schema["paths"]["/api/v1/me/password/"]["post"]
    assert password["summary"] == "Change my password"
    assert {"200", "400", "401", "404", "429"} <= set(password["responses"])
    body = password["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][body.rsplit("/", 1)[-1]]["properties"]
    assert {"current_password", "new_password"} <= set(fields)


def test_a_sign_in_checked_before_a_password_change_gets_no_token():
    """The sign-in read the old hash and checked the old password; the change
    committed before the sign-in's lock: it gets no token, not the new one."""
    register()
    stale = User.objects.get(email=EMAIL)
    assert stale.check_password(PASSWORD)
    new_token = change(sign_in().json()["token"], PASSWORD, "Brand-New-Linen-77")
    assert new_token.status_code == 200
    assert current_token(user=stale, checked=stale.password) is None
    assert sign_in().status_code == 400
    assert Token.objects.get().key == new_token.json()["token"]


def test_a_token_in_its_last_day_is_replaced_at_sign_in(settings):
    settings.OMNISTORE_API_TOKEN_MAX_AGE_DAYS = 90
    old = register()
    Token.objects.filter(key=old).update(
        created=timezone.now() - timedelta(days=89, hours=12)
    )
    fresh = sign_in().json()["token"]
    assert fresh != old
    assert client_for(fresh).get("/api/v1/me/").status_code == 200
