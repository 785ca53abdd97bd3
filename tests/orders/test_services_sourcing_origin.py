"""A delivery comes from the locations nearest its address, warehouses first, even
when the address carries no coordinates (a saved address never does): the address's
city stands for it, else the customer's preferred shop."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from orders.models import Order
from tests.customers.factories import CustomerUserFactory
from tests.factories import stock
from tests.orders.factories import delivery_order, shop, stocked, warehouse

pytestmark = pytest.mark.django_db

NAPOLI = {
    "line1": "Via Toledo 100",
    "city": "Napoli",
    "postcode": "80134",
    "country": "IT",
}


def shops_over_italy():
    """A warehouse in Bologna holding most of a pair of shoes, and two shops shipping
    online orders with a few each: Milano Duomo (the older one) and Napoli Toledo."""
    bologna = warehouse(
        code="WH-BO",
        city="Bologna",
        latitude=Decimal("44.494900"),
        longitude=Decimal("11.342600"),
    )
    milano = shop(
        code="MI-DUOMO",
        city="Milano",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )
    napoli = shop(
        code="NA-TOLEDO",
        city="Napoli",
        latitude=Decimal("40.851800"),
        longitude=Decimal("14.268100"),
        ships_online_orders=True,
    )
    shoes = stocked(bologna, 32)
    stock(shoes, milano, 8)
    stock(shoes, napoli, 8)
    return bologna, milano, napoli, shoes


def sources(order: Order) -> dict[int, int]:
    return {
        f.location_id: sum(line.quantity for line in f.lines.all())
        for f in order.fulfilments.all()
    }


def test_a_delivery_to_napoli_without_coordinates_takes_the_shop_part_from_napoli():
    bologna, _, napoli, shoes = shops_over_italy()

    order = delivery_order(lines=[(shoes, 40)], address=NAPOLI)

    assert sources(order) == {bologna.pk: 32, napoli.pk: 8}


def test_the_city_is_matched_without_case_or_accents():
    bologna, milano, napoli, shoes = shops_over_italy()
    napoli.city = "Nàpoli"
    napoli.save(update_fields=["city"])

    order = delivery_order(lines=[(shoes, 40)], address={**NAPOLI, "city": "NAPOLI"})

    assert sources(order) == {bologna.pk: 32, napoli.pk: 8}


def test_a_saved_address_in_a_city_without_a_shop_ships_from_near_the_preferred_one():
    """Pozzuoli has no location: a signed-in customer whose preferred shop is Napoli
    Toledo gets the shop part from there, ordering to a saved address."""
    bologna, _, napoli, shoes = shops_over_italy()
    user = CustomerUserFactory()
    Customer.objects.filter(user=user).update(preferred_store=napoli)
    client = APIClient()
    client.force_authenticate(user)
    saved = client.post(
        "/api/v1/me/addresses/",
        {**NAPOLI, "label": "Home", "city": "Pozzuoli", "postcode": "80078"},
        format="json",
    )
    assert saved.status_code == 201, saved.json()
    added = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": shoes.pk, "quantity": 40}]},
        format="json",
    )
    assert added.status_code == 201, added.json()

    response = client.post(
        "/api/v1/checkout/",
        {
            "fulfilment": "delivery",
            "address_id": saved.json()["id"],
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert sources(Order.objects.get()) == {bologna.pk: 32, napoli.pk: 8}


def test_with_nothing_to_go_by_the_shops_are_ranked_as_they_come():
    """No coordinates, no location in the city, no preferred shop: warehouses before
    shops is all the ranking knows."""
    bologna, milano, _, shoes = shops_over_italy()

    order = delivery_order(lines=[(shoes, 40)], address={**NAPOLI, "city": "Pozzuoli"})

    assert sources(order) == {bologna.pk: 32, milano.pk: 8}
