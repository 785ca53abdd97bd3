"""Reprinting at the counter: from the order page an associate issues the business
customer's invoice and opens the receipt, the gift receipt and the exchange receipt,
each laid out for the 80 mm till printer.
Screenshots of the printed pages go to test-artifacts/ to be looked at."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from orders.models import PaymentMethod
from orders.services.exchanges import exchange_items
from orders.services.payments import PaymentRequest
from orders.services.returns import ReturnLineRequest
from tests.browser.counter_helpers import sign_in
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import (
    business,
    cash_sale_with_change,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# 80 mm at the 96 dpi a browser lays out CSS millimetres with.
SLIP_WIDTH = 302


@pytest.fixture
def sales():
    shop = entity_shop(legal_entity())
    StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    associate = StaffFactory(store=shop, first_name="Marco", last_name="Rossi")
    customer = business(email="ada@example.com")
    order = cash_sale_with_change(
        shop=shop,
        associate=associate,
        lines=[
            (item(shop, "Oxford shirt, blue, M", "OXF-BLU-M", "61.00"), 2),
            (item(shop, "Italian cookbook", "BOOK-IT", "20.80"), 1),
        ],
        tendered="150",
        customer=customer,
    )
    rates = {"OXF-BLU-M": "22", "BOOK-IT": "4", "SCARF-W": "22"}
    order = tax_as_sold(order, rates)
    first = order.lines.order_by("id").first()
    exchange = exchange_items(
        order=order.number,
        lines=[ReturnLineRequest(first.pk, 1, "too_small")],
        replacement=[(item(shop, "Wool scarf", "SCARF-W", "40.00"), 2)],
        location=shop,
        actor=associate,
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )
    tax_as_sold(order, rates)
    tax_as_sold(exchange.order, rates, entity=shop.legal_entity)
    return order, exchange.order


def slip(page, name: str) -> None:
    """The page as the printer lays it out, saved as a PNG."""
    page.emulate_media(media="print")
    expect(page.get_by_test_id("receipt-slip")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.emulate_media(media="screen")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reprint_the_receipt_the_gift_receipt_and_the_exchange(
    live_server, page, sales
):
    order, replacement = sales
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/staff/orders/{order.number}/")
    documents = page.get_by_test_id("order-documents")
    expect(documents.get_by_test_id("email-receipt")).to_be_visible()
    documents.get_by_test_id("issue-invoice").click()
    documents = page.get_by_test_id("order-documents")
    links = documents.get_by_test_id("invoice-link")
    expect(links).to_have_count(2)  # the exchange's return was credited too
    expect(links.first).to_contain_text("Invoice INV-")
    expect(links.last).to_contain_text("Credit note CN-")
    ARTIFACTS.mkdir(exist_ok=True)
    documents.screenshot(path=str(ARTIFACTS / "order-documents.png"))
    page.get_by_test_id("reprint-receipt").click()
    page.set_viewport_size({"width": SLIP_WIDTH, "height": 600})
    receipt = page.get_by_test_id("receipt-slip")
    expect(receipt.get_by_test_id("receipt-seller")).to_contain_text(
        "VAT IT12345670017"
    )
    expect(receipt.get_by_test_id("change-due")).to_have_text("7.20 EUR")
    expect(receipt.get_by_test_id("receipt-vat")).to_contain_text("22%")
    expect(receipt.get_by_test_id("receipt-served-by")).to_have_text(
        "Served by Marco R."
    )
    expect(page.get_by_test_id("print")).to_be_visible()
    slip(page, "receipt-80mm")
    expect(page.get_by_test_id("print")).to_be_visible()  # only on screen

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/staff/orders/{order.number}/")
    page.get_by_test_id("gift-receipt").click()
    page.set_viewport_size({"width": SLIP_WIDTH, "height": 600})
    expect(page.get_by_test_id("receipt-title")).to_have_text("Gift receipt")
    expect(page.get_by_test_id("receipt-lines")).not_to_contain_text("61.00")
    slip(page, "gift-receipt-80mm")

    page.goto(f"{live_server.url}/staff/orders/receipt/{replacement.number}/print/")
    expect(page.get_by_test_id("receipt-title")).to_have_text("Exchange receipt")
    expect(page.get_by_test_id("receipt-returned")).to_contain_text("Oxford shirt")
    expect(page.get_by_test_id("receipt-lines")).to_contain_text("Wool scarf")
    slip(page, "exchange-receipt-80mm")
