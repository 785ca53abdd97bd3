"""The staff login is for staff: a customer's storefront login is refused as a wrong
password is (the same words, a failed sign-in for the lockout: nothing tells that the
password was right) and gets no session; a customer already signed in (a session from
elsewhere) sees the form instead of being sent round in circles."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper():
    user = UserFactory(username="ada@example.com", email="ada@example.com")
    user.set_password("Sunny-Linen-2024")
    user.save()
    return user


def test_a_customer_with_the_right_password_is_answered_as_a_wrong_password(
    client, shopper
):
    login = reverse("staff:login")
    right = client.post(
        login, {"username": "ada@example.com", "password": "Sunny-Linen-2024"}
    )
    wrong = client.post(login, {"username": "ada@example.com", "password": "nope"})

    assert right.status_code == wrong.status_code == 200
    assert right.context["form"].errors == wrong.context["form"].errors
    assert b"Please enter a correct username and password" in right.content
    assert b"customers sign in in the app" not in right.content
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("staff:dashboard")).status_code == 302


def test_a_customer_with_the_right_password_counts_as_a_failed_sign_in(
    client, shopper, settings
):
    """Else the lockout would tell: wrong passwords lock the username from the
    address, the right one never would."""
    login = reverse("staff:login")
    body = {"username": "ada@example.com", "password": "Sunny-Linen-2024"}
    statuses = [
        client.post(login, body).status_code for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert AccessAttempt.objects.get(username="ada@example.com").failures_since_start


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
