"""Gift cards at the counter in the browser.

Part gift card, part cash: the associate opens the stored-value panel, scans the card,
types its PIN and the amount, takes the rest in cash with change; the receipt shows
both tenders and the card keeps what is left.

A gift card sold alone (no goods in the basket), paid in cash or by card: the card is
activated and the receipt shows it."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from orders.models import GiftCard, Order
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


def _sell_a_gift_card_alone(page, live_server, *, number: str, amount: str):
    """Log in, open the till, and put one gift card, and nothing else, in the sale."""
    page.set_viewport_size({"width": 1024, "height": 900})
    sign_in(page, live_server)
    open_till(page, {"50": 2})
    expect(page.get_by_test_id("till-expected")).to_have_text("100.00 EUR")

    ARTIFACTS.mkdir(exist_ok=True)
    page.click("nav.main >> text=Sale")
    page.get_by_test_id("sell-gift-card").click()
    selling = page.locator("#sale-gift-card")
    selling.get_by_label("Card number").fill(number)
    selling.get_by_label("PIN from the card").fill("4321")
    selling.get_by_label("Amount").fill(amount)
    selling.get_by_role("button", name="Add gift card").click()
    expect(page.get_by_test_id("basket-total")).to_contain_text(amount)
    expect(page.locator("#checkout-total")).to_contain_text(amount)
    return page.get_by_test_id("checkout")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["Cash", "Card"])
def test_a_gift_card_alone_is_sold_activated_and_on_the_receipt(
    live_server, page, counter, method
):
    number = "6012000011113333"
    checkout = _sell_a_gift_card_alone(page, live_server, number=number, amount="40.00")
    checkout.get_by_role("radio", name=method).check()
    if method == "Cash":
        checkout.get_by_label("Cash tendered").fill("50")
        expect(checkout.get_by_test_id("change-due")).to_have_text(
            "Change due: 10.00 EUR"
        )
    page.screenshot(
        path=str(ARTIFACTS / f"gift-card-alone-{method.lower()}-form.png"),
        full_page=True,
    )
    # Pressing the button takes the focus from the cash tendered: the page must not
    # move under the pointer before it is released.
    checkout.get_by_test_id("take-payment").click()

    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("Sale complete", timeout=30_000)
    expect(receipt).to_contain_text("Gift card")
    expect(receipt).to_contain_text("3333")
    if method == "Cash":
        expect(page.get_by_test_id("change-due")).to_have_text("10.00 EUR")
    page.screenshot(
        path=str(ARTIFACTS / f"gift-card-alone-{method.lower()}-receipt.png"),
        full_page=True,
    )
    order = Order.objects.get()
    card = GiftCard.objects.get(number=number)
    assert (card.balance, card.order) == (Decimal("40.00"), order)
    expected = "cash" if method == "Cash" else "card_in_store"
    assert {p.method: p.amount for p in order.payments.all()} == {
        expected: Decimal("40.00")
    }
