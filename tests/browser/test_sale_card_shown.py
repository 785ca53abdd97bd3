"""At the counter on a tablet, a customer found by phone cannot pay with their points
until their loyalty card is scanned: the checkout says so, and opens the moment the
card attaches them."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order, PaymentMethod
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)
from tests.orders.stored_value_helpers import give_points
from tests.orders.till_helpers import open_counter_till


@pytest.fixture
def counter():
    shop = LocationFactory(name="Milano Centro")
    associate = StaffFactory(username="giulia", store=shop)
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="SHIRT-CARD-M",
        price=Decimal("40.00"),
    )
    stock(shirt, shop, 5)
    open_counter_till(associate)
    customer = make_customer(phone="333 123 4567", first_name="Pia", last_name="Moro")
    give_points(customer, 1000)
    return {"customer": customer}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_points_open_once_the_loyalty_card_is_scanned(live_server, page, counter):
    pia = counter["customer"]
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", "giulia")
    page.fill("#id_password", "pass-1234")
    page.click("button[type=submit]")
    page.click("nav.main >> text=Sale")
    page.get_by_label("Scan or type a SKU / barcode").fill("SHIRT-CARD-M")
    page.keyboard.press("Enter")
    expect(page.locator("#checkout-total")).to_contain_text("40.00")

    customer = page.get_by_test_id("sale-customer")
    customer.get_by_label("Phone, email or card number").fill("333 123 4567")
    customer.get_by_role("button", name="Attach customer").click()
    expect(page.get_by_test_id("attached-customer")).to_contain_text("Pia Moro")

    checkout = page.get_by_test_id("checkout")
    checkout.get_by_text("Gift card, store credit or points").click()
    expect(checkout.get_by_test_id("card-needed")).to_contain_text(
        "Scan the customer's loyalty card"
    )
    expect(checkout.get_by_label("Points to spend")).to_be_disabled()

    # The card scanned: the same customer, now proven, and the points open in place.
    customer.get_by_role("button", name="Remove").click()
    customer.get_by_label("Find by").select_option("loyalty")
    customer.get_by_label("Phone, email or card number").fill(pia.loyalty_number)
    customer.get_by_role("button", name="Attach customer").click()
    expect(page.get_by_test_id("attached-customer")).to_contain_text("Pia Moro")
    expect(checkout.get_by_test_id("card-needed")).to_have_count(0)
    points = checkout.get_by_label("Points to spend")
    expect(points).to_be_enabled()

    points.fill("1000")
    checkout.get_by_role("radio", name="Card").check()
    checkout.get_by_test_id("take-payment").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("Loyalty points")

    order = Order.objects.get()
    assert {p.method: p.amount for p in order.payments.all()} == {
        PaymentMethod.LOYALTY_POINTS: Decimal("10.00"),
        PaymentMethod.CARD_IN_STORE: Decimal("30.00"),
    }
