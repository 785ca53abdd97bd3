"""The staff login is for staff: a customer's storefront login is refused with the
form's error and gets no session; a customer already signed in (a session from
elsewhere) sees the form instead of being sent round in circles."""

import pytest
from django.urls import reverse

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper():
    user = UserFactory(username="ada@example.com", email="ada@example.com")
    user.set_password("Sunny-Linen-2024")
    user.save()
    return user


def test_a_customer_signing_in_at_the_staff_login_is_refused_with_a_reason(
    client, shopper
):
    response = client.post(
        reverse("staff:login"),
        {"username": "ada@example.com", "password": "Sunny-Linen-2024"},
    )

    assert response.status_code == 200
    assert b"This login is for shop staff" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("staff:dashboard")).status_code == 302


def test_a_customer_with_a_session_sees_the_login_form_not_a_loop(client, shopper):
    client.force_login(shopper)

    dashboard = client.get(reverse("staff:dashboard"))
    login = client.get(dashboard["Location"])

    assert dashboard.status_code == 302
    assert login.status_code == 200 and b'name="password"' in login.content


def test_staff_already_signed_in_go_on_from_the_login(client):
    client.force_login(StaffFactory())

    response = client.get(reverse("staff:login"))

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/")
