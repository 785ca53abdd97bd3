"""An associate sells two items at the counter to a customer known by phone."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.models import Channel
from inventory.models import StockLevel
from orders.models import FulfilmentMethod, Order, OrderStatus, PaymentMethod
from orders.selectors.orders import order_detail
from tests.customers.factories import make_customer
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
    shop = LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="SHIRT-BLU-M",
        barcode="8000000000017",
        price=Decimal("40.00"),
    )
    belt = VariantFactory(
        product=ProductFactory(name="Leather belt"),
        sku="BELT-BRN",
        barcode="8000000000024",
        colour="Brown",
        size="90",
        price=Decimal("15.50"),
    )
    stock(shirt, shop, 5)
    stock(belt, shop, 2)
    open_counter_till(associate)  # cash sales book into the open till
    customer = make_customer(
        phone="333 123 4567",
        email="pia@example.com",
        first_name="Pia",
        last_name="Moro",
    )
    return {
        "shop": shop,
        "associate": associate,
        "shirt": shirt,
        "belt": belt,
        "customer": customer,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_scans_attaches_a_customer_and_takes_cash(live_server, page, counter):
    page.set_viewport_size({"width": 1024, "height": 768})
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("current-store")).to_have_text("Milano Centro")

        page.click("nav.main >> text=Sale")
        basket = page.get_by_test_id("basket")
        # A scanner types the barcode and Enter; the basket updates in place.
        page.get_by_label("Scan or type a SKU / barcode").fill("8000000000017")
        page.keyboard.press("Enter")
        expect(basket.get_by_test_id("qty-SHIRT-BLU-M")).to_have_text("1")
        # The scan box is ready for the next item without touching the screen.
        expect(page.get_by_label("Scan or type a SKU / barcode")).to_be_focused()
        page.keyboard.type("BELT-BRN")
        page.keyboard.press("Enter")
        expect(basket.get_by_test_id("qty-BELT-BRN")).to_have_text("1")
        expect(basket.get_by_test_id("basket-total")).to_contain_text("55.50")
        expect(page.locator("#checkout-total")).to_contain_text("55.50")
        # The basket has settled (the scan box took the focus back) before the
        # associate moves on to the customer, as a person at the counter would see it.
        expect(page.get_by_label("Scan or type a SKU / barcode")).to_be_focused()

        customer = page.get_by_test_id("sale-customer")
        customer.get_by_label("Phone, email or card number").fill("333 123 4567")
        customer.get_by_role("button", name="Attach customer").click()
        expect(page.get_by_test_id("attached-customer")).to_contain_text("Pia Moro")

        checkout = page.get_by_test_id("checkout")
        checkout.get_by_role("radio", name="Cash").check()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "assisted-sale-basket.png"))
        checkout.get_by_test_id("take-payment").click()

        number = page.get_by_test_id("order-number")
        expect(number).to_have_text(re.compile(r"^OS-[0-9A-Z]{5}-[0-9A-Z]{5}$"))
        expect(page.get_by_test_id("receipt-customer")).to_contain_text("Pia Moro")
        expect(page.get_by_test_id("receipt")).to_contain_text("Cash")
        shown = number.inner_text()
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top
        page.screenshot(path=str(ARTIFACTS / "assisted-sale.png"), full_page=True)

    order = order_detail(number=shown)
    assert order.channel == Channel.STORE
    assert order.fulfilment_method == FulfilmentMethod.CARRY_OUT
    assert order.status == OrderStatus.COMPLETED
    assert order.placing_location == counter["shop"]
    assert order.staff_member == counter["associate"]
    assert order.customer == counter["customer"]
    assert order.total == Decimal("55.50")
    assert [(p.method, p.amount) for p in order.payments.all()] == [
        (PaymentMethod.CASH, Decimal("55.50"))
    ]
    assert Order.objects.count() == 1
    levels = {
        lvl.variant.sku: lvl.on_hand
        for lvl in StockLevel.objects.filter(location=counter["shop"]).select_related(
            "variant"
        )
    }
    assert levels == {"SHIRT-BLU-M": 4, "BELT-BRN": 1}
