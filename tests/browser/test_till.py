"""A day at the counter in the browser: open the till with a float, sell by card
through the shop's simulated terminal, sell in cash with change, count the drawer and
close it, read the Z report."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from orders.models import (
    Order,
    PaymentMethod,
    TillSession,
    TillSessionStatus,
)
from tests.browser.counter_helpers import make_counter, open_till, sign_in
from tests.orders.terminal_helpers import reader

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def counter():
    shop = make_counter()
    reader(shop, label="Counter reader")
    return shop


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_open_sell_by_card_and_in_cash_with_change_and_close(
    live_server, page, counter
):
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server)
    open_till(page, {"50": 2, "10": 5})
    expect(page.get_by_test_id("till-expected")).to_have_text("150.00 EUR")

    ARTIFACTS.mkdir(exist_ok=True)
    page.click("nav.main >> text=Sale")
    page.get_by_label("Scan or type a SKU / barcode").fill("8000000000017")
    page.keyboard.press("Enter")
    expect(page.locator("#checkout-total")).to_contain_text("69.00")
    checkout = page.get_by_test_id("checkout")
    checkout.get_by_role("radio", name="Card").check()
    checkout.get_by_test_id("take-payment").click()
    panel = page.get_by_test_id("terminal-panel")
    expect(panel).to_contain_text("Waiting for the card on Counter reader")
    page.screenshot(path=str(ARTIFACTS / "till-card-waiting.png"), full_page=True)
    panel.get_by_test_id("simulate-approve").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("Sale complete")
    page.screenshot(path=str(ARTIFACTS / "till-card-receipt.png"), full_page=True)

    page.click("nav.main >> text=Sale")
    page.get_by_label("Scan or type a SKU / barcode").fill("8000000000017")
    page.keyboard.press("Enter")
    expect(page.locator("#checkout-total")).to_contain_text("69.00")
    checkout = page.get_by_test_id("checkout")
    checkout.get_by_role("radio", name="Cash").check()
    checkout.get_by_label("Cash tendered").fill("100")
    checkout.get_by_test_id("take-payment").click()
    expect(page.get_by_test_id("change-due")).to_have_text("31.00 EUR")
    expect(page.get_by_test_id("cash-tendered")).to_have_text("100.00 EUR")
    page.screenshot(path=str(ARTIFACTS / "till-cash-receipt.png"), full_page=True)

    page.click("nav.main >> text=Till")
    expect(page.get_by_test_id("till-expected")).to_have_text("219.00 EUR")
    page.get_by_test_id("close-till").click()
    closing = page.get_by_test_id("till-close")
    closing.get_by_label("100", exact=True).fill("2")
    closing.get_by_label("10", exact=True).fill("1")
    closing.get_by_label("5", exact=True).fill("1")
    closing.get_by_label("2", exact=True).fill("2")
    page.screenshot(path=str(ARTIFACTS / "till-close.png"), full_page=True)
    page.get_by_test_id("confirm-close").click()

    report = page.get_by_test_id("z-report")
    expect(report.get_by_test_id("z-status")).to_have_text("Closed")
    expect(report.get_by_test_id("z-sales-total")).to_have_text("138.00")
    expect(report.get_by_test_id("z-expected")).to_have_text("219.00")
    expect(report.get_by_test_id("z-counted")).to_have_text("219.00")
    # 69.00 by card and 69.00 in cash, both at 22 %: VAT as the sales recorded it
    expect(report.get_by_test_id("z-vat")).to_contain_text("22.00 %")
    expect(report.get_by_test_id("z-vat")).to_contain_text("138.00")
    page.screenshot(path=str(ARTIFACTS / "till-z-report.png"), full_page=True)

    session = TillSession.objects.get()
    assert session.status == TillSessionStatus.CLOSED
    assert session.over_short == Decimal("0.00")
    orders = Order.objects.filter(till_movements__session=session)
    assert sorted(o.payments.get().method for o in orders) == [
        PaymentMethod.CARD_IN_STORE,
        PaymentMethod.CASH,
    ]
    assert sum(o.total for o in orders) == Decimal("138.00")
