"""The loyalty tier follows the spend the customer keeps: an order counts once it can
no longer be cancelled (collected, shipped, carried out). A large order placed and
not yet handed over lends its tier to nothing: the orders placed meanwhile pay the
delivery and earn at the tier the customer already held, so placing one and
cancelling it gains nothing."""

from decimal import Decimal

import pytest

from inventory.markets import forget_tax_table
from inventory.models import Market
from orders.models import Order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.pickups import collect_order
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked, warehouse
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

from .test_api_checkout import ADDRESS, CARD

pytestmark = pytest.mark.django_db

LOYALTY = "/api/v1/me/loyalty/"


@pytest.fixture
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 100.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"), free_delivery_from=Decimal("100.00")
    )
    forget_tax_table()
    yield
    forget_tax_table()


@pytest.fixture
def store():
    return shop(name="Torino Centro")


@pytest.fixture
def silver(store):
    """A signed-in customer with 600.00 kept (Silver) and the API client they use."""
    user, customer = shopper()
    coat = stocked(store, 20, price="300.00")
    collected_order(store=store, lines=[(coat, 2)], customer=customer)
    client = api_client_for(user)
    assert client.get(LOYALTY).json()["tier"]["name"] == "Silver"
    return client, coat


def place_big_pickup(client, store, coat):
    """900.00 to collect at ``store``: 1500.00 with what is kept, Gold's minimum."""
    response = client.post(
        "/api/v1/checkout/buy-now/",
        {
            "lines": [{"variant": coat.pk, "quantity": 3}],
            "fulfilment": "pickup",
            "store": store.pk,
            "payment": CARD,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Order.objects.get(number=response.json()["number"])


def delivery_fee_in_cart(client, socks) -> str:
    added = client.post(
        "/api/v1/cart/lines/", {"variant": socks.pk, "quantity": 1}, format="json"
    )
    assert added.status_code == 201, added.json()
    return client.get("/api/v1/cart/?fulfilment=delivery").json()["delivery_fee"]


def test_a_big_order_not_yet_collected_gives_no_gold_and_cancelled_gains_nothing(
    priced_delivery, store, silver
):
    client, coat = silver
    socks = stocked(warehouse(), 20, price="14.90")
    big = place_big_pickup(client, store, coat)

    body = client.get(LOYALTY).json()
    assert (body["tier"]["name"], body["spend"]) == ("Silver", "600.00")
    assert delivery_fee_in_cart(client, socks) == "4.90"
    placed = client.post(
        "/api/v1/checkout/",
        {"fulfilment": "delivery", "address": ADDRESS, "payment": CARD},
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    assert (placed.json()["delivery_fee"], placed.json()["total"]) == ("4.90", "19.80")
    deliver_outbox()
    small = Order.objects.get(number=placed.json()["number"])
    assert small.loyalty_points == 18  # 14.90 at Silver ×1.25, not Gold's 22
    big.refresh_from_db()
    assert big.loyalty_points == 1350  # the order reaching Gold earns at ×1.5

    cancelled = client.post(f"/api/v1/orders/{big.number}/cancel/")

    assert cancelled.status_code == 200, cancelled.json()
    body = client.get(LOYALTY).json()
    assert (body["tier"]["name"], body["spend"]) == ("Silver", "600.00")
    small.refresh_from_db()
    assert (small.delivery_fee, small.loyalty_points) == (Decimal("4.90"), 18)


def test_once_the_big_order_is_collected_the_customer_is_gold_and_travels_free(
    priced_delivery, store, silver
):
    client, coat = silver
    socks = stocked(warehouse(), 20, price="14.90")
    big = place_big_pickup(client, store, coat)
    staff = StaffFactory(store=store)
    mark_picked(order=big, actor=staff, location=store)
    big = mark_ready(order=big, actor=staff, location=store)
    assert client.get(LOYALTY).json()["tier"]["name"] == "Silver"

    collect_order(order=big, actor=staff, code=big.pickup_code, location=store)

    body = client.get(LOYALTY).json()
    assert (body["tier"]["name"], body["spend"]) == ("Gold", "1500.00")
    assert delivery_fee_in_cart(client, socks) == "0.00"
