"""Part gift card, part cash at the counter in the browser: the associate opens the
stored-value panel, scans the card, types its PIN and the amount, takes the rest in
cash with change; the receipt shows both tenders and the card keeps what is left."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.counter_helpers import make_counter, open_till, sign_in
from tests.orders.stored_value_helpers import PIN, balance, gift_card, ledger_total

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def counter():
    cache.clear()
    return make_counter()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_part_gift_card_part_cash_at_the_counter(live_server, page, counter):
    card = gift_card("50.00")
    page.set_viewport_size({"width": 1024, "height": 900})
    sign_in(page, live_server)
    open_till(page, {"50": 2})

    ARTIFACTS.mkdir(exist_ok=True)
    page.click("nav.main >> text=Sale")
    page.get_by_label("Scan or type a SKU / barcode").fill("8000000000017")
    page.keyboard.press("Enter")
    expect(page.locator("#checkout-total")).to_contain_text("69.00")
    checkout = page.get_by_test_id("checkout")

    # A wrong PIN first: refused, nothing sold, the card untouched.
    checkout.get_by_test_id("stored-value").locator("summary").click()
    checkout.get_by_label("Gift card number (scan or type)").fill(card.number)
    checkout.get_by_label("PIN").fill("000000")
    checkout.get_by_label("From the gift card").fill("50.00")
    checkout.get_by_role("radio", name="Cash").check()
    checkout.get_by_label("Cash tendered").fill("20")
    checkout.get_by_test_id("take-payment").click()
    errors = page.get_by_test_id("checkout-errors")
    expect(errors).to_contain_text("The gift card number or PIN is wrong.")
    page.screenshot(path=str(ARTIFACTS / "gift-card-wrong-pin.png"), full_page=True)
    assert not Order.objects.exists()

    checkout = page.get_by_test_id("checkout")
    checkout.get_by_label("Gift card number (scan or type)").fill(card.number)
    checkout.get_by_label("PIN").fill(PIN)
    checkout.get_by_label("From the gift card").fill("50.00")
    checkout.get_by_role("radio", name="Cash").check()
    checkout.get_by_label("Cash tendered").fill("20")
    # The change is worked out on what the gift card leaves: 19.00 in cash.
    expect(checkout.get_by_test_id("change-due")).to_have_text("Change due: 1.00 EUR")
    page.screenshot(path=str(ARTIFACTS / "gift-card-split-form.png"), full_page=True)
    checkout.get_by_test_id("take-payment").click()

    receipt = page.get_by_test_id("receipt")
    # A sale books the card, the till and the order in one transaction: on a busy
    # machine it may take longer than the default five seconds.
    expect(receipt).to_contain_text("Sale complete", timeout=30_000)
    expect(receipt).to_contain_text("Gift card")
    expect(page.get_by_test_id("change-due")).to_have_text("1.00 EUR")
    page.screenshot(path=str(ARTIFACTS / "gift-card-split-receipt.png"), full_page=True)

    order = Order.objects.get()
    assert {p.method: p.amount for p in order.payments.all()} == {
        "gift_card": Decimal("50.00"),
        "cash": Decimal("19.00"),
    }
    assert balance(card) == Decimal("0.00")
    assert ledger_total(card) == Decimal("0.00")
