"""An item no longer sold is refused by buy-now as checkout refuses it in a cart: a
409 ``not_for_sale`` naming its line in ``extra.lines``; an id that is no item's
stays a 400 on ``variant``."""

import pytest
from rest_framework.test import APIClient

from inventory.models import Reservation
from orders.models import Order
from tests.orders.factories import shop, stocked

from .test_api_cart_retired_item import retire
from .test_api_checkout import cart_with, checkout

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}


def buy_now(store, *lines):
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "payment": CARD,
        "email": "guest@example.com",
        "lines": [{"variant": item.pk, "quantity": qty} for item, qty in lines],
    }
    return APIClient().post("/api/v1/checkout/buy-now/", body, format="json")


@pytest.mark.parametrize("whole_product", [False, True])
def test_buy_now_refuses_a_retired_item_as_checkout_does(whole_product):
    store = shop()
    kept, retired = stocked(store, 5), stocked(store, 5)
    client = APIClient()
    cart_with(client, (kept, 1), (retired, 2))
    retire(retired, whole_product=whole_product)

    from_cart = checkout(client, fulfilment="pickup", store=store.pk)
    at_once = buy_now(store, (kept, 1), (retired, 2))

    assert from_cart.status_code == at_once.status_code == 409, at_once.json()
    body = at_once.json()
    assert body["code"] == from_cart.json()["code"] == "not_for_sale"
    assert body["extra"] == from_cart.json()["extra"]
    assert body["extra"]["lines"] == [
        {
            "variant_id": retired.pk,
            "sku": retired.sku,
            "requested": 2,
            "available": 0,
            "location_id": None,
        }
    ]
    assert not Order.objects.exists() and not Reservation.objects.exists()


def test_a_retired_item_named_twice_is_named_once_with_all_its_units():
    store = shop()
    retired = stocked(store, 5)
    retire(retired)

    response = buy_now(store, (retired, 1), (retired, 3))

    assert response.status_code == 409, response.json()
    assert [
        (line["variant_id"], line["requested"])
        for line in response.json()["extra"]["lines"]
    ] == [(retired.pk, 4)]


def test_an_unknown_item_stays_a_400_on_variant_retired_ones_beside_it_or_not():
    store = shop()
    retired = stocked(store, 5)
    retire(retired)
    unknown = stocked(store, 5)
    unknown.pk += 999  # an id no item has

    alone = buy_now(store, (unknown, 1))
    beside = buy_now(store, (retired, 1), (unknown, 1))

    for response in (alone, beside):
        assert response.status_code == 400, response.json()
        assert response.json()["code"] == "invalid"
        assert (
            f"Item {unknown.pk} is not for sale." in response.json()["extra"]["variant"]
        )
