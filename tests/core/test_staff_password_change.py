"""Staff change their own password on the staff pages (the header's *Change
password*): the current one proven, the new one checked by the password validators;
the device used stays signed in, every other session and API token of the login
ends, and the change is kept in the login's history."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from omnistore.accounts.models import User
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-Harbour-2025"
PAGE = "/staff/password/"


@pytest.fixture
def giulia():
    return StaffFactory(username="giulia")


@pytest.fixture
def signed_in(client, giulia):
    client.force_login(giulia)
    return client


def change(client, old="pass-1234", new=NEW_PASSWORD, again=None):
    body = {
        "old_password": old,
        "new_password1": new,
        "new_password2": new if again is None else again,
    }
    return client.post(PAGE, body)


def test_the_header_links_to_the_page_and_it_is_never_kept(signed_in):
    dashboard = signed_in.get(reverse("staff:dashboard")).content.decode()
    assert f'href="{PAGE}"' in dashboard and "Change password" in dashboard

    page = signed_in.get(PAGE)

    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="old_password"' in body and 'name="new_password2"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "no-store" in page["Cache-Control"]


def test_the_password_changes_this_session_stays_every_other_one_ends(
    signed_in, giulia
):
    tablet = Client()
    tablet.force_login(giulia)
    token = Token.objects.create(user=giulia).key

    response = change(signed_in)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:dashboard")
    [message] = get_messages(response.wsgi_request)
    assert "Your password is changed" in str(message)
    assert signed_in.get(reverse("staff:dashboard")).status_code == 200
    assert tablet.get(reverse("staff:dashboard")).status_code == 302  # to the login
    assert not Token.objects.filter(key=token).exists()
    giulia.refresh_from_db()
    assert giulia.check_password(NEW_PASSWORD)
    entry = LogEntry.objects.get(object_id=str(giulia.pk))
    assert entry.user == giulia and "own password" in entry.change_message

    fresh = Client()
    old = fresh.post(
        reverse("staff:login"), {"username": "giulia", "password": "pass-1234"}
    )
    assert old.status_code == 200
    new = fresh.post(
        reverse("staff:login"), {"username": "giulia", "password": NEW_PASSWORD}
    )
    assert new.status_code == 302


def test_a_wrong_current_password_is_a_form_error_and_nothing_changes(
    signed_in, giulia
):
    response = change(signed_in, old="not-my-password")

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "old_password" in errors
    assert "entered incorrectly" in response.content.decode()
    assert User.objects.get(pk=giulia.pk).check_password("pass-1234")


@pytest.mark.parametrize(
    ("new", "again", "field"),
    [
        ("12345678", None, "new_password2"),  # numeric and common
        ("short", None, "new_password2"),
        ("giulia2024", None, "new_password2"),  # too like the username
        (NEW_PASSWORD, "Quiet-Harbour-2026", "new_password2"),  # typed differently
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused_on_the_form(
    signed_in, giulia, new, again, field
):
    response = change(signed_in, new=new, again=again)

    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert 'class="errorlist"' in response.content.decode()
    assert User.objects.get(pk=giulia.pk).check_password("pass-1234")


def test_a_post_without_the_csrf_token_is_refused(giulia):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(giulia)

    assert change(browser).status_code == 403
    assert User.objects.get(pk=giulia.pk).check_password("pass-1234")


def test_signed_out_or_a_customer_is_sent_to_the_login(client):
    assert client.get(PAGE).status_code == 302
    client.force_login(UserFactory())
    response = change(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))
