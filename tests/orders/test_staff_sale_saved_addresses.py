"""Deliver home at the counter: with a customer attached, the address form starts
with their default saved address; with several saved, each is offered and fills
the form (a link: no script needed). Another person's address is never shown."""

import re

import pytest
from django.urls import reverse

from customers.services.addresses import add_address
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}
HOME = {
    "label": "Home",
    "name": "Ada Lovelace",
    "line1": "Via Torino 1",
    "postcode": "20123",
    "city": "Milano",
    "country": "IT",
    "phone": "+393331234567",
}
OFFICE = {
    "label": "Office",
    "line1": "Rue de Rivoli 10",
    "postcode": "75001",
    "city": "Paris",
    "country": "FR",
}


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory(store=LocationFactory(code="MI01", country="IT")))
    return client


@pytest.fixture
def ada():
    return make_customer(phone="+393331234567", first_name="Ada", last_name="Lovelace")


def attach(client, value="3331234567"):
    response = client.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": value}, **HTMX
    )
    assert 'data-testid="attached-customer"' in response.content.decode()


def delivery_page(client, **query):
    return client.get(reverse("staff:sale"), {"mode": "delivery", **query})


def typed(page: str) -> dict:
    """The address form's fields as the page fills them in."""
    inputs = re.findall(r"<input[^>]*>", page)
    fields = {}
    for tag in inputs:
        name = re.search(r'name="(\w+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) in {"name", "line1", "postcode", "city", "country"}:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def test_the_delivery_form_starts_with_the_customers_default_address(staff, ada):
    add_address(customer=ada, **HOME)
    attach(staff)
    page = delivery_page(staff).content.decode()
    assert typed(page) == {
        "name": "Ada Lovelace",
        "line1": "Via Torino 1",
        "postcode": "20123",
        "city": "Milano",
        "country": "IT",
    }
    assert 'value="+393331234567"' in page  # the courier's phone too
    assert 'data-testid="saved-addresses"' not in page  # one address: no choice


def test_with_several_saved_each_is_offered_and_fills_the_form(staff, ada):
    add_address(customer=ada, **HOME)
    office = add_address(customer=ada, **OFFICE)
    attach(staff)
    page = delivery_page(staff)
    html = page.content.decode()
    offered = re.findall(r'data-testid="saved-address">([^<]*)', html)
    assert [o.strip() for o in offered] == [
        "Home: Via Torino 1, 20123, Milano (default)",
        "Office: Rue de Rivoli 10, 75001, Paris",
    ]
    assert typed(html)["city"] == "Milano"  # the default first
    assert page.context["basket"]["delivery_country"] == "IT"

    chosen = delivery_page(staff, address=office.pk)
    assert typed(chosen.content.decode()) == {
        "name": "Ada Lovelace",  # the office has no name: the customer's
        "line1": "Rue de Rivoli 10",
        "postcode": "75001",
        "city": "Paris",
        "country": "FR",
    }
    # The fee shown is the one for the address shown.
    assert chosen.context["basket"]["delivery_country"] == "FR"

    # The same through the checkout panel alone (HTMX).
    panel = staff.get(
        reverse("staff:sale_checkout"),
        {"mode": "delivery", "address": office.pk},
        **HTMX,
    ).content.decode()
    assert "<html" not in panel and typed(panel)["city"] == "Paris"


def test_another_persons_address_is_never_filled_in(staff, ada):
    add_address(customer=ada, **HOME)
    other = make_customer(phone="+393339999999", first_name="Bea")
    theirs = add_address(customer=other, **OFFICE)
    attach(staff)
    page = delivery_page(staff, address=theirs.pk).content.decode()
    assert typed(page)["city"] == "Milano"
    assert "Rivoli" not in page


def test_without_a_customer_the_form_starts_empty_in_the_shops_country(staff):
    page = delivery_page(staff).content.decode()
    assert typed(page) == {
        "name": "",
        "line1": "",
        "postcode": "",
        "city": "",
        "country": "IT",
    }
