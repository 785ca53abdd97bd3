"""Nearest shops first means in the order of the kilometres shown, across countries:
from Milano, Paris (about 640 km) comes before Napoli (about 658 km), in the store
locator and in a product's availability, in a fixed number of queries."""

from decimal import Decimal

import pytest

from tests.factories import LocationFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db

MILANO = {"lat": "45.4642", "lng": "9.19"}


def place(code, name, lat, lng):
    return LocationFactory(
        code=code, name=name, latitude=Decimal(lat), longitude=Decimal(lng)
    )


@pytest.fixture
def far_shops():
    return [
        place("NA-TOLEDO", "Napoli Via Toledo", "40.840200", "14.248900"),
        place("PAR-RIVOLI", "Paris Rivoli", "48.860000", "2.343600"),
        place("MUC-KAUF", "München Kaufingerstraße", "48.138800", "11.571000"),
        place("TO-ROMA", "Torino Via Roma", "45.070300", "7.686900"),
    ]


def test_the_store_locator_lists_shops_in_the_order_of_their_distance(
    api_client, far_shops, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/stores/", MILANO)
    assert response.status_code == 200
    rows = [(s["code"], s["distance_km"]) for s in response.json()["results"]]
    assert [code for code, _ in rows] == [
        "TO-ROMA",
        "MUC-KAUF",
        "PAR-RIVOLI",
        "NA-TOLEDO",
    ]
    kilometres = [km for _, km in rows]
    assert kilometres == sorted(kilometres)
    assert 635 < dict(rows)["PAR-RIVOLI"] < dict(rows)["NA-TOLEDO"] < 665


def test_a_products_availability_lists_shops_in_the_order_of_their_distance(
    api_client, far_shops, django_assert_max_num_queries
):
    item = VariantFactory()
    for location in far_shops:
        stock(item, location, 2)
    with django_assert_max_num_queries(5):
        response = api_client.get(
            f"/api/v1/products/{item.product_id}/availability/", MILANO
        )
    assert response.status_code == 200
    stores = response.json()["variants"][0]["stores"]
    assert [s["code"] for s in stores] == [
        "TO-ROMA",
        "MUC-KAUF",
        "PAR-RIVOLI",
        "NA-TOLEDO",
    ]
    kilometres = [s["distance_km"] for s in stores]
    assert kilometres == sorted(kilometres)
