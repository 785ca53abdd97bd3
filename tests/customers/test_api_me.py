"""Storefront account and /me/ endpoints: a customer only ever reaches their own data."""

import re

import pytest
from rest_framework.authtoken.models import Token

from campaigns.backends import MemoryBackend
from customers.models import Customer, CustomerEvent
from customers.services.loyalty import earn_points
from customers.services.matching import match_customer
from customers.services.merge import merge_customers
from customers.services.timeline import add_note, record_event
from omnistore.accounts.models import Role, User
from omnistore.core import outbox
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from tests.customers.factories import CustomerUserFactory
from tests.factories import (
    CategoryFactory,
    LocationFactory,
    StaffFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Sunny-Linen-2024"


def signed_in(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def register(api_client, **overrides):
    body = {
        "email": "nora@example.com",
        "password": PASSWORD,
        "first_name": "Nora",
        "last_name": "Galli",
        **overrides,
    }
    return api_client.post("/api/v1/auth/register/", body, format="json")


def test_register_creates_a_customer_login_and_profile_and_returns_a_token(api_client):
    response = register(api_client, phone="+39 333 222 1111", channel="app")
    assert response.status_code == 201, response.json()
    token = response.json()["token"]
    user = User.objects.get(email="nora@example.com")
    assert user.role == Role.CUSTOMER and user.check_password(PASSWORD)
    customer = Customer.objects.get(pk=response.json()["customer_id"])
    assert customer.user == user and customer.created_channel == Channel.APP
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/").json()
    assert me["email"] == "nora@example.com" and me["phone"] == "+393332221111"


def test_sign_up_after_a_shop_purchase_keeps_the_shop_history(api_client, settings):
    """The shop profile becomes the login's once the SMS code sent to its phone is
    confirmed (before that the login has a profile of its own)."""
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    shop = LocationFactory()
    in_store = match_customer(
        phone="3471234567", first_name="Nora", channel=Channel.STORE, location=shop
    )
    response = register(api_client, phone="0039 347 1234567")
    assert response.status_code == 201
    assert response.json()["customer_id"] != in_store.pk
    outbox.drain()
    (sms,) = [m for m in MemoryBackend.outbox if m.to == "+393471234567"]
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    confirmed = api_client.post(
        "/api/v1/me/verify/confirm/",
        {"phone": "+39 347 1234567", "code": code},
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert api_client.get("/api/v1/me/").json()["id"] == in_store.pk


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "123"}, "password"),
        ({"phone": "12"}, "phone"),
        ({"channel": "store"}, "channel"),
        ({"email": ""}, "email"),
    ],
)
def test_register_refuses_bad_input_with_field_errors(api_client, overrides, field):
    response = register(api_client, **overrides)
    assert response.status_code == 400
    body = response.json()
    assert field in body["extra"], body
    assert not User.objects.filter(role=Role.CUSTOMER).exists()
    assert not Customer.objects.exists()


def test_register_twice_with_one_email_is_refused(api_client):
    assert register(api_client).status_code == 201
    again = register(api_client, email="NORA@example.com ")
    assert again.status_code == 400
    assert again.json()["code"] == "email_taken"
    assert User.objects.count() == 1


def test_token_is_issued_for_the_right_password_only(api_client):
    register(api_client)
    ok = api_client.post(
        "/api/v1/auth/token/",
        {"email": "Nora@Example.com", "password": PASSWORD},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["token"]
    wrong = api_client.post(
        "/api/v1/auth/token/",
        {"email": "nora@example.com", "password": "nope-nope-nope"},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_credentials"


def test_staff_cannot_get_a_storefront_token(api_client):
    staff = StaffFactory(email="staff@example.com")
    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": "staff@example.com", "password": "pass-1234"},
        format="json",
    )
    assert response.status_code == 400
    assert not Token.objects.filter(user=staff).exists()


def test_me_needs_authentication(api_client):
    for path in ("me/", "me/consents/", "me/timeline/", "me/export/"):
        assert api_client.get(f"/api/v1/{path}").status_code == 401
    assert api_client.post("/api/v1/me/erase/", {"confirm": True}).status_code == 401


def test_me_shows_the_points_and_what_they_pay(api_client, settings):
    user = CustomerUserFactory()
    earn_points(customer=user.customer_profile, points=1234, reason="Welcome")
    me = signed_in(api_client, user).get("/api/v1/me/").json()
    assert (me["points_balance"], me["points_value"]) == (1234, "12.34")

    settings.OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT = 50
    assert api_client.get("/api/v1/me/").json()["points_value"] == "24.68"


def test_patch_me_changes_profile_and_validates_the_store(api_client):
    shop = LocationFactory()
    warehouse = WarehouseFactory()
    CategoryFactory(slug="men-shoes")
    user = CustomerUserFactory()
    client = signed_in(api_client, user)
    response = client.patch(
        "/api/v1/me/",
        {
            "first_name": "Paolo",
            "preferred_store": shop.pk,
            "birthday": "1990-04-01",
            "preferences": {"sizes": {"men-shoes": "43"}, "favourite_categories": []},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["first_name"] == "Paolo"
    assert body["preferred_store"] == shop.pk
    assert body["preferred_store_name"] == shop.name
    assert body["preferences"]["sizes"] == {"men-shoes": "43"}
    bad = client.patch("/api/v1/me/", {"preferred_store": warehouse.pk}, format="json")
    assert bad.status_code == 400 and "preferred_store" in bad.json()["extra"]
    bad = client.patch("/api/v1/me/", {"birthday": "yesterday"}, format="json")
    assert bad.status_code == 400 and "birthday" in bad.json()["extra"]
    bad = client.patch("/api/v1/me/", {"preferences": {"sizes": "M"}}, format="json")
    assert bad.status_code == 400 and "preferences" in bad.json()["extra"]
    assert client.get("/api/v1/me/").json()["preferred_store"] == shop.pk


@pytest.mark.parametrize("birthday", ["0001-01-01", "1899-12-31"])
def test_a_birthday_before_1900_is_refused(api_client, birthday):
    client = signed_in(api_client, CustomerUserFactory())
    refused = client.patch("/api/v1/me/", {"birthday": birthday}, format="json")
    assert refused.status_code == 400 and "birthday" in refused.json()["extra"]
    assert client.get("/api/v1/me/").json()["birthday"] is None
    kept = client.patch("/api/v1/me/", {"birthday": "1900-01-01"}, format="json")
    assert kept.status_code == 200 and kept.json()["birthday"] == "1900-01-01"


def test_consents_are_read_and_changed_with_history(api_client):
    user = CustomerUserFactory()
    client = signed_in(api_client, user)
    initial = {
        c["channel"]: c["granted"] for c in client.get("/api/v1/me/consents/").json()
    }
    assert initial == {"email": False, "sms": False, "push": False, "tracking": False}
    response = client.put(
        "/api/v1/me/consents/",
        {"email": True, "push": True, "channel": "app"},
        format="json",
    )
    assert response.status_code == 200
    state = {c["channel"]: c for c in response.json()}
    assert state["email"]["granted"] and state["push"]["granted"]
    assert state["email"]["source_channel"] == "app" and not state["sms"]["granted"]
    assert client.put("/api/v1/me/consents/", {}, format="json").status_code == 400
    bad = client.put("/api/v1/me/consents/", {"email": "perhaps"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()["extra"]


def _events(customer, n):
    CustomerEvent.objects.bulk_create(
        [
            CustomerEvent(customer=customer, kind="order_placed", summary=f"Order {i}")
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("history", [3, 40])
def test_timeline_is_paginated_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, history
):
    user = CustomerUserFactory()
    staff = StaffFactory()
    customer = user.customer_profile
    _events(customer, history)
    record_event(
        customer=customer,
        kind="wishlist_item_added",
        summary="Linen shirt added to your wishlist",
        actor=staff,
    )
    add_note(customer=customer, text="Staff only: hard to please", actor=staff)
    client = signed_in(api_client, user)
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/me/timeline/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == history + 2  # + profile created, + wishlist; no note
    assert len(body["results"]) == min(history + 2, 20)
    assert "note_added" not in {e["kind"] for e in body["results"]}
    added = next(e for e in body["results"] if e["kind"] == "wishlist_item_added")
    assert added["by"] == f"{staff.first_name} {staff.last_name[0]}."
    seen = [e["id"] for e in body["results"]]
    next_url = body["next"]
    while next_url:
        page = client.get(next_url).json()
        seen += [e["id"] for e in page["results"]]
        next_url = page["next"]
    assert len(seen) == len(set(seen)) == body["count"]


def test_export_is_json_of_my_own_data(api_client):
    user = CustomerUserFactory(email="me@example.com")
    CustomerUserFactory(email="someone-else@example.com")
    client = signed_in(api_client, user)
    response = client.get("/api/v1/me/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = response.json()
    assert body["profile"]["email"] == "me@example.com"
    assert "someone-else@example.com" not in response.content.decode()


def test_erase_needs_confirmation_then_closes_the_login(api_client):
    user = CustomerUserFactory(email="gone@example.com")
    client = signed_in(api_client, user)
    refused = client.post("/api/v1/me/erase/", {"confirm": False}, format="json")
    assert refused.status_code == 400 and "confirm" in refused.json()["extra"]
    assert client.post("/api/v1/me/erase/", {}, format="json").status_code == 400
    assert Customer.objects.get(user=user).is_anonymised is False
    done = client.post("/api/v1/me/erase/", {"confirm": True}, format="json")
    assert done.status_code == 200
    customer = Customer.objects.get(user=user)
    assert customer.is_anonymised and customer.email == ""
    assert client.get("/api/v1/me/").status_code == 401  # the token is gone


def test_customer_a_never_reaches_b(api_client):
    """No /me/ endpoint takes an id; whatever A sends, only A's data is read or changed."""
    a = CustomerUserFactory(email="a@example.com")
    b = CustomerUserFactory(email="b@example.com")
    b_profile = b.customer_profile
    client = signed_in(api_client, a)
    me = client.get("/api/v1/me/", {"id": b_profile.pk, "customer": b_profile.pk})
    assert me.json()["id"] == a.customer_profile.pk
    client.patch(
        "/api/v1/me/", {"id": b_profile.pk, "first_name": "Hacked"}, format="json"
    )
    b_profile.refresh_from_db()
    assert b_profile.first_name != "Hacked"
    client.put(
        "/api/v1/me/consents/", {"email": True, "customer": b_profile.pk}, format="json"
    )
    assert not b_profile.consents.exists()
    timeline = client.get(f"/api/v1/me/timeline/?customer={b_profile.pk}").json()
    assert all("b@example.com" not in e["summary"] for e in timeline["results"])
    assert client.get(f"/api/v1/me/{b_profile.pk}/").status_code == 404
    assert client.get(f"/api/v1/customers/{b_profile.pk}/").status_code == 404


def test_staff_login_without_a_profile_gets_404(api_client):
    client = signed_in(api_client, StaffFactory())
    assert client.get("/api/v1/me/").status_code == 404


def test_after_a_merge_the_merged_login_sees_the_survivor(api_client):
    """The loser's login moves to the survivor (which had none) and reads it."""
    survivor = match_customer(email="first@example.com", channel="store")
    loser_user = CustomerUserFactory(email="second@example.com")
    merge_customers(
        survivor=survivor, other=loser_user.customer_profile, actor=StaffFactory()
    )
    client = signed_in(api_client, loser_user)
    me = client.get("/api/v1/me/").json()
    assert me["id"] == survivor.pk
    values = {i["value"] for i in me["identities"]}
    assert {"first@example.com", "second@example.com"} <= values


def test_two_profiles_with_a_login_each_are_not_merged(api_client):
    """One login would otherwise open the other's orders, points and data."""
    first = CustomerUserFactory(email="first@example.com")
    second = CustomerUserFactory(email="second@example.com")
    with pytest.raises(Conflict) as refused:
        merge_customers(
            survivor=first.customer_profile,
            other=second.customer_profile,
            actor=StaffFactory(),
        )
    assert refused.value.code == "both_have_logins"
    me = signed_in(api_client, second).get("/api/v1/me/").json()
    assert me["id"] == second.customer_profile.pk


def test_openapi_schema_documents_the_account_endpoints(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/me/consents/",
        "/api/v1/me/timeline/",
        "/api/v1/me/export/",
        "/api/v1/me/erase/",
    ):
        assert path in paths, path


def test_password_guessing_is_slowed_per_address(api_client):
    register(api_client)
    statuses = [
        api_client.post(
            "/api/v1/auth/token/",
            {"email": "nora@example.com", "password": f"guess-{i}"},
            format="json",
        ).status_code
        for i in range(21)
    ]
    # 20 attempts a minute per address and client, the sign-up included.
    assert statuses[:19] == [400] * 19
    assert statuses[19:] == [429, 429]
    # Another address from the same client is not blocked by it.
    other = api_client.post(
        "/api/v1/auth/token/",
        {"email": "someone@example.com", "password": "x"},
        format="json",
    )
    assert other.status_code == 400
