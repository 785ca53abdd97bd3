"""A guest online who matches a profile by one identity proves nothing about it, so
the names they type do not rename it; staff at the counter fill in what is missing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import Customer
from omnistore.core.channels import Channel
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked

pytestmark = pytest.mark.django_db

PHONE = "+393475550404"


@pytest.fixture
def store():
    return shop(country="IT")


@pytest.fixture
def nameless(client, store) -> Customer:
    """A profile an associate made with a phone number and nothing else."""
    client.force_login(StaffFactory(store=store))
    response = client.post(reverse("staff:customer_create"), {"phone": PHONE})
    assert response.status_code == 302
    customer = Customer.objects.get(phone=PHONE)
    assert (customer.first_name, customer.last_name) == ("", "")
    return customer


def buy_now(store, **contact):
    item = stocked(store, 3, price="15.00")
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


@pytest.mark.parametrize(
    "contact",
    [{"phone": PHONE}, {"phone": PHONE, "email": "hacker@example.net"}],
    ids=["phone only", "phone and email"],
)
def test_a_guest_online_does_not_name_the_profile_their_phone_matched(
    store, nameless, contact
):
    buy_now(store, first_name="Hacked", last_name="Name", **contact)
    nameless.refresh_from_db()
    assert (nameless.first_name, nameless.last_name) == ("", "")
    assert nameless.email == ""


def test_at_the_counter_the_names_given_fill_in_the_known_profile(store, nameless):
    item = stocked(store, 3, price="15.00")
    place_order(
        lines=[LineRequest(item, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=StaffFactory(store=store),
        phone=PHONE,
        first_name="Lia",
        last_name="Fontana",
        payments=[PaymentRequest(method="cash")],
    )
    nameless.refresh_from_db()
    assert (nameless.first_name, nameless.last_name) == ("Lia", "Fontana")
