"""An associate applies the customer's discount code at the counter and takes the
discounted total in cash."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from orders.models import DiscountCode
from orders.selectors.orders import order_detail
from tests.browser.counter_helpers import sign_in
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)
from tests.orders.discount_helpers import discount_code
from tests.orders.till_helpers import open_counter_till

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def counter():
    shop = LocationFactory(code="MI01", name="Milano Centro")
    associate = StaffFactory(username="giulia", first_name="Giulia", store=shop)
    open_counter_till(associate)  # cash sales book into the open till
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="SHIRT-BLU-M",
        price=Decimal("40.00"),
    )
    belt = VariantFactory(
        product=ProductFactory(name="Leather belt"),
        sku="BELT-BRN",
        price=Decimal("15.50"),
    )
    stock(shirt, shop, 5)
    stock(belt, shop, 5)
    discount_code("SHOP10", "percentage", "10", channels="store")
    return shop


def open_sale(page, live_server) -> None:
    """Giulia signs in on a tablet-sized screen and opens the sale."""
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/staff/orders/sale/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_applies_a_code_and_takes_the_discounted_total(
    live_server, page, counter
):
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        open_sale(page, live_server)
        basket = page.get_by_test_id("basket")
        for sku in ("SHIRT-BLU-M", "BELT-BRN"):
            page.get_by_label("Scan or type a SKU / barcode").fill(sku)
            page.keyboard.press("Enter")
            expect(basket.get_by_test_id(f"qty-{sku}")).to_have_text("1")
            # settled: the scan box has the focus back for the next item
            expect(page.get_by_label("Scan or type a SKU / barcode")).to_be_focused()

        # A wrong code is refused next to the field; nothing changes. (The scans'
        # requests are all answered first: a basket swapped in after the typing
        # would bring back an empty field.)
        page.wait_for_load_state("networkidle")
        page.get_by_label("Discount code").fill("NOPE")
        expect(page.get_by_label("Discount code")).to_have_value("NOPE")
        basket.get_by_role("button", name="Apply").click()
        expect(basket.get_by_test_id("error-code")).to_contain_text(
            "Unknown discount code NOPE."
        )
        expect(page.locator("#checkout-total")).to_have_text("55.50 EUR")
        page.screenshot(path=str(ARTIFACTS / "sale-discount-refused.png"))

        # every swap settled (htmx may move the focus as it settles)
        expect(
            page.locator(".htmx-request, .htmx-swapping, .htmx-settling")
        ).to_have_count(0)
        page.get_by_label("Discount code").fill("shop10")
        basket.get_by_role("button", name="Apply").click()
        expect(basket.get_by_test_id("basket-discount")).to_have_text("−5.55 EUR")
        expect(basket.get_by_test_id("basket-total")).to_have_text("49.95 EUR")
        expect(page.locator("#checkout-total")).to_have_text("49.95 EUR")
        page.screenshot(path=str(ARTIFACTS / "sale-discount-applied.png"))

        checkout = page.get_by_test_id("checkout")
        checkout.get_by_role("radio", name="Cash").check()
        checkout.get_by_test_id("take-payment").click()
        number = page.get_by_test_id("order-number")
        expect(number).to_have_text(re.compile(r"^OS-[0-9A-Z]{5}-[0-9A-Z]{5}$"))
        expect(page.get_by_test_id("receipt")).to_contain_text("−5.55")
        shown = number.inner_text()
    finally:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "sale-discount.png"), full_page=True)

    order = order_detail(number=shown)
    assert (order.discount_code, order.total) == ("SHOP10", Decimal("49.95"))
    assert [p.amount for p in order.payments.all()] == [Decimal("49.95")]
    assert DiscountCode.objects.get().times_used == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_code_typed_while_a_scan_is_answered_is_kept(live_server, page, counter):
    """The associate scans, then types the customer's code before the basket comes
    back: the basket swapped in keeps what they typed, and the focus."""
    open_sale(page, live_server)
    scan = page.get_by_label("Scan or type a SKU / barcode")
    scan.fill("SHIRT-BLU-M")
    page.keyboard.press("Enter")
    basket = page.get_by_test_id("basket")
    expect(basket.get_by_test_id("qty-SHIRT-BLU-M")).to_have_text("1")
    held = []
    page.route("**/staff/orders/sale/add/", lambda route: held.append(route))
    scan.fill("BELT-BRN")
    page.keyboard.press("Enter")
    expect(page.locator(".htmx-request").first).to_be_attached()
    code = page.get_by_label("Discount code")
    code.click()
    code.press_sequentially("SHO")
    assert len(held) == 1
    held[0].continue_()

    expect(basket.get_by_test_id("qty-BELT-BRN")).to_have_text("1")
    expect(code).to_have_value("SHO")
    expect(code).to_be_focused()
    code.press_sequentially("P10")
    basket.get_by_role("button", name="Apply").click()
    expect(basket.get_by_test_id("discount-applied")).to_contain_text("−5.55 EUR")
    page.screenshot(path=str(ARTIFACTS / "sale-discount-typed-during-scan.png"))


def scan_held_at_the_swap(page, live_server, script: str):
    """A scan whose answer is held until ``script`` (run with the phone field's id)
    is set to act at the basket's swap; returns the phone field once it has run."""
    open_sale(page, live_server)
    held = []
    page.route("**/staff/orders/sale/add/", lambda route: held.append(route))
    page.get_by_label("Scan or type a SKU / barcode").fill("SHIRT-BLU-M")
    page.keyboard.press("Enter")
    expect(page.locator(".htmx-request").first).to_be_attached()
    phone = page.get_by_test_id("sale-customer").get_by_label(
        "Phone, email or card number"
    )
    page.evaluate(script, phone.get_attribute("id"))
    assert len(held) == 1
    held[0].continue_()
    basket = page.get_by_test_id("basket")
    expect(basket.get_by_test_id("qty-SHIRT-BLU-M")).to_have_text("1")
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(
        0
    )
    return phone


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_phone_typed_as_a_scan_is_answered_is_kept(live_server, page, counter):
    """The associate is in the customer's phone when the scan's answer arrives and
    types on while it settles: the field, not replaced by the answer, keeps every
    character typed."""
    # In the phone before the answer; the keys typed between its swap and settle.
    phone = scan_held_at_the_swap(
        page,
        live_server,
        """(id) => {
          document.getElementById(id).focus();
          document.addEventListener("htmx:afterSwap", function typed() {
            document.removeEventListener("htmx:afterSwap", typed);
            document.getElementById(id).value = "333 123 4567";
          });
        }""",
    )
    page.wait_for_timeout(200)  # past the settle
    expect(phone).to_have_value("333 123 4567")
    expect(phone).to_be_focused()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_field_gone_to_as_a_scan_settles_keeps_the_focus(live_server, page, counter):
    """The basket comes back and the associate taps the customer's phone before it
    has settled: the scan box's autofocus does not pull the focus back, so what they
    type lands in the phone."""
    # The tap between the basket's swap and its settle.
    phone = scan_held_at_the_swap(
        page,
        live_server,
        """(id) => document.addEventListener("htmx:afterSwap", function tapped() {
          document.removeEventListener("htmx:afterSwap", tapped);
          setTimeout(function () { document.getElementById(id).focus(); }, 0);
        })""",
    )
    expect(phone).to_be_focused()
    page.keyboard.type("333 123 4567")
    expect(phone).to_have_value("333 123 4567")
    expect(page.get_by_label("Scan or type a SKU / barcode")).to_have_value("")
