"""A website on the same site signs its customer in with a session: the CSRF cookie
first, then the email and password with that cookie's value in the header; the
session then reads and writes as a token would, writes with the header, and
signing out ends it."""

import pytest
from rest_framework.test import APIClient

from tests.factories import StaffFactory
from tests.orders.returns_helpers import shopper

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_sign_in_throttle")]
SESSION = "/api/v1/auth/session/"
PASSWORD = "pass-1234"


@pytest.fixture
def site():
    """A browser of the website: Django's CSRF check on, as in production."""
    return APIClient(enforce_csrf_checks=True)


def csrf(site) -> str:
    answer = site.get(SESSION)
    assert answer.status_code == 200
    assert answer.json() == {"signed_in": False}
    return answer.cookies["csrftoken"].value


def test_a_customer_signs_in_with_a_session_and_writes_with_the_header(site):
    user, customer = shopper()
    token = csrf(site)

    signed = site.post(
        SESSION,
        {"email": "ADA@example.com ", "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert signed.status_code == 200, signed.content
    assert signed.json() == {"signed_in": True}
    assert site.get(SESSION).json() == {"signed_in": True}
    me = site.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["email"] == "ada@example.com"
    token = site.cookies["csrftoken"].value  # turned over at sign-in
    unsent = site.patch("/api/v1/me/", {"first_name": "Eve"}, format="json")
    assert unsent.status_code == 403
    sent = site.patch(
        "/api/v1/me/", {"first_name": "Ada"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert sent.status_code == 200
    out = site.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=token)
    assert out.status_code == 204
    assert site.get("/api/v1/me/").status_code in (401, 403)
    customer.refresh_from_db()
    assert customer.first_name == "Ada"


def test_without_the_csrf_header_no_one_is_signed_in(site):
    shopper()
    csrf(site)

    refused = site.post(
        SESSION, {"email": "ada@example.com", "password": PASSWORD}, format="json"
    )

    assert refused.status_code == 403
    assert "X-CSRFToken" in refused.json()["message"]
    assert site.get(SESSION).json() == {"signed_in": False}


@pytest.mark.parametrize(
    "email, password",
    [("ada@example.com", "wrong-pass"), ("nobody@example.com", PASSWORD)],
)
def test_a_wrong_email_or_password_is_refused_alike(site, email, password):
    shopper()
    token = csrf(site)

    refused = site.post(
        SESSION,
        {"email": email, "password": password},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_credentials"
    assert site.get(SESSION).json() == {"signed_in": False}


def test_staff_do_not_sign_in_to_the_storefront(site):
    StaffFactory(username="giulia@example.com", email="giulia@example.com")
    token = csrf(site)

    refused = site.post(
        SESSION,
        {"email": "giulia@example.com", "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert refused.status_code == 400
