"""The link in a password reset email opens a page on the site: a new password,
typed twice, set as the API's confirm sets it (checked as at sign-up, every device
signed out, the email proven); a weak or mistyped one is a form error and the link
keeps working; a link that is wrong, used, expired or a staff login's shows a
message instead of the form; no session follows (customers sign in in the app)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from customers.models import CustomerEvent
from omnistore.accounts.models import User
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox

pytestmark = pytest.mark.django_db

EMAIL = "martina.reset@example.org"
OLD_PASSWORD = "Old-pw-123abc"
NEW_PASSWORD = "Owner-pw-456xyz"
PAGE = "account-password-reset"
DONE = "Your password is changed: sign in in the app."
NO_LONGER_VALID = "This reset link is no longer valid"


def register(email: str = EMAIL) -> str:
    body = {"email": email, "password": OLD_PASSWORD, "first_name": "Martina"}
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["token"]


def sign_in(password: str, email: str = EMAIL) -> int:
    body = {"email": email, "password": password}
    return APIClient().post("/api/v1/auth/token/", body, format="json").status_code


def mailed_link(email: str = EMAIL) -> str:
    """The link of the reset email, asked for through the API as the app asks."""
    asked = APIClient().post(
        "/api/v1/auth/password-reset/", {"email": email}, format="json"
    )
    assert asked.status_code == 202
    deliver_outbox()
    [message] = [m for m in mail.outbox if email in m.to and "password" in m.subject]
    return re.search(r"https?://\S+", message.body).group(0)


def local(url: str) -> str:
    """The link's path and query, as the test client opens them."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def link_fields(url: str) -> dict:
    query = parse_qs(urlsplit(url).query)
    return {"uid": query["uid"][0], "token": query["token"][0]}


def post(client, url, password, again=None, headers=None, **extra):
    body = {
        **link_fields(url),
        "new_password": password,
        "new_password_again": password if again is None else again,
        **extra,
    }
    return client.post(reverse(PAGE), body, headers=headers)


def csrf_token_of(response) -> str:
    html = response.content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_emailed_link_opens_the_form_of_this_page(settings):
    settings.OMNISTORE_SITE_URL = "https://shop.example.com/"
    register()
    url = mailed_link()
    assert url.startswith("https://shop.example.com" + reverse(PAGE) + "?uid=")

    response = Client().get(local(url))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Choose a new password" in html
    assert 'name="new_password"' in html and 'name="new_password_again"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="viewport"' in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "strict-origin"


def test_a_new_password_set_on_the_page_signs_every_device_out_and_ends_the_link():
    api_token = register()
    url = mailed_link()
    browser = Client(enforce_csrf_checks=True)
    form = browser.get(local(url))

    done = post(  # as a browser sends it, with the page's origin
        browser,
        url,
        NEW_PASSWORD,
        headers={"origin": "http://testserver"},
        csrfmiddlewaretoken=csrf_token_of(form),
    )

    assert done.status_code == 200
    assert DONE in done.content.decode()
    assert "no-store" in done["Cache-Control"]
    assert "_auth_user_id" not in browser.session  # no session: the app signs in
    assert sign_in(OLD_PASSWORD) == 400
    assert sign_in(NEW_PASSWORD) == 200
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Token {api_token}")
    assert me.get("/api/v1/me/").status_code == 401
    event = CustomerEvent.objects.get(kind="password_reset")
    assert event.channel == "web" and event.data["tokens_revoked"] == 1
    assert event.customer.user.email == EMAIL

    again = browser.get(local(url))
    assert again.status_code == 404
    assert NO_LONGER_VALID in again.content.decode()
    assert 'name="new_password"' not in again.content.decode()
    reused = post(Client(), url, "Another-pw-789xyz")
    assert reused.status_code == 404
    assert sign_in(NEW_PASSWORD) == 200


def test_a_weak_password_is_a_form_error_and_the_link_still_works():
    register()
    url = mailed_link()
    client = Client()

    weak = post(client, url, "12345678")

    assert weak.status_code == 422
    html = weak.content.decode()
    assert "This password is too common." in html
    assert 'name="new_password"' in html and DONE not in html
    assert sign_in(OLD_PASSWORD) == 200
    assert client.get(local(url)).status_code == 200
    assert post(client, url, NEW_PASSWORD).status_code == 200
    assert sign_in(NEW_PASSWORD) == 200


def test_two_different_passwords_are_a_form_error():
    register()
    url = mailed_link()

    mismatch = post(Client(), url, NEW_PASSWORD, again=NEW_PASSWORD + "!")

    assert mismatch.status_code == 422
    assert "The two passwords differ." in mismatch.content.decode()
    assert sign_in(OLD_PASSWORD) == 200
    assert post(Client(), url, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?uid=not%20base64!&token=x",
        "?uid=" + urlsafe_base64_encode(b"999999") + "&token=abc-def",
        "?uid=" + urlsafe_base64_encode(b"9" * 30) + "&token=a-b",
        "?uid=" + urlsafe_base64_encode(b"\xff\xfe") + "&token=a-b",
        "?uid=MTE%3D&token=" + "a" * 500,
        "?uid=MQ&uid=Mg&token=a-b",
    ],
)
def test_a_wrong_link_shows_the_message_not_the_form_nor_an_error(query):
    register()
    client = Client()

    opened = client.get(reverse(PAGE) + query)
    params = {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}
    sent = client.post(
        reverse(PAGE),
        {**params, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    for response in (opened, sent):
        assert response.status_code == 404
        html = response.content.decode()
        assert NO_LONGER_VALID in html and "used or expired" in html
        assert 'name="new_password"' not in html
        assert response["Referrer-Policy"] == "strict-origin"


def test_an_expired_link_shows_the_message(settings):
    register()
    url = mailed_link()
    settings.PASSWORD_RESET_TIMEOUT = -1

    assert NO_LONGER_VALID in Client().get(local(url)).content.decode()
    assert post(Client(), url, NEW_PASSWORD).status_code == 404
    assert sign_in(OLD_PASSWORD) == 200


def test_a_staff_login_is_never_reset_on_this_page():
    staff = StaffFactory(username="giulia", email="giulia@example.com")
    staff.set_password(OLD_PASSWORD)
    staff.save()
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    token = default_token_generator.make_token(staff)
    url = f"{reverse(PAGE)}?uid={uid}&token={token}"

    assert Client().get(url).status_code == 404
    assert post(Client(), url, NEW_PASSWORD).status_code == 404
    staff.refresh_from_db()
    assert staff.check_password(OLD_PASSWORD)


def test_a_link_mailed_to_a_login_turned_staff_since_no_longer_works():
    register()
    url = mailed_link()
    User.objects.filter(email=EMAIL).update(is_staff=True)

    assert post(Client(), url, NEW_PASSWORD).status_code == 404
    assert not User.objects.get(email=EMAIL).check_password(NEW_PASSWORD)


def test_a_post_without_the_csrf_token_is_refused():
    register()
    url = mailed_link()

    refused = post(Client(enforce_csrf_checks=True), url, NEW_PASSWORD)

    assert refused.status_code == 403
    assert sign_in(OLD_PASSWORD) == 200
    assert Client().get(local(url)).status_code == 200


def test_posts_past_the_client_limit_are_refused_with_a_message(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sign_in_client": "2/minute",
        },
    }
    register()
    url = mailed_link()
    client = Client()
    assert post(client, url, "12345678").status_code == 422
    assert post(client, url, "12345678").status_code == 422

    refused = post(client, url, NEW_PASSWORD)

    assert refused.status_code == 429
    assert "Too many tries from this address" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert User.objects.get(email=EMAIL).check_password(OLD_PASSWORD)
    assert client.get(local(url)).status_code == 200  # reading the link is not counted
