"""Staff of the shop fulfilling a delivery send it to another address from the
order page (a customer on the phone, a street typed wrong); staff of another shop
neither see the form nor may post it; a field to correct or a refusal shows on the
form, and nothing changes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Fulfilment, OrderStatusChange
from orders.services.fulfilment import mark_picked, ship_order
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import ADDRESS, delivery_order

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Po 2",
    "line2": "",
    "postcode": "10121",
    "city": "Torino",
    "country": "IT",
    "phone": "",
}


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )


@pytest.fixture
def other_shop():
    return LocationFactory(code="RM01", name="Roma Termini")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def order(shop):
    """An online delivery sent from this shop's shelves."""
    shirt = VariantFactory(sku="SHIRT-BLU-M", price="40.00")
    stock(shirt, shop, 5)
    order = delivery_order(lines=[(shirt, 1)])
    assert order.fulfilments.get().location == shop
    return order


def page(client, order) -> str:
    return client.get(
        reverse("staff:order_detail", args=[order.number])
    ).content.decode()


def as_it_is(order) -> tuple:
    return (
        list(Fulfilment.objects.filter(order=order).values_list("address", flat=True)),
        OrderStatusChange.objects.filter(order=order).count(),
    )


def test_the_fulfilling_shop_changes_the_address_on_the_order_page(
    client, associate, shop, order
):
    client.force_login(associate)
    html = page(client, order)
    assert 'data-testid="address-form"' in html
    assert 'name="line1"' in html and 'value="Via Torino 1"' in html  # pre-filled

    url = reverse("staff:order_address", args=[order.number])
    done = client.post(url, {**NEW_ADDRESS, "reason": "Customer called"}, **HTMX)

    assert done.status_code == 200
    assert done["HX-Redirect"] == reverse("staff:order_detail", args=[order.number])
    part = Fulfilment.objects.get(order=order)
    assert (part.address["line1"], part.address["city"]) == ("Via Po 2", "Torino")
    change = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert (change.actor, change.location) == (associate, shop)
    assert "line 1 Via Torino 1 → Via Po 2" in change.note
    assert change.note.endswith("Why: Customer called")
    html = page(client, order)
    assert "Via Po 2, 10121 Torino IT" in html  # the parts' table
    assert "Why: Customer called" in html  # the history
    assert "Giulia Bianchi" in html


def test_another_shop_sees_no_form_and_cannot_post_it(client, other_shop, order):
    client.force_login(StaffFactory(store=other_shop, username="marco"))
    before = as_it_is(order)
    html = page(client, order)
    assert 'data-testid="address-form"' not in html
    assert reverse("staff:order_address", args=[order.number]) not in html
    response = client.post(
        reverse("staff:order_address", args=[order.number]),
        {**NEW_ADDRESS, "reason": "Not ours"},
    )
    assert response.status_code == 404
    assert as_it_is(order) == before


def test_fields_to_correct_show_on_the_form_and_change_nothing(
    client, associate, order
):
    client.force_login(associate)
    before = as_it_is(order)
    url = reverse("staff:order_address", args=[order.number])
    response = client.post(
        url, {**NEW_ADDRESS, "line1": "", "city": "T" * 300, "reason": " "}, **HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.startswith('<form id="address-form"')  # the form alone, swapped
    for field in ("line1", "city", "reason"):
        assert f'data-testid="error-{field}"' in html
    assert "Enter the street and number." in html
    assert "Say why the address changes." in html
    assert as_it_is(order) == before


def test_a_refusal_shows_on_the_form_and_changes_nothing(client, associate, order):
    """Another country is a new order: the form says so, with or without HTMX."""
    client.force_login(associate)
    before = as_it_is(order)
    url = reverse("staff:order_address", args=[order.number])
    abroad = {**NEW_ADDRESS, "country": "DE", "reason": "Customer called"}
    partial = client.post(url, abroad, **HTMX)
    assert partial.status_code == 422
    assert "cancel the order and order again" in partial.content.decode()
    whole = client.post(url, abroad)
    assert whole.status_code == 422
    html = whole.content.decode()
    assert 'data-testid="order-number"' in html
    assert "cancel the order and order again" in html
    assert as_it_is(order) == before


def test_a_correction_of_the_same_street_keeps_its_coordinates(client, associate, shop):
    """The form has no coordinates: a phone corrected on the same street keeps the
    point the address was placed with, and the history names only the phone."""
    shirt = VariantFactory(sku="SHIRT-RED-M", price="40.00")
    stock(shirt, shop, 5)
    order = delivery_order(
        lines=[(shirt, 1)],
        address={**ADDRESS, "latitude": 45.4781, "longitude": 9.2251},
    )
    client.force_login(associate)
    same_street = {
        **NEW_ADDRESS,
        "line1": "Via Torino 1",
        "postcode": "20123",
        "city": "Milano",
        "phone": "+39 02 1234",
        "reason": "Customer called",
    }
    response = client.post(
        reverse("staff:order_address", args=[order.number]), same_street, **HTMX
    )

    assert response.status_code == 200
    part = Fulfilment.objects.get(order=order)
    assert part.address["phone"] == "+39 02 1234"
    assert (part.address["latitude"], part.address["longitude"]) == (45.4781, 9.2251)
    note = OrderStatusChange.objects.filter(order=order).latest("pk").note
    assert note == (
        "Delivery address changed: phone (none) → +39 02 1234. Why: Customer called"
    )


def test_a_long_street_is_said_whole_or_marked_where_cut(client, associate, order):
    client.force_login(associate)
    street = "Via Giuseppe Garibaldi 123, scala B, interno 14, citofono Rossi"
    url = reverse("staff:order_address", args=[order.number])

    done = client.post(url, {**NEW_ADDRESS, "line1": street, "reason": "Moved"}, **HTMX)

    assert done.status_code == 200
    note = OrderStatusChange.objects.filter(order=order).latest("pk").note
    said = note.split("line 1 Via Torino 1 → ")[1].split(", postcode")[0]
    assert street.startswith(said.rstrip("…"))
    assert said == street or said.endswith("…")
    assert "Via Giuseppe Garibaldi 123, scala B, interno 14" in said


def test_a_refusal_with_the_form_gone_shows_on_the_page(client, associate, order):
    """The parcel shipped while the form was open: the order page no longer offers
    the form, so the refusal shows on top of it; with HTMX, on the form swapped."""
    client.force_login(associate)
    mark_picked(order=order)
    ship_order(order=order, carrier="gls", tracking_reference="GLS-1234")
    before = as_it_is(order)
    url = reverse("staff:order_address", args=[order.number])
    asked = {**NEW_ADDRESS, "reason": "Customer called"}
    gone = f"Every parcel of order {order.number} has left"

    whole = client.post(url, asked)

    assert whole.status_code == 422
    html = whole.content.decode()
    assert 'data-testid="address-form"' not in html
    assert 'data-testid="action-error"' in html
    assert gone in html
    partial = client.post(url, asked, **HTMX)
    assert partial.status_code == 422
    assert partial.content.decode().startswith('<form id="address-form"')
    assert gone in partial.content.decode()
    assert as_it_is(order) == before
