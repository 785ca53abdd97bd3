"""A customer's points and store credit are spent at the counter only once the
associate attached them by their loyalty card (scanned, or typed from the card or
the card in their app): an email or a phone, which anyone may know, proves nothing.
The checkout says so on the field and takes nothing; the page shows the fields
closed with why; the proof is kept with a parked sale and written in the order's
history."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.stored_value_helpers import (
    credit_of,
    give_credit,
    give_points,
    points_of,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CARD_NEEDED = (
    "Scan the customer&#x27;s loyalty card (or the card in their app) to use their "
    "points or store credit."
)


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def staff(client, shop):
    associate = StaffFactory(store=shop)
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-CARD", price="80.00")
    stock(item, shop, 5)
    return item


@pytest.fixture
def pia():
    customer = make_customer(
        email="pia@example.com", phone="+393331234567", first_name="Pia"
    )
    give_credit(customer, "20.00")
    give_points(customer, 1000)
    return customer


def attach(client, customer, kind):
    value = {
        "email": customer.email,
        "phone": customer.phone,
        "loyalty": customer.loyalty_number,
    }[kind]
    response = client.post(
        reverse("staff:sale_customer"), {"kind": kind, "value": value}, **HTMX
    )
    assert 'data-testid="attached-customer"' in response.content.decode()
    return response


def scan(client, code):
    client.post(reverse("staff:sale_add"), {"code": code}, **HTMX)


def pay(client, **data):
    payload = {"mode": "carry_out", "method_1": "card_in_store", **data}
    return client.post(reverse("staff:sale_checkout"), payload, **HTMX)


def field_errors(response, name) -> str:
    found = re.search(
        rf'data-testid="error-{name}">(.*?)</ul>', response.content.decode(), re.S
    )
    return found.group(1) if found else ""


@pytest.mark.parametrize("kind", ["email", "phone"])
@pytest.mark.parametrize(
    "field, value", [("store_credit_amount", "20.00"), ("points", "1000")]
)
def test_attached_by_email_or_phone_their_points_and_credit_are_refused(
    staff, shirt, pia, kind, field, value
):
    scan(staff, shirt.sku)
    attach(staff, pia, kind)

    response = pay(staff, **{field: value})

    assert response.status_code == 422
    assert CARD_NEEDED in field_errors(response, field)
    assert not Order.objects.exists()
    assert (credit_of(pia), points_of(pia)) == (Decimal("20.00"), 1000)


def test_attached_by_loyalty_card_their_points_and_credit_pay_and_history_says_so(
    staff, shirt, pia
):
    scan(staff, shirt.sku)
    attach(staff, pia, "loyalty")

    response = pay(staff, store_credit_amount="20.00", points="1000")

    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert {p.method: p.amount for p in order.payments.all()} == {
        "store_credit": Decimal("20.00"),
        "loyalty_points": Decimal("10.00"),
        "card_in_store": Decimal("50.00"),
    }
    assert (credit_of(pia), points_of(pia)) == (Decimal("0.00"), 0)
    page = staff.get(reverse("staff:order_detail", args=[order.number]))
    assert "Placed via Store · customer identified by loyalty card" in (
        page.content.decode()
    )


def test_a_sale_paid_without_their_points_or_credit_names_no_card(staff, shirt, pia):
    scan(staff, shirt.sku)
    attach(staff, pia, "loyalty")

    pay(staff)

    assert Order.objects.get().history.get().note == "Placed via Store"


def test_attaching_the_same_customer_by_card_afterwards_opens_them(staff, shirt, pia):
    scan(staff, shirt.sku)
    attach(staff, pia, "email")
    assert pay(staff, points="1000").status_code == 422

    response = attach(staff, pia, "loyalty")

    # The checkout's fields open at once, out of band, with no hint left.
    html = response.content.decode()
    assert 'id="customer-value" class="customer-value"' in html
    assert 'hx-swap-oob="true"' in html and CARD_NEEDED not in html
    pay(staff, points="1000")
    assert points_of(pia) == 0
    assert Order.objects.get().payments.filter(method="loyalty_points").exists()


def test_a_customer_brought_from_their_wishlist_shows_no_card(staff, shirt, pia):
    """Sell from a wishlist attaches its owner by their card number, but nobody
    showed the card."""
    staff.post(
        reverse("staff:sale_take"),
        {"code": shirt.sku, "quantity": "1", "customer": str(pia.pk)},
    )

    response = pay(staff, store_credit_amount="20.00")

    assert CARD_NEEDED in field_errors(response, "store_credit_amount")
    assert credit_of(pia) == Decimal("20.00")


def test_selling_from_the_wishlist_of_the_customer_shown_by_card_keeps_them_open(
    staff, shirt, pia
):
    attach(staff, pia, "loyalty")
    staff.post(
        reverse("staff:sale_take"),
        {"code": shirt.sku, "quantity": "1", "customer": str(pia.pk)},
    )

    response = pay(staff, points="1000")

    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert (order.customer, points_of(pia)) == (pia, 0)


@pytest.mark.parametrize("kind", ["email", "phone", "loyalty"])
def test_the_sale_shows_only_the_cards_last_digits(staff, pia, kind):
    """The whole number is the proof that opens points and credit: read from the
    card, never from the screen."""
    html = attach(staff, pia, kind).content.decode()

    assert f"•••• {pia.loyalty_number[-4:]}" in html
    assert pia.loyalty_number not in html
    page = staff.get(reverse("staff:sale"))
    assert pia.loyalty_number not in page.content.decode()
    assert "no-store" in page["Cache-Control"]


def test_the_card_shown_is_kept_while_the_sale_is_parked(staff, shirt, pia):
    scan(staff, shirt.sku)
    attach(staff, pia, "loyalty")
    staff.post(reverse("staff:sale_park"))
    scan(staff, shirt.sku)  # the next customer's sale, parked in its turn
    staff.post(reverse("staff:sale_resume", args=[0]))

    response = pay(staff, points="1000")

    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert (order.customer, points_of(pia)) == (pia, 0)


def test_a_parked_sale_of_a_customer_attached_by_email_stays_closed(staff, shirt, pia):
    scan(staff, shirt.sku)
    attach(staff, pia, "email")
    staff.post(reverse("staff:sale_park"))
    staff.post(reverse("staff:sale_resume", args=[0]))

    response = pay(staff, points="1000")

    assert CARD_NEEDED in field_errors(response, "points")
    assert points_of(pia) == 1000


def test_the_page_shows_the_fields_closed_and_why_until_the_card_is_shown(
    staff, shirt, pia
):
    scan(staff, shirt.sku)
    attach(staff, pia, "phone")

    html = staff.get(reverse("staff:sale")).content.decode()

    assert 'data-testid="card-needed"' in html and CARD_NEEDED in html
    assert re.search(r'<input[^>]*name="points"[^>]*disabled', html)
    assert re.search(r'<input[^>]*name="store_credit_amount"[^>]*disabled', html)
    # A gift card needs no customer: its fields stay open.
    assert not re.search(r'<input[^>]*name="gift_card_number"[^>]*disabled', html)

    attach(staff, pia, "loyalty")
    html = staff.get(reverse("staff:sale")).content.decode()

    assert 'data-testid="card-needed"' not in html
    assert not re.search(r'<input[^>]*name="points"[^>]*disabled', html)


def test_on_the_phone_the_card_number_is_read_out(staff, shirt, pia):
    staff.post(reverse("staff:sale_phone"), {"phone": "on"}, **HTMX)
    scan(staff, shirt.sku)
    attach(staff, pia, "phone")

    response = staff.post(
        reverse("staff:sale_checkout"),
        {"mode": "pickup", "store": "", "method_1": "card_in_store", "points": "500"},
        **HTMX,
    )

    assert "by the loyalty card number they read out" in field_errors(
        response, "points"
    )
    assert points_of(pia) == 1000
