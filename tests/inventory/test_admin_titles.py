"""Stock rows are titled in the admin the way a manager names them: the item by its
SKU and product, the shop by its name, the reason and status by their labels; never
by ids. The lists showing those titles cost the same queries for any length."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import (
    LowStockNotice,
    PriceList,
    PriceListPrice,
    Reservation,
    StockLevel,
    StockMovement,
    TaxRate,
)
from inventory.services.ledger import StockRequest
from inventory.services.low_stock import sweep_low_stock
from inventory.services.reservations import reserve_stock
from inventory.services.transfers import request_transfer, ship_transfer
from omnistore.accounts.models import Role
from tests.factories import (
    LocationFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Duomo")


@pytest.fixture
def shirt():
    return VariantFactory(
        sku="SKU-123", colour="", size="", product=ProductFactory(name="Linen shirt")
    )


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def title_of(client, name: str, pk: int) -> str:
    html = client.get(reverse(f"admin:{name}_change", args=[pk])).content.decode()
    return html.split("<title>", 1)[1].split(" | ", 1)[0]


def test_a_stock_level_is_titled_by_item_and_shop(root, shop, shirt):
    stock(shirt, shop, 20)
    level = StockLevel.objects.get(variant=shirt, location=shop)
    assert str(level) == "SKU-123 Linen shirt at Milano Duomo"
    assert title_of(root, "inventory_stocklevel", level.pk) == str(level)


def test_the_ledger_reservations_and_notices_read_as_words(shop, shirt):
    stock(shirt, shop, 3)
    movement = StockMovement.objects.get(variant=shirt)
    assert str(movement) == (
        "Receipt: SKU-123 at Milano Duomo (+3 on hand, +0 reserved)"
    )
    reserve_stock(
        requests=[StockRequest(shirt.pk, shop.pk, 1)],
        reference_type="order",
        reference_id="77",
    )
    assert str(Reservation.objects.get()) == "1 × SKU-123 held at Milano Duomo (active)"
    sweep_low_stock()
    assert str(LowStockNotice.objects.get()) == (
        "Low stock: SKU-123 at Milano Duomo, 2 available"
    )


def test_a_transfers_lines_and_steps_are_named(root, shop, shirt):
    warehouse = WarehouseFactory(code="WH01", name="Piacenza")
    stock(shirt, warehouse, 5)
    transfer = request_transfer(source=warehouse, destination=shop, lines=[(shirt, 2)])
    ship_transfer(transfer=transfer)
    assert [str(line) for line in transfer.lines.all()] == ["2 × SKU-123 · Linen shirt"]
    assert [str(event) for event in transfer.events.all()] == [
        "Requested",
        "Requested → In transit",
    ]
    html = root.get(
        reverse("admin:inventory_transfer_change", args=[transfer.pk])
    ).content.decode()
    assert "In transit" in html and "in_transit" not in html


def test_prices_and_tax_rates_say_what_they_are():
    price_list = PriceList.objects.create(code="CH", name="Switzerland", currency="CHF")
    shirt = VariantFactory(sku="SKU-9", product=ProductFactory(name="Linen shirt"))
    price = PriceListPrice.objects.create(
        price_list=price_list, variant=shirt, price=Decimal("59.00")
    )
    assert str(price) == "SKU-9 in Switzerland: 59.00 CHF"
    rate = TaxRate(
        country="IT",
        tax_class="reduced",
        rate=Decimal("10.00"),
        valid_from=date(2024, 1, 1),
    )
    assert str(rate) == "IT Reduced rate 10.00% from 2024-01-01"


def queries_to_list(client, url) -> int:
    """Queries to list ``url`` and title every row listed (the titles name the
    shop, and are read from what the list selected)."""
    client.get(url)  # the process's first admin page fills its caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        titles = [str(row) for row in response.context["cl"].result_list]
    assert response.status_code == 200
    assert titles and all("Milano Duomo" in title for title in titles)
    return len(queries)


def reserved_and_low(shop, rows: int) -> None:
    for index in range(rows):
        item = VariantFactory()
        stock(item, shop, 2)
        reserve_stock(
            requests=[StockRequest(item.pk, shop.pk, 1)],
            reference_type="order",
            reference_id=f"{shop.pk}-{index}",
        )
    sweep_low_stock()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/inventory/stockmovement/",
        "/admin/inventory/reservation/",
        "/admin/inventory/lowstocknotice/",
    ],
)
def test_lists_of_titled_rows_cost_the_same_queries_for_any_length(client, shop, url):
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=shop))
    reserved_and_low(shop, 1)
    one = queries_to_list(client, url)
    reserved_and_low(shop, 5)
    assert queries_to_list(client, url) == one
