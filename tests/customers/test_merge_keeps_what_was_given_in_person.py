"""A phone given at the counter is taken in person: after HQ merges a sign-up's login
into the profile, that phone still leads there, at the counter and for a guest order
online. An email only typed online at a guest checkout never led to a login: once the
profile has one, a guest order with it alone makes its own profile, flagged beside
it, as with any account — and the merge page says so before HQ confirms."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
)
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from orders.models import Order, PaymentMethod
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    stock,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CARD = {"method": "card_online", "token": "tok_visa"}
EMAIL = "marta.rossi.spec@example.com"
PHONE = "+393331112233"


@pytest.fixture
def shop():
    return LocationFactory(country="IT", name="Milano Duomo")


@pytest.fixture
def item(shop):
    found = VariantFactory(sku="SCARF-1", price="30.00")
    stock(found, shop, 10)
    return found


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def counter(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


def guest_order(shop, item, **contact) -> Order:
    response = APIClient().post(
        "/api/v1/checkout/buy-now/",
        {
            "payment": CARD,
            "fulfilment": "pickup",
            "store": shop.pk,
            "lines": [{"variant": item.pk, "quantity": 1}],
            **contact,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Order.objects.get(number=response.json()["number"])


def attach_by_phone(counter, value):
    return counter.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": value}, **HTMX
    )


def counter_sale_by_phone(counter, item, value) -> Order:
    counter.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    attach_by_phone(counter, value)
    response = counter.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.CASH},
        **HTMX,
    )
    assert response.status_code in (200, 302), response.content[:500]
    return Order.objects.filter(channel=Channel.STORE).latest("id")


@pytest.fixture
def marta(counter, shop, item, associate) -> Customer:
    """Marta bought online as a guest, then in the shop giving her phone."""
    online = guest_order(
        shop, item, email="Marta.Rossi.Spec@Example.com", phone="333 111 2233"
    )
    in_shop = counter_sale_by_phone(counter, item, "3331112233")
    assert in_shop.customer_id == online.customer_id
    return online.customer


def test_the_phone_a_counter_sale_was_attached_by_counts_as_given_in_person(marta):
    phone = CustomerIdentity.objects.get(customer=marta, kind="phone")
    email = CustomerIdentity.objects.get(customer=marta, kind="email")
    assert (phone.channel, phone.proven) == (Channel.STORE, True)
    assert (email.channel, email.proven) == (Channel.WEB, False)
    event = CustomerEvent.objects.get(customer=marta, kind="identity_confirmed")
    assert event.summary == (
        f"Phone {PHONE} confirmed in person (Store · Milano Duomo, by Giulia Bianchi)"
    )
    assert event.location.name == "Milano Duomo" and event.actor.first_name == "Giulia"


def test_after_hq_merges_a_login_in_the_phone_still_reaches_the_profile(
    client, counter, marta, shop, item
):
    signed_up = APIClient().post(
        "/api/v1/auth/register/",
        {"email": "marta.dup.spec@example.com", "password": "Spec-pass-9931!"},
        format="json",
    )
    assert signed_up.status_code == 201
    duplicate = Customer.objects.get(user__email="marta.dup.spec@example.com")
    hq = UserFactory(username="hq", role=Role.HQ)
    client.force_login(hq)
    merge_url = reverse("staff:customer_merge", args=[marta.pk])

    review = client.get(merge_url, {"other": duplicate.pk}).content.decode()
    warning = review.split('data-testid="merge-unconfirmed"')[1].split("</div>")[0]
    assert EMAIL in warning and PHONE not in warning
    done = client.post(merge_url, {"other": duplicate.pk, "confirm": "on"})
    assert done.status_code == 302
    marta.refresh_from_db()
    assert marta.user.email == "marta.dup.spec@example.com"
    assert CustomerMerge.objects.get().summary["unconfirmed"] == [EMAIL]
    merged = CustomerEvent.objects.get(customer=marta, kind="customer_merged")
    assert merged.summary.endswith(f"no longer matched by unconfirmed {EMAIL}")

    # At the counter the phone still finds her.
    client.force_login(StaffFactory(store=shop))
    found = attach_by_phone(client, "3331112233")
    assert "ask-new-customer" not in found.content.decode()
    assert client.session["sale_customer"]["customer_id"] == marta.pk
    # A guest order online with her email and phone is hers, nothing flagged.
    again = guest_order(shop, item, email=EMAIL, phone="333 111 2233")
    assert again.customer_id == marta.pk
    assert not DuplicateCandidate.objects.filter(status=DuplicateStatus.PENDING)
    # With the email alone (typed online, never proven) it is not: flagged instead.
    typed = guest_order(shop, item, email=EMAIL)
    assert typed.customer_id != marta.pk
    pair = DuplicateCandidate.objects.get(status=DuplicateStatus.PENDING)
    assert {pair.customer_a_id, pair.customer_b_id} == {marta.pk, typed.customer_id}


def test_a_counter_registration_confirms_what_the_customer_gives_there(
    client, associate, shop, item
):
    online = guest_order(shop, item, email=EMAIL, phone="333 111 2233")
    client.force_login(associate)
    response = client.post(
        reverse("staff:customer_create"),
        {"first_name": "Marta", "email": EMAIL, "phone": "333 111 2233"},
    )
    assert response.status_code == 302
    given = CustomerIdentity.objects.filter(
        customer=online.customer, kind__in=["email", "phone"]
    )
    assert {(i.kind, i.channel, i.proven) for i in given} == {
        ("email", Channel.STORE, True),
        ("phone", Channel.STORE, True),
    }
    confirmed = CustomerEvent.objects.filter(
        customer=online.customer, kind="identity_confirmed"
    )
    assert sorted(e.data["kind"] for e in confirmed) == ["email", "phone"]
