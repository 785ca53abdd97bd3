"""An associate on a tablet finds an item and sees where it is in stock."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def shop_floor():
    shop = LocationFactory(
        code="MI01",
        name="Milano Centro",
        city="Milano",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )
    roma = LocationFactory(
        code="RM01",
        name="Roma Termini",
        city="Roma",
        latitude=Decimal("41.902800"),
        longitude=Decimal("12.496400"),
    )
    torino = LocationFactory(
        code="TO01",
        name="Torino Porta Nuova",
        city="Torino",
        latitude=Decimal("45.062500"),
        longitude=Decimal("7.678600"),
        click_and_collect=False,
    )
    warehouse = WarehouseFactory(
        code="WH01",
        name="Piacenza DC",
        city="Piacenza",
        latitude=Decimal("45.052600"),
        longitude=Decimal("9.692900"),
    )
    product = ProductFactory(name="Oxford shirt", brand="Omni")
    shirt = VariantFactory(
        product=product, sku="SHIRT-BLU-M", barcode="8000000000017", colour="Blue"
    )
    for size, sku in (("L", "SHIRT-BLU-L"), ("S", "SHIRT-BLU-S")):
        other = VariantFactory(product=product, sku=sku, size=size, colour="Blue")
        stock(other, shop, 2)
    stock(shirt, shop, 5)
    stock(shirt, roma, 3)
    stock(shirt, torino, 1)
    stock(shirt, warehouse, 40)
    reserve_stock(
        requests=[StockRequest(shirt.pk, shop.pk, 1)],
        reference_type="order",
        reference_id="1001",
    )
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    return {"associate": associate, "shirt": shirt}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_finds_an_item_and_sees_stock_here_and_elsewhere(
    live_server, page, shop_floor
):
    page.set_viewport_size({"width": 1024, "height": 768})
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("current-store")).to_have_text("Milano Centro")

        page.click("nav.main >> text=Stock")
        search = page.get_by_label("Name, SKU or barcode")
        search.fill("SHIRT-BLU")  # live results while typing, no page load
        results = page.get_by_test_id("lookup-results")
        expect(results).to_contain_text("SHIRT-BLU-M")
        expect(results).to_contain_text("SHIRT-BLU-L")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "stock-lookup-results.png"))
        page.get_by_role("row", name="SHIRT-BLU-M").get_by_role("link").click()

        here = page.get_by_test_id("stock-here")
        expect(here).to_contain_text("Here · Milano Centro")
        level = here.get_by_test_id("stock-level")
        expect(level).to_contain_text(
            re.compile(r"On hand\s*5\s*Reserved\s*1\s*Available\s*4")
        )
        elsewhere = page.get_by_test_id("stock-elsewhere")
        for name, units in (
            ("Piacenza DC", "40"),
            ("Roma Termini", "3"),
            ("Torino Porta Nuova", "1"),
        ):
            row = elsewhere.get_by_role("row", name=name)
            expect(row).to_contain_text(units)
            expect(row).to_contain_text("km")
        expect(page.get_by_test_id("movements")).to_contain_text("Reservation")

        # A scanner types the barcode and Enter: straight to the item.
        page.click("text=← Search again")
        page.get_by_label("Name, SKU or barcode").fill("8000000000017")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("variant-sku")).to_have_text("SHIRT-BLU-M")
        expect(page.get_by_test_id("stock-here")).to_contain_text(
            re.compile(r"Available\s*4")
        )
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "stock-lookup.png"), full_page=True)
