"""A login reaches a known profile (a shop customer's, a guest's) only after proving it
owns its email, phone or receipt: typing them at sign-up shows nothing of theirs."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.authtoken.models import Token

from campaigns.backends import MemoryBackend
from customers.models import (
    Customer,
    DuplicateCandidate,
    VerificationCode,
    VerificationStatus,
)
from customers.services.verification import receipt_claim_code
from omnistore.accounts.models import Role, User
from omnistore.core.channels import Channel
from omnistore.core.models import OutboxMessage
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from tests.customers.factories import CustomerUserFactory
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, ready_order, shop, stocked

pytestmark = pytest.mark.django_db

PASSWORD = "Sunny-Linen-2024"
PHONE = "+393471234567"


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    yield
    MemoryBackend.reset()


@pytest.fixture
def store():
    return shop(name="Milano Centro")


@pytest.fixture
def shop_customer_order(store):
    """Nora ordered as a guest with her phone and email, to collect in a shop; the
    order is ready, so its pickup code is live."""
    item = stocked(store, 5, price="30.00")
    order = ready_order(
        store=store,
        lines=[(item, 1)],
        email="nora@example.com",
        phone="347 123 4567",
        first_name="Nora",
    )
    assert order.customer.user_id is None and order.pickup_code
    return order


def register(api_client, **overrides):
    body = {"email": "mallory@example.com", "password": PASSWORD, **overrides}
    response = api_client.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return response.json()


def signed_in(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def sent_code(to: str) -> str:
    """The last code that left for ``to``, by email or SMS."""
    deliver_outbox()
    # Codes only: a receipt to the same address may leave after the code.
    bodies = [m.body for m in mail.outbox if to in m.to and "code" in m.subject]
    bodies += [m.body for m in MemoryBackend.outbox if m.to == to]
    assert bodies, f"no code sent to {to}"
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def confirm(api_client, code, **target):
    return api_client.post(
        "/api/v1/me/verify/confirm/", {**target, "code": code}, format="json"
    )


def sees_nothing_of(api_client, order) -> None:
    assert api_client.get("/api/v1/orders/").json()["results"] == []
    me = api_client.get("/api/v1/me/").json()
    assert me["id"] != order.customer_id
    assert me["loyalty_number"] != order.customer.loyalty_number
    assert {i["value"] for i in me["identities"]} & {"nora@example.com", PHONE} == set()
    detail = api_client.get(f"/api/v1/orders/{order.number}/")
    assert detail.status_code == 404
    assert order.pickup_code not in detail.content.decode()


def test_sign_up_with_a_shop_customers_phone_shows_nothing_until_the_sms_code(
    api_client, shop_customer_order
):
    order = shop_customer_order
    body = register(api_client, phone="0039 347 1234567")
    assert body["customer_id"] != order.customer_id
    assert {v["kind"] for v in body["verifications"]} == {"email", "phone"}
    sees_nothing_of(api_client, order)

    code = sent_code(PHONE)  # the SMS reaches whoever holds the phone
    assert confirm(api_client, wrong(code), phone=PHONE).status_code == 400
    sees_nothing_of(api_client, order)

    proven = confirm(api_client, code, phone="347 123 4567")
    assert proven.status_code == 200, proven.json()
    assert proven.json()["id"] == order.customer_id
    me = api_client.get("/api/v1/me/").json()
    assert me["id"] == order.customer_id
    listed = api_client.get("/api/v1/orders/").json()["results"]
    assert [row["number"] for row in listed] == [order.number]
    detail = api_client.get(f"/api/v1/orders/{order.number}/").json()
    assert detail["pickup_code"] == order.pickup_code
    # The login's own empty profile was folded into the known one.
    assert (
        Customer.objects.get(user__email="mallory@example.com").pk == order.customer_id
    )


def test_sign_up_with_a_guests_email_shows_nothing_until_the_email_code(
    api_client, shop_customer_order
):
    order = shop_customer_order
    register(api_client, email="nora@example.com")
    sees_nothing_of(api_client, order)
    code = sent_code("nora@example.com")
    proven = confirm(api_client, code, email="Nora@Example.com ")
    assert proven.status_code == 200, proven.json()
    assert api_client.get("/api/v1/me/").json()["id"] == order.customer_id
    identities = {
        (i["kind"], i["value"], i["verified"])
        for i in api_client.get("/api/v1/me/").json()["identities"]
    }
    assert ("email", "nora@example.com", True) in identities


def test_a_new_address_is_added_to_the_login_only_once_proven(api_client):
    register(api_client, phone="+39 333 222 1111")
    me = api_client.get("/api/v1/me/").json()
    assert {i["kind"] for i in me["identities"]} == {"loyalty"}
    confirm(api_client, sent_code("mallory@example.com"), email="mallory@example.com")
    me = api_client.get("/api/v1/me/").json()
    assert ("email", "mallory@example.com", True) in {
        (i["kind"], i["value"], i["verified"]) for i in me["identities"]
    }


def test_five_wrong_codes_burn_the_code(api_client, shop_customer_order):
    register(api_client, phone=PHONE)
    code = sent_code(PHONE)
    statuses = [
        confirm(api_client, wrong(code), phone=PHONE).status_code for _ in range(5)
    ]
    assert statuses == [400] * 5
    burned = confirm(api_client, code, phone=PHONE)
    assert burned.status_code == 400 and burned.json()["code"] == "code_burned"
    sees_nothing_of(api_client, shop_customer_order)
    row = VerificationCode.objects.get(kind="phone", target=PHONE)
    assert row.status == VerificationStatus.BURNED and row.attempts == 5


def test_an_expired_code_is_refused(api_client, shop_customer_order):
    register(api_client, phone=PHONE)
    code = sent_code(PHONE)
    VerificationCode.objects.filter(target=PHONE).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = confirm(api_client, code, phone=PHONE)
    assert expired.status_code == 400 and expired.json()["code"] == "code_expired"
    sees_nothing_of(api_client, shop_customer_order)


def test_a_newer_code_replaces_the_older_one(api_client, shop_customer_order):
    register(api_client, phone=PHONE)
    first = sent_code(PHONE)
    assert api_client.post("/api/v1/me/verify/", {"phone": PHONE}).status_code == 202
    second = sent_code(PHONE)
    if first != second:
        assert confirm(api_client, first, phone=PHONE).status_code == 400
    assert confirm(api_client, second, phone=PHONE).status_code == 200


def test_codes_are_limited_per_login_and_per_phone(api_client):
    register(api_client)
    asked = [
        api_client.post("/api/v1/me/verify/", {"email": f"x{i}@example.com"})
        for i in range(5)
    ]
    # The sign-up's own email code counts: four more, then refused.
    assert [r.status_code for r in asked] == [202, 202, 202, 202, 429]
    assert asked[-1].json()["code"] == "too_many_attempts"

    # Three codes an hour per login to one number; ten to it, whoever asks.
    statuses = []
    for i in range(4):
        user = CustomerUserFactory(email=f"asker{i}@example.com")
        client = signed_in(api_client, user)
        statuses.append(
            [
                client.post("/api/v1/me/verify/", {"phone": PHONE}).status_code
                for _ in range(4)
            ]
        )
    assert statuses == [[202, 202, 202, 429]] * 3 + [[202, 429, 429, 429]]


def test_erasing_the_asking_login_does_not_reset_the_limits(api_client, shop_sale):
    """A new login after the last one was erased gets no more tries at a receipt
    than the hour's limits (codes to an address: test_api_verification_limits.py)."""
    asked = []
    for round_ in range(2):
        register(api_client, email=f"eve{round_}@example.com")
        asked += [
            api_client.post("/api/v1/me/verify/", {"phone": PHONE}).status_code
            for _ in range(2)
        ]
        asked += [
            claim(api_client, shop_sale.number, "BBBBB-BBBBB").status_code
            for _ in range(3)
        ]
        erased = api_client.post("/api/v1/me/erase/", {"confirm": True}, format="json")
        assert erased.status_code == 200
    assert asked == [202, 202, 400, 400, 400, 202, 202, 400, 400, 429]
    register(api_client, email="eve9@example.com")
    right = receipt_claim_code(shop_sale.number)
    assert claim(api_client, shop_sale.number, right).status_code == 429
    # what the closed logins' codes keep is no address or order number
    kept = set(VerificationCode.objects.values_list("target", flat=True))
    assert PHONE not in kept and shop_sale.number not in kept
    assert not VerificationCode.objects.filter(
        user__is_active=False, code_hash__gt=""
    ).exists()


def test_codes_are_stored_only_as_keyed_hashes(api_client):
    register(api_client, phone=PHONE)
    code = sent_code(PHONE)
    row = VerificationCode.objects.get(kind="phone")
    assert row.code_hash and code not in row.code_hash
    assert all(
        code not in str(payload)
        for payload in OutboxMessage.objects.values_list("payload", flat=True)
    )


def test_a_profile_with_another_login_is_not_taken_over(api_client):
    owner = CustomerUserFactory(email="nora@example.com")
    register(api_client, email="mallory@example.com")
    api_client.post("/api/v1/me/verify/", {"email": "nora@example.com"})
    refused = confirm(
        api_client, sent_code("nora@example.com"), email="nora@example.com"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "profile_has_login"
    assert api_client.get("/api/v1/me/").json()["id"] != owner.customer_profile.pk
    assert DuplicateCandidate.objects.count() == 1


# --- Receipts ---------------------------------------------------------------------------


@pytest.fixture
def shop_sale(store):
    item = stocked(store, 4, price="20.00")
    return place_order(
        lines=[LineRequest(item, 2)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=StaffFactory(store=store),
        phone="333 123 4567",
        first_name="Bea",
        payments=[PaymentRequest(method="cash")],
    )


def claim(api_client, number, code):
    return api_client.post(
        "/api/v1/me/claim/",
        {"order_number": number, "claim_code": code},
        format="json",
    )


def test_the_receipts_claim_code_makes_the_shop_profile_the_logins(
    api_client, shop_sale
):
    register(api_client, email="bea@example.com")
    assert api_client.get("/api/v1/orders/").json()["results"] == []
    code = receipt_claim_code(shop_sale.number)
    assert re.fullmatch(r"[A-Z2-7]{5}-[A-Z2-7]{5}", code)
    claimed = claim(
        api_client, shop_sale.number.lower(), code.lower().replace("-", " ")
    )
    assert claimed.status_code == 200, claimed.json()
    assert claimed.json()["id"] == shop_sale.customer_id
    listed = api_client.get("/api/v1/orders/").json()["results"]
    assert [row["number"] for row in listed] == [shop_sale.number]


def test_a_wrong_claim_code_is_refused_and_limited(api_client, shop_sale):
    register(api_client, email="bea@example.com")
    right = receipt_claim_code(shop_sale.number)
    refused = claim(api_client, shop_sale.number, "AAAAA-AAAAA")
    assert refused.status_code == 400
    assert refused.json()["code"] == "wrong_claim_code"
    unknown = claim(api_client, "NOPE-1", right)
    assert unknown.json()["code"] == "wrong_claim_code"  # the same answer
    assert api_client.get("/api/v1/orders/").json()["results"] == []
    for _ in range(3):
        assert claim(api_client, shop_sale.number, "BBBBB-BBBBB").status_code == 400
    limited = claim(api_client, shop_sale.number, right)
    assert limited.status_code == 429
    assert api_client.get("/api/v1/me/").json()["id"] != shop_sale.customer_id


# --- Logins without proof ----------------------------------------------------------------


def test_a_login_made_elsewhere_gets_its_own_profile_not_the_one_with_its_email(
    api_client, shop_customer_order
):
    """A customer login without a profile (made in the admin) signs in with a token:
    its first storefront call makes it a profile of its own, not Nora's."""
    user = User.objects.create_user(
        username="nora@example.com",
        email="nora@example.com",
        password=PASSWORD,
        role=Role.CUSTOMER,
    )
    token = api_client.post(
        "/api/v1/auth/token/",
        {"email": "nora@example.com", "password": PASSWORD},
        format="json",
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    sees_nothing_of(api_client, shop_customer_order)
    assert Customer.objects.get(user=user).pk != shop_customer_order.customer_id


def test_a_staff_login_gets_no_storefront_profile(api_client, shop_customer_order):
    staff = StaffFactory(email="nora@example.com")
    client = signed_in(api_client, staff)
    for call in (
        lambda: client.get("/api/v1/me/"),
        lambda: client.get("/api/v1/orders/"),
        lambda: client.get("/api/v1/returns/"),
        lambda: client.get("/api/v1/cart/"),
        lambda: client.post("/api/v1/cart/"),
        lambda: client.post("/api/v1/me/verify/", {"email": "nora@example.com"}),
        lambda: client.post(
            "/api/v1/me/claim/", {"order_number": "X", "claim_code": "Y"}
        ),
    ):
        response = call()
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "staff_login"
    assert not Customer.objects.filter(user=staff).exists()
    assert Customer.objects.count() == 1


def test_openapi_schema_documents_the_proofs(api_client):
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/me/verify/",
        "/api/v1/me/verify/confirm/",
        "/api/v1/me/claim/",
    ):
        assert "post" in paths[path], path
    register_201 = paths["/api/v1/auth/register/"]["post"]["responses"]["201"]
    assert "Registration" in str(register_201)


def test_a_strangers_phone_typed_online_does_not_bring_their_orders_to_a_login(
    api_client, store
):
    """Eve buys as a guest with Vera's number beside her own email and claims the
    order by its receipt; Vera's later guest orders with her number stay Vera's."""
    item = stocked(store, 5, price="30.00")

    def buy(email):
        body = {
            "fulfilment": "pickup",
            "store": store.pk,
            "email": email,
            "phone": "333 987 6501",
            "lines": [{"variant": item.pk, "quantity": 1}],
            "payment": {"method": "card_online", "token": "tok_visa"},
        }
        guest = api_client.__class__()
        response = guest.post("/api/v1/checkout/buy-now/", body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()["number"]

    eves = buy("eve@example.com")
    register(api_client, email="eve.login@example.com")
    assert claim(api_client, eves, receipt_claim_code(eves)).status_code == 200
    veras = buy("vera@example.org")

    listed = api_client.get("/api/v1/orders/").json()["results"]
    assert [row["number"] for row in listed] == [eves]
    assert api_client.get(f"/api/v1/orders/{veras}/").status_code == 404
    vera = Customer.objects.get(orders__number=veras)
    eve = Customer.objects.get(orders__number=eves)
    assert vera.pk != eve.pk and vera.user_id is None
    assert DuplicateCandidate.objects.filter(
        customer_a__in=[vera, eve], customer_b__in=[vera, eve]
    ).exists()
    # with her number proven, the login's profile is hers to reach again
    api_client.post("/api/v1/me/verify/", {"phone": "+393339876501"})
    code = sent_code("+393339876501")
    assert confirm(api_client, code, phone="+393339876501").status_code == 200
    third = buy("someone@example.org")
    listed = api_client.get("/api/v1/orders/").json()["results"]
    assert third in {row["number"] for row in listed}
