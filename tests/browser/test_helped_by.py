"""The cashier names the associate who helped sell a line at the counter; the order
line keeps it."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from orders.models import OrderLine
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)
from tests.orders.till_helpers import open_counter_till

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def counter():
    shop = LocationFactory(code="MI01", name="Milano Centro")
    cashier = StaffFactory(
        username="carla", first_name="Carla", last_name="Cassa", store=shop
    )
    helper = StaffFactory(first_name="Giulia", last_name="Bianchi", store=shop)
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="SHIRT-BLU-M",
        barcode="8000000000017",
        price=Decimal("40.00"),
    )
    stock(shirt, shop, 5)
    open_counter_till(cashier)
    return {"helper": helper}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_cashier_names_who_helped_on_a_line(live_server, page, counter):
    page.set_viewport_size({"width": 1024, "height": 768})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "carla")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        page.click("nav.main >> text=Sale")
        basket = page.get_by_test_id("basket")
        page.get_by_label("Scan or type a SKU / barcode").fill("8000000000017")
        page.keyboard.press("Enter")
        expect(basket.get_by_test_id("qty-SHIRT-BLU-M")).to_have_text("1")

        summary = basket.get_by_test_id("helper-SHIRT-BLU-M")
        expect(summary).to_have_text("Helped by: the cashier")
        summary.click()
        select = page.get_by_test_id("helper-select-SHIRT-BLU-M")
        expect(select).to_be_visible()
        select.select_option(label="Giulia Bianchi")
        page.screenshot(path=str(ARTIFACTS / "helped-by-picker.png"))
        page.get_by_test_id("set-helper-SHIRT-BLU-M").click()
        expect(page.get_by_test_id("helper-SHIRT-BLU-M")).to_have_text(
            "Helped by: Giulia Bianchi"
        )
        page.screenshot(path=str(ARTIFACTS / "helped-by-basket.png"))

        checkout = page.get_by_test_id("checkout")
        checkout.get_by_role("radio", name="Cash").check()
        checkout.get_by_test_id("take-payment").click()
        expect(page.get_by_test_id("order-number")).to_be_visible()
    finally:
        page.screenshot(path=str(ARTIFACTS / "helped-by-full.png"), full_page=True)
    assert OrderLine.objects.get().helped_by == counter["helper"]
