"""Transfers at the shop: ask another location for stock, and receive it by scanning
what comes out of the box."""

import pytest
from playwright.sync_api import expect

from inventory.models import Transfer, TransferStatus
from inventory.services.transfers import ship_transfer
from tests.browser.scanning_helpers import (
    make_shop,
    no_horizontal_scroll,
    shot,
    sign_in,
)
from tests.factories import WarehouseFactory, stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_shop_asks_for_stock_then_receives_it_by_scanning(live_server, page):
    shop, associate, items = make_shop(2)
    warehouse = WarehouseFactory(code="WH01", name="Piacenza DC")
    for item in items:
        stock(item, warehouse, 10)
    sign_in(page, live_server, associate)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"{live_server.url}/staff/stock/transfers/")
    page.get_by_test_id("ask-for-stock").click()
    expect(page.get_by_test_id("transfer-destination")).to_have_text("Milano Centro")
    options = page.get_by_label("From").locator("option")
    expect(options).not_to_contain_text(["Milano Centro"])
    page.get_by_label("From").select_option(value=str(warehouse.pk))
    page.get_by_label("Items").fill(f"{items[0].sku} 2\n{items[1].sku} 1")
    page.get_by_role("button", name="Request transfer").click()
    expect(
        page.get_by_text("requested from Piacenza DC to Milano Centro")
    ).to_be_visible()

    transfer = Transfer.objects.get()
    ship_transfer(transfer=transfer)
    page.reload()
    scan = page.get_by_label("Scan what arrived")
    scan.focus()
    for code in (items[0].barcode, "NOT-HERE", items[0].sku):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    status = page.locator("[data-scan-status]")
    expect(status).to_contain_text(f"{items[0].sku}: 2 of 2")
    page.keyboard.type(items[0].barcode)  # a third one was never shipped
    page.keyboard.press("Enter")
    expect(status).to_have_attribute("data-result", "bad")
    expect(status).to_contain_text("already counted")
    rows = page.locator("[data-tally]")
    expect(rows.nth(0).locator("input")).to_have_value("2")
    expect(rows.nth(1).locator("input")).to_have_value("0")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT  # nothing sent by a scan
    shot(page, "transfer-receive", 768)
    assert no_horizontal_scroll(page)
    shot(page, "transfer-receive", 1024)

    page.get_by_role("button", name="Receive").last.click()
    expect(page.get_by_text("Received 2 units")).to_be_visible()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTIALLY_RECEIVED
