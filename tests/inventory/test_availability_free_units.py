"""A shop's availability on the storefront counts the units an order may still take
there (``free_units``: on hand, less what is held, less the safety stock), as the cart
and the sourcing of a pickup do: a unit kept back is not shown as available."""

from decimal import Decimal

import pytest

from inventory import selectors
from inventory.models import StockLevel
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from omnistore.core.exceptions import InsufficientStock
from orders.selectors.carts import cart_availability
from tests.factories import LocationFactory, ProductFactory, VariantFactory, stock
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db

MILANO = {"lat": "45.4642", "lng": "9.19"}


@pytest.fixture
def milano():
    return LocationFactory(
        code="MILANO",
        name="Milano Duomo",
        latitude=Decimal("45.465000"),
        longitude=Decimal("9.189000"),
    )


@pytest.fixture
def item():
    return VariantFactory(sku="COAT-BLK-L", product=ProductFactory(name="Coat"))


def keep_back(variant, location, units: int) -> None:
    StockLevel.objects.filter(variant=variant, location=location).update(
        safety_stock=units
    )


def shown(api_client, variant) -> dict:
    response = api_client.get(
        f"/api/v1/products/{variant.product_id}/availability/", MILANO
    )
    assert response.status_code == 200
    (row,) = response.json()["variants"]
    return {s["code"]: (s["available"], s["click_and_collect"]) for s in row["stores"]}


def test_a_unit_kept_back_as_safety_stock_is_not_shown_in_the_shop(
    api_client, milano, item
):
    stock(item, milano, 1)
    keep_back(item, milano, 1)
    assert shown(api_client, item)["MILANO"] == (0, True)
    with pytest.raises(InsufficientStock):
        pickup_order(store=milano, lines=[(item, 1)])  # the pickup would not take it


def test_the_shop_shows_what_a_pickup_takes(api_client, milano, item):
    stock(item, milano, 5)
    keep_back(item, milano, 1)
    reserve_stock(
        requests=[StockRequest(item.pk, milano.pk, 2)],
        reference_type="order",
        reference_id="W-1",
    )
    assert shown(api_client, item)["MILANO"] == (2, True)
    pickup_order(store=milano, lines=[(item, 2)])
    assert shown(api_client, item)["MILANO"] == (0, True)


@pytest.mark.parametrize(("on_hand", "reserved", "safety"), [(4, 1, 2), (3, 0, 5)])
def test_every_reading_agrees_with_the_cart(milano, item, on_hand, reserved, safety):
    stock(item, milano, on_hand)
    keep_back(item, milano, safety)
    if reserved:
        reserve_stock(
            requests=[StockRequest(item.pk, milano.pk, reserved)],
            reference_type="order",
            reference_id="W-2",
        )
    at_store = cart_availability(variant_ids=[item.pk], store_id=milano.pk)[item.pk][
        "at_store"
    ]
    (one,) = selectors.stores_with_availability(variant=item, lat=45.46, lng=9.19)
    (many,) = selectors.stores_with_availability_by_variant(
        variant_ids=[item.pk], lat=45.46, lng=9.19
    )[item.pk]
    assert (
        one.available
        == many.available
        == at_store
        == max(on_hand - reserved - safety, 0)
    )
