"""A storefront customer who forgot the password, or whose email someone else signed
up with, sets a new one through a link mailed to that email: the answer to the ask
tells nobody who has an account, the link works once, every device is signed out,
and the email counts as proven."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from customers.models import CustomerEvent
from omnistore.accounts.models import User
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import deliver_outbox, ready_order, shop, stocked

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
OWNER = "victim10@example.org"
SQUATTER_PASSWORD = "Attacker-pw-123"
NEW_PASSWORD = "Owner-pw-456xyz"


def register(email: str, password: str) -> str:
    body = {"email": email, "password": password}
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["token"]


def sign_in(email: str, password: str):
    body = {"email": email, "password": password}
    return APIClient().post("/api/v1/auth/token/", body, format="json")


def client_for(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def ask_reset(email: str):
    return APIClient().post(RESET, {"email": email}, format="json")


def reset_mails(to: str) -> list:
    deliver_outbox()
    return [m for m in mail.outbox if to in m.to and "password" in m.subject]


def link_in(message) -> dict:
    """The uid and token of the link in a reset mail."""
    url = re.search(r"https?://\S+", message.body).group(0)
    query = parse_qs(urlparse(url).query)
    return {"uid": query["uid"][0], "token": query["token"][0]}


def confirm(link: dict, password: str = NEW_PASSWORD):
    body = {**link, "new_password": password}
    return APIClient().post(CONFIRM, body, format="json")


def test_the_owner_of_a_squatted_email_takes_the_account_back():
    squatter_token = register(OWNER, SQUATTER_PASSWORD)
    asked = ask_reset(OWNER)
    assert asked.status_code == 202
    [message] = reset_mails(OWNER)
    assert message.to == [OWNER]

    done = confirm(link_in(message))
    assert done.status_code == 200, done.json()
    owner = client_for(done.json()["token"])
    assert client_for(squatter_token).get("/api/v1/me/").status_code == 401
    assert sign_in(OWNER, SQUATTER_PASSWORD).status_code == 400
    assert sign_in(OWNER, NEW_PASSWORD).status_code == 200
    me = owner.get("/api/v1/me/").json()
    assert ("email", OWNER, True) in {
        (i["kind"], i["value"], i["verified"]) for i in me["identities"]
    }
    event = CustomerEvent.objects.get(kind="password_reset")
    assert event.customer_id == me["id"] and event.data["tokens_revoked"] == 1
    assert NEW_PASSWORD not in f"{event.summary} {event.data}"
    timeline = owner.get("/api/v1/me/timeline/").json()
    assert "password_reset" in str(timeline)


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account():
    register(OWNER, SQUATTER_PASSWORD)
    StaffFactory(username="giulia", email="giulia@example.com")
    known = ask_reset(OWNER.upper())
    unknown = ask_reset("nobody@example.com")
    staff = ask_reset("giulia@example.com")
    assert known.status_code == unknown.status_code == staff.status_code == 202
    assert known.json() == unknown.json() == staff.json()
    assert len(reset_mails(OWNER)) == 1
    assert reset_mails("nobody@example.com") == []
    assert reset_mails("giulia@example.com") == []


def test_a_malformed_email_is_a_field_error():
    response = ask_reset("not-an-email")
    assert response.status_code == 400
    assert "email" in response.json()["extra"]


def test_a_link_works_once():
    register(OWNER, SQUATTER_PASSWORD)
    ask_reset(OWNER)
    link = link_in(reset_mails(OWNER)[0])
    assert confirm(link).status_code == 200
    again = confirm(link, "Another-pw-789xyz")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_reset_link"
    assert "token" in again.json()["extra"] and "token" in again.json()
    assert sign_in(OWNER, NEW_PASSWORD).status_code == 200


def test_an_expired_link_is_refused(settings):
    register(OWNER, SQUATTER_PASSWORD)
    ask_reset(OWNER)
    link = link_in(reset_mails(OWNER)[0])
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link already past its time
    refused = confirm(link)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_reset_link"
    assert sign_in(OWNER, SQUATTER_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "link",
    [
        {"uid": "not base64!", "token": "x"},
        {"uid": urlsafe_base64_encode(b"999999"), "token": "abc-def"},
        {"uid": urlsafe_base64_encode(b"99999999999999999999999"), "token": "a-b"},
        {"uid": urlsafe_base64_encode(b"\xff\xfe"), "token": "a-b"},
        {"uid": "", "token": ""},
    ],
)
def test_a_wrong_link_is_a_field_error_not_a_server_error(link):
    refused = confirm(link)
    assert refused.status_code == 400, refused.content
    assert set(refused.json()["extra"]) <= {"uid", "token"}


def test_a_wrong_token_for_a_real_login_changes_nothing():
    register(OWNER, SQUATTER_PASSWORD)
    user = User.objects.get(email=OWNER)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    assert confirm({"uid": uid, "token": "cz0000-" + "0" * 32}).status_code == 400
    assert sign_in(OWNER, SQUATTER_PASSWORD).status_code == 200


def test_a_weak_new_password_is_refused_and_the_link_still_works():
    register(OWNER, SQUATTER_PASSWORD)
    ask_reset(OWNER)
    link = link_in(reset_mails(OWNER)[0])
    weak = confirm(link, "12345678")
    assert weak.status_code == 400
    assert "new_password" in weak.json()["extra"]
    assert confirm(link).status_code == 200


def test_staff_logins_are_never_reset_here():
    associate = StaffFactory(username="giulia", email="giulia@example.com")
    admin = UserFactory(username="root", email="root@example.com", is_superuser=True)
    for user in (associate, admin):
        link = {
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        }
        refused = confirm(link)
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_reset_link"
        user.refresh_from_db()
        assert user.check_password("pass-1234")


def test_the_reset_proves_the_email_so_its_guest_orders_become_the_logins():
    store = shop(name="Milano Centro")
    order = ready_order(
        store=store,
        lines=[(stocked(store, 5, price="30.00"), 1)],
        email="nora@example.com",
        first_name="Nora",
    )
    register("nora@example.com", SQUATTER_PASSWORD)
    ask_reset("nora@example.com")
    done = confirm(link_in(reset_mails("nora@example.com")[0]))
    assert done.status_code == 200
    owner = client_for(done.json()["token"])
    assert owner.get("/api/v1/me/").json()["id"] == order.customer_id
    listed = owner.get("/api/v1/orders/").json()["results"]
    assert [row["number"] for row in listed] == [order.number]


def test_links_asked_for_one_email_are_limited_whoever_asks(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_reset": "3/hour",
        },
    }
    register(OWNER, SQUATTER_PASSWORD)
    statuses = [
        APIClient()
        .post(RESET, {"email": OWNER}, format="json", REMOTE_ADDR=f"198.51.100.{n}")
        .status_code
        for n in range(5)
    ]
    assert statuses == [202, 202, 202, 429, 429]
    assert len(reset_mails(OWNER)) == 3
    # an unknown email is counted alike: a 429 tells nothing either
    unknown = [ask_reset("nobody@example.com").status_code for _ in range(4)]
    assert unknown == [202, 202, 202, 429]


def test_the_schema_documents_the_password_reset(api_client):
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    asked = paths[RESET]["post"]["responses"]
    assert {"202", "400", "429"} <= set(asked)
    confirmed = paths[CONFIRM]["post"]["responses"]
    assert {"200", "400", "429"} <= set(confirmed)
