"""A receipt's claim code proves a profile only when its purchase made that profile.

An order matched to a profile that already existed (by a phone, an email or a
loyalty card someone typed, online or at the counter) says nothing about who owns
that profile: its receipt carries no claim code and a claim with it is refused. The
profile's owner still proves it with a code sent to their phone or email."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.backends import MemoryBackend
from customers.models import Customer
from customers.services.merge import merge_customers
from customers.services.verification import receipt_claim_code
from omnistore.core.channels import Channel
from orders.models import Order
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked

pytestmark = pytest.mark.django_db

PASSWORD = "Sunny-Linen-2024"
VERA_PHONE = "+39 347 555 0101"
VERA_EMAIL = "vera@example.org"


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()
    yield
    MemoryBackend.reset()


@pytest.fixture
def store():
    return shop(name="Milano Centro", country="IT")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def staff_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def vera(staff_client) -> Customer:
    """Vera registered by an associate at the counter; she has bought nothing yet."""
    response = staff_client.post(
        reverse("staff:customer_create"),
        {
            "first_name": "Vera",
            "last_name": "Conti",
            "email": VERA_EMAIL,
            "phone": VERA_PHONE,
        },
    )
    assert response.status_code == 302
    return Customer.objects.get(email=VERA_EMAIL)


def guest_buys(store, **contact) -> str:
    item = stocked(store, 3, price="25.00")
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "lines": [{"variant": item.pk, "quantity": 1}],
        "payment": {"method": "card_online", "token": "tok_visa"},
        **contact,
    }
    response = APIClient().post("/api/v1/checkout/buy-now/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["number"]


def counter_sale(store, associate, **contact) -> Order:
    item = stocked(store, 3, price="25.00")
    return place_order(
        lines=[LineRequest(item, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        payments=[PaymentRequest(method="cash")],
        **contact,
    )


def signed_up(email: str) -> APIClient:
    client = APIClient()
    body = {"email": email, "password": PASSWORD}
    response = client.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def claim(client: APIClient, number: str):
    return client.post(
        "/api/v1/me/claim/",
        {"order_number": number, "claim_code": receipt_claim_code(number)},
        format="json",
    )


def receipt_to(address: str):
    deliver_outbox()
    [message] = [m for m in mail.outbox if m.to == [address] and "order" in m.subject]
    return message


def untouched(vera: Customer) -> None:
    vera.refresh_from_db()
    assert vera.user_id is None and vera.merged_into_id is None
    assert (vera.first_name, vera.email) == ("Vera", VERA_EMAIL)


def test_a_guest_typing_her_phone_gets_no_claim_code_and_cannot_take_her_profile(
    store, vera
):
    number = guest_buys(store, phone=VERA_PHONE, email="mallory@example.net")
    assert Order.objects.get(number=number).customer_id == vera.pk

    receipt = receipt_to("mallory@example.net")
    assert receipt_claim_code(number) not in receipt.body
    assert "claim code" not in receipt.body
    html = receipt.alternatives[0][0]
    assert receipt_claim_code(number) not in html

    mallory = signed_up("mallory.login@example.net")
    refused = claim(mallory, number)
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "not_first_order"
    assert mallory.get("/api/v1/me/").json()["id"] != vera.pk
    assert mallory.get(f"/api/v1/orders/{number}/").status_code == 404
    untouched(vera)


def test_vera_still_proves_her_profile_with_a_code_sent_to_her_phone(store, vera):
    number = guest_buys(store, phone=VERA_PHONE, email="mallory@example.net")
    mallory = signed_up("mallory.login@example.net")
    assert claim(mallory, number).status_code == 409

    client = signed_up("vera.login@example.org")
    assert client.post(
        "/api/v1/me/verify/", {"phone": VERA_PHONE}, format="json"
    ).status_code in (200, 201, 202)
    deliver_outbox()
    code = re.search(r"\b(\d{6})\b", MemoryBackend.outbox[-1].body).group(1)
    confirmed = client.post(
        "/api/v1/me/verify/confirm/",
        {"phone": VERA_PHONE, "code": code},
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["id"] == vera.pk
    vera.refresh_from_db()
    assert vera.user.email == "vera.login@example.org"


def test_a_loyalty_card_typed_at_the_counter_prints_no_claim_code(
    store, associate, staff_client, vera
):
    sale = counter_sale(store, associate, loyalty_number=vera.loyalty_number)
    assert sale.customer_id == vera.pk

    for url in (
        reverse("staff:sale_receipt", args=[sale.number]),
        reverse("staff:receipt_print", args=[sale.number]),
    ):
        html = staff_client.get(url).content.decode()
        assert sale.number in html
        assert receipt_claim_code(sale.number) not in html
        assert 'data-testid="receipt-claim"' not in html

    refused = claim(signed_up("someone@example.net"), sale.number)
    assert refused.status_code == 409 and refused.json()["code"] == "not_first_order"
    untouched(vera)


def test_a_phone_given_at_the_counter_for_a_known_profile_claims_nothing(
    store, associate, staff_client, vera
):
    sale = counter_sale(store, associate, phone=VERA_PHONE, email="x@example.net")
    assert sale.customer_id == vera.pk
    html = staff_client.get(reverse("staff:receipt_print", args=[sale.number]))
    assert receipt_claim_code(sale.number) not in html.content.decode()
    assert claim(signed_up("someone@example.net"), sale.number).status_code == 409
    untouched(vera)


def test_the_counter_sale_that_makes_the_profile_prints_the_code_that_claims_it(
    store, associate, staff_client
):
    sale = counter_sale(store, associate, phone="+39 347 555 0199", first_name="Lia")
    for url in (
        reverse("staff:sale_receipt", args=[sale.number]),
        reverse("staff:receipt_print", args=[sale.number]),
    ):
        html = staff_client.get(url).content.decode()
        assert receipt_claim_code(sale.number) in html

    client = signed_up("lia@example.net")
    claimed = claim(client, sale.number)
    assert claimed.status_code == 200, claimed.json()
    assert claimed.json()["id"] == sale.customer_id


def test_the_guest_order_that_makes_the_profile_emails_the_code_that_claims_it(
    store,
):
    number = guest_buys(store, phone="+39 347 555 0177", email="ada@example.net")
    assert receipt_claim_code(number) in receipt_to("ada@example.net").body
    claimed = claim(signed_up("ada.login@example.net"), number)
    assert claimed.status_code == 200, claimed.json()
    assert claimed.json()["id"] == Order.objects.get(number=number).customer_id


def test_a_profile_merged_into_another_is_not_the_one_its_first_receipt_claims(
    store, associate, vera
):
    """Vera's profile, made by no purchase, absorbs a guest's: the guest's receipt
    made the absorbed profile, not hers."""
    number = guest_buys(store, phone="+39 347 555 0188", email="guest@example.net")
    guest = Order.objects.get(number=number).customer
    merge_customers(survivor=vera, other=guest, actor=associate)

    refused = claim(signed_up("guest.login@example.net"), number)
    assert refused.status_code == 409, refused.json()
    untouched(vera)
