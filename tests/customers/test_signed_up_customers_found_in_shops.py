"""A customer who signed up online is found in a shop by the email and phone they
gave, marked "not confirmed" so the associate checks them with the customer. The
counter sale leads to the account with its warning instead of "No customer has…";
attached by the account's loyalty card the sale is theirs, and a profile made anyway
is flagged beside the account. Online, a guest order with that email still makes its
own profile: typing an address proves nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import Customer, DuplicateCandidate
from orders.models import Order, PaymentMethod
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CARD = {"method": "card_online", "token": "tok_visa"}
EMAIL = "anna.spec@example.com"
PHONE = "+393475550202"


@pytest.fixture
def shop():
    return LocationFactory(country="IT", name="Milano Duomo")


@pytest.fixture
def item(shop):
    found = VariantFactory(sku="KNIT-M", price="40.00")
    stock(found, shop, 5)
    return found


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def anna() -> Customer:
    """Anna signed up in the app with her email and phone, and confirmed neither."""
    response = APIClient().post(
        "/api/v1/auth/register/",
        {
            "email": EMAIL,
            "password": "Spec-pass-9931!",
            "first_name": "Anna",
            "last_name": "Galli",
            "phone": "347 555 0202",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Customer.objects.get(user__email=EMAIL)


def search(client, query):
    return client.get(reverse("staff:customer_search"), {"q": query}, **HTMX)


def attach(client, kind, value, **extra):
    return client.post(
        reverse("staff:sale_customer"), {"kind": kind, "value": value, **extra}, **HTMX
    )


def test_the_staff_search_finds_a_sign_up_by_exact_email_or_phone_not_confirmed(
    staff, anna
):
    for query in (EMAIL, "ANNA.SPEC@example.com", "347 555 0202", "3475550202"):
        response = search(staff, query)
        assert list(response.context["results"]) == [anna], query
        html = response.content.decode()
        assert 'data-testid="found-unconfirmed"' in html, query
        assert "never confirmed: check it with the customer" in html

    by_name = search(staff, "Galli")
    assert list(by_name.context["results"]) == [anna]
    assert "found-unconfirmed" not in by_name.content.decode()

    page = staff.get(reverse("staff:customer_detail", args=[anna.pk]))
    contact = page.content.decode()
    assert PHONE in contact and EMAIL in contact
    assert contact.count('data-testid="not-confirmed"') == 2  # email and phone


def test_the_counter_sale_leads_to_the_account_with_its_warning(staff, anna):
    for kind, value in (("email", EMAIL), ("phone", "347 555 0202")):
        asked = attach(staff, kind, value)
        html = asked.content.decode()
        assert 'data-testid="ask-new-customer"' in html, kind
        assert "its owner never confirmed it" in html
        assert 'data-testid="find-unconfirmed"' in html
        assert "No customer has" not in html
        assert "sale_customer" not in staff.session

    # The associate finds the account with the customer and attaches by its card.
    attach(staff, "loyalty", anna.loyalty_number)
    assert staff.session["sale_customer"]["customer_id"] == anna.pk


def test_a_sale_by_the_accounts_card_is_the_accounts_order(staff, anna, item):
    staff.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    attach(staff, "loyalty", anna.loyalty_number)
    response = staff.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.CASH},
        **HTMX,
    )
    assert response.status_code in (200, 302), response.content[:500]
    assert Order.objects.get().customer == anna
    assert Customer.objects.count() == 1


def test_a_profile_made_at_the_counter_anyway_is_flagged_beside_the_account(
    staff, anna, item
):
    staff.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    attach(staff, "email", EMAIL, create="1", first_name="Anna")
    response = staff.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.CASH},
        **HTMX,
    )
    assert response.status_code in (200, 302), response.content[:500]

    order = Order.objects.get()
    assert order.customer != anna
    pair = DuplicateCandidate.objects.get()
    assert {pair.customer_a_id, pair.customer_b_id} == {anna.pk, order.customer_id}
    assert EMAIL in pair.reason
    page = staff.get(reverse("staff:customer_detail", args=[anna.pk]))
    assert f'data-testid="merge-{order.customer_id}"' in page.content.decode()


def test_online_a_guest_order_with_a_sign_ups_email_stays_off_the_account(
    anna, shop, item
):
    response = APIClient().post(
        "/api/v1/checkout/buy-now/",
        {
            "payment": CARD,
            "email": EMAIL,
            "phone": "347 555 0202",
            "fulfilment": "pickup",
            "store": shop.pk,
            "lines": [{"variant": item.pk, "quantity": 1}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Order.objects.get().customer != anna
    assert not DuplicateCandidate.objects.exists()  # the account's code settles it


def test_the_merge_page_shows_a_sign_ups_contact_as_not_confirmed(staff, anna):
    kept = Customer.objects.create(first_name="Anna", last_name="Galli")
    low, high = sorted((kept.pk, anna.pk))
    DuplicateCandidate.objects.create(customer_a_id=low, customer_b_id=high)

    page = staff.get(
        reverse("staff:customer_merge", args=[kept.pk]), {"other": anna.pk}
    ).content.decode()

    side = page[page.index(f"#{anna.pk}") :]
    assert EMAIL in side
    assert 'data-testid="not-confirmed"' in side


def test_a_name_of_invisible_characters_is_no_name_to_open_the_profile_by(staff):
    response = APIClient().post(
        "/api/v1/auth/register/",
        {
            "email": "zw@example.com",
            "password": "Spec-pass-9931!",
            "first_name": "\u200b",
            "last_name": "\u2060\ufeff",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(email="zw@example.com")
    assert (customer.first_name, customer.last_name, customer.full_name) == ("", "", "")

    html = search(staff, "zw@example.com").content.decode()

    link = reverse("staff:customer_detail", args=[customer.pk])
    assert f'<a class="row-link" href="{link}">(no name)</a>' in html
