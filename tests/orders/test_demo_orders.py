"""The demo order book is placed through the real services and keeps every book true."""

from decimal import Decimal

import pytest

from customers.demo import seed_customers
from inventory.demo import seed_inventory
from inventory.models import Location, LocationKind
from inventory.selectors import ledger_discrepancies
from omnistore.core.channels import Channel
from orders.demo import seed_orders
from orders.models import (
    FulfilmentMethod,
    Order,
    OrderStatus,
    Register,
    Return,
    TillSession,
    TillSessionStatus,
)
from orders.selectors.reports import sales_report


@pytest.mark.django_db
def test_demo_orders_cover_every_desk_and_keep_the_ledger_true(api_client):
    seed_inventory(scale=1)
    seed_customers(scale=1)
    counts = seed_orders(scale=1)

    assert counts["store"] > 10 and counts["delivery"] > 5 and counts["pickup"] >= 10
    pickups = Order.objects.filter(fulfilment_method=FulfilmentMethod.PICKUP)
    for status in (OrderStatus.PLACED, OrderStatus.PICKED, OrderStatus.READY):
        assert pickups.filter(status=status).exists(), status
    assert pickups.filter(status=OrderStatus.COLLECTED).count() >= 2
    assert Order.objects.filter(status=OrderStatus.SHIPPED).exists()
    assert Return.objects.count() == 2
    assert ledger_discrepancies() == []
    assert (
        sales_report().cross_channel["both"] >= 5
    )  # the same people online and in shops

    # The demo login sees its in-store purchase through the storefront API.
    token = api_client.post(
        "/api/v1/auth/token/",
        {"email": "customer@example.com", "password": "omnistore-demo"},
        format="json",
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    orders = api_client.get("/api/v1/orders/").json()["results"]
    assert any(o["channel"] == Channel.STORE for o in orders)

    # Every shop has its till; the demo associate's is open with a counted float.
    shops = Location.objects.filter(kind=LocationKind.SHOP, active=True)
    assert set(Register.objects.values_list("location", flat=True)) == set(
        shops.values_list("pk", flat=True)
    )
    session = TillSession.objects.get(status=TillSessionStatus.OPEN)
    assert session.register.location.code == "MI-DUOMO"
    assert session.opening_float == Decimal("140.00")
    assert session.opened_by.username == "associate"
    # The past's refunds stay out of today's drawer: it holds its float only.
    assert list(session.movements.values_list("kind", flat=True)) == ["float"]

    assert seed_orders(scale=1) == {}  # a second run changes nothing
    assert TillSession.objects.count() == 1
