"""An associate sells a shirt by card: the counter waits for the shop's (simulated)
terminal, the card approves, and the sale completes on its own."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from orders.models import Order, PaymentMethod, TerminalIntent, TerminalIntentStatus
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.terminal_helpers import reader
from tests.orders.till_helpers import open_counter_till

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def counter():
    shop = LocationFactory(code="MI01", name="Milano Centro")
    giulia = StaffFactory(username="giulia", first_name="Giulia", store=shop)
    open_counter_till(giulia)  # every counter sale, by card too, is on the till
    shirt = VariantFactory(sku="SHIRT-BLU-M", barcode="8000000000017", price="40.00")
    stock(shirt, shop, 5)
    return {"shop": shop, "shirt": shirt, "device": reader(shop, label="Till 1")}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_counter_takes_a_card_through_the_terminal(live_server, page, counter):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", "giulia")
    page.fill("#id_password", "pass-1234")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("current-store")).to_have_text("Milano Centro")

    page.click("nav.main >> text=Sale")
    page.get_by_label("Scan or type a SKU / barcode").fill("8000000000017")
    page.keyboard.press("Enter")
    expect(
        page.get_by_test_id("basket").get_by_test_id("qty-SHIRT-BLU-M")
    ).to_have_text("1")
    expect(page.locator("#checkout-total")).to_contain_text("40.00")

    checkout = page.get_by_test_id("checkout")
    checkout.get_by_role("radio", name="Card").check()
    checkout.get_by_test_id("take-payment").click()

    panel = page.get_by_test_id("terminal-panel")
    expect(panel).to_contain_text("Waiting for the card on Till 1")
    expect(panel.get_by_test_id("terminal-amount")).to_have_text("40.00 EUR")
    # The panel polls and stays while the card is out; nothing is sold yet.
    page.wait_for_timeout(1500)
    expect(panel).to_be_visible()
    assert Order.objects.count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "terminal-waiting.png"))

    panel.get_by_test_id("simulate-approve").click()

    number = page.get_by_test_id("order-number")
    expect(number).to_have_text(re.compile(r"^OS-[0-9A-Z]{5}-[0-9A-Z]{5}$"))
    expect(page.get_by_test_id("receipt")).to_contain_text("Sale complete")

    order = Order.objects.get(number=number.inner_text())
    intent = TerminalIntent.objects.get()
    assert (intent.status, intent.order) == (TerminalIntentStatus.COMPLETED, order)
    payment = order.payments.get()
    assert (payment.method, payment.amount) == (
        PaymentMethod.CARD_IN_STORE,
        Decimal("40.00"),
    )
    assert payment.provider_reference == intent.provider_reference
    level = StockLevel.objects.get(variant=counter["shirt"], location=counter["shop"])
    assert level.on_hand == 4
