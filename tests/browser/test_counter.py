"""The counter beyond the scanner: find by name, the item's sizes and colours, parked
sales, a wishlist's Sell, and screens that fit a 768 px tablet without sideways
scrolling."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.services.wishlists import add_wishlist_item
from omnistore.core.channels import Channel
from tests.browser.scanning_helpers import (
    SCAN,
    make_shop,
    no_horizontal_scroll,
    shot,
    sign_in,
)
from tests.customers.factories import make_customer
from tests.factories import ProductFactory, VariantFactory, stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def oxford(shop):
    product = ProductFactory(name="Oxford shirt")
    found = {}
    for size in ("XL", "M", "S", "L", "XS"):
        for colour in ("Blue", "White"):
            found[colour, size] = VariantFactory(
                product=product,
                sku=f"OX-{colour[:3].upper()}-{size}",
                colour=colour,
                size=size,
                barcode=None,
                price=Decimal("45.00"),
            )
            stock(found[colour, size], shop, 2)
    return found


def test_find_by_name_then_park_and_resume(live_server, page):
    shop, associate, items = make_shop(1)
    shirts = oxford(shop)
    sign_in(page, live_server, associate)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"{live_server.url}/staff/orders/sale/")

    page.get_by_label("Find by name, colour or size").fill("oxford blue m")
    results = page.get_by_test_id("find-results")
    expect(results.get_by_role("button")).to_have_count(1)
    results.get_by_role("button").click()
    basket = page.get_by_test_id("basket")
    expect(basket.get_by_test_id("qty-OX-BLU-M")).to_have_text("1")
    expect(page.get_by_label(SCAN)).to_be_focused()

    page.get_by_label("Find by name, colour or size").fill("oxford white")
    sizes = page.get_by_test_id("find-results").locator(".find-pick span:not(.muted)")
    expect(sizes).to_have_text(
        ["White · XS", "White · S", "White · M", "White · L", "White · XL"]
    )
    shot(page, "sale-find", 768)
    assert no_horizontal_scroll(page)
    shot(page, "sale-find", 1024)

    page.get_by_test_id("park-sale").click()
    expect(page.get_by_test_id("parked-sales")).to_be_visible()
    expect(basket.locator("tbody tr")).to_have_count(0)
    page.keyboard.type(items[0].barcode)
    page.keyboard.press("Enter")
    expect(basket.get_by_test_id(f"qty-{items[0].sku}")).to_have_text("1")
    # The message about parking went away with the next scan.
    expect(page.locator("[data-message]")).to_have_count(0)
    page.get_by_test_id("resume-0").click()
    expect(basket.get_by_test_id("qty-OX-BLU-M")).to_have_text("1")
    expect(page.get_by_test_id("parked-sales")).to_contain_text("Walk-in customer")
    assert shirts  # kept for the grid below


def test_the_item_page_grid_and_order_for_the_customer(live_server, page):
    shop, associate, _ = make_shop(0)
    shirts = oxford(shop)
    sign_in(page, live_server, associate)
    page.goto(f"{live_server.url}/staff/stock/variant/{shirts['Blue', 'M'].pk}/")
    grid = page.get_by_test_id("size-grid")
    expect(grid.locator("thead th")).to_have_text(["Colour", "XS", "S", "M", "L", "XL"])
    expect(grid.get_by_test_id("cell-OX-WHI-L")).to_have_text("2 / 0")
    shot(page, "item-grid", 768)
    assert no_horizontal_scroll(page)
    shot(page, "item-grid", 1024)
    page.get_by_test_id("order-for-customer").click()
    expect(page).to_have_url(f"{live_server.url}/staff/orders/sale/?mode=delivery")
    expect(page.get_by_test_id("basket").get_by_test_id("qty-OX-BLU-M")).to_have_text(
        "1"
    )


def test_a_wishlist_sell_carries_the_customer_and_fits_a_tablet(live_server, page):
    shop, associate, items = make_shop(1)
    customer = make_customer(
        email="martina.ferrari@example.com", first_name="Martina", last_name="Ferrari"
    )
    make_customer(  # long addresses must wrap, not push the page sideways
        email="martina.ferrari.with.a.very.long.address@customers-of-example.com",
        phone="+393331234567",
        first_name="Martina Alessandra",
        last_name="Ferrari-Bianchi",
    )
    for item in items:
        add_wishlist_item(customer=customer, variant=item, channel=Channel.WEB)
    sign_in(page, live_server, associate)
    page.goto(f"{live_server.url}/staff/customers/?q=Ferrari")
    shot(page, "customer-results", 768)
    assert no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/staff/customers/{customer.pk}/wishlists/")
    shot(page, "wishlist", 768)
    assert no_horizontal_scroll(page)
    shot(page, "wishlist", 1024)
    page.get_by_test_id(f"sell-{items[0].sku}").click()
    expect(page.get_by_test_id("attached-customer")).to_contain_text("Martina Ferrari")
    expect(
        page.get_by_test_id("basket").get_by_test_id(f"qty-{items[0].sku}")
    ).to_have_text("1")


UNLABELLED = """Array.from(document.querySelectorAll(
    'main input:not([type=hidden]), main select, main textarea'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))"""


def test_every_input_on_the_counter_screens_has_a_label(live_server, page):
    shop, associate, items = make_shop(1)
    customer = make_customer(email="pia@example.com", first_name="Pia")
    sign_in(page, live_server, associate)
    page.set_viewport_size({"width": 768, "height": 900})
    for path in (
        "/staff/orders/sale/",
        "/staff/stock/",
        "/staff/stock/receive/",
        "/staff/stock/adjust/",
        "/staff/stock/count/",
        "/staff/stock/transfers/new/",
        "/staff/stock/transfers/new/?direction=in",
        "/staff/orders/pickup/",
        "/staff/orders/returns/",
        f"/staff/customers/{customer.pk}/wishlists/",
        f"/staff/stock/variant/{items[0].pk}/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(UNLABELLED) == [], path
        assert no_horizontal_scroll(page), path
        assert page.locator("link[rel=icon]").count() == 1


def test_the_change_due_shows_while_the_cash_is_typed(live_server, page):
    shop, associate, items = make_shop(3)  # 10.00, 20.00, 30.00
    sign_in(page, live_server, associate)
    page.goto(f"{live_server.url}/staff/orders/sale/")
    # the scan field takes the keys once the page has focused it
    expect(page.get_by_label("Scan or type a SKU / barcode")).to_be_focused()
    for item in items[:2]:
        page.keyboard.type(item.barcode)
        page.keyboard.press("Enter")
    expect(page.locator("#checkout-total")).to_contain_text("30.00")
    checkout = page.get_by_test_id("checkout")
    tendered = checkout.get_by_label("Cash tendered (empty: the exact amount)")
    checkout.get_by_role("radio", name="Card", exact=True).check()
    expect(tendered).to_be_hidden()  # asked only while a tender is cash
    checkout.get_by_role("radio", name="Cash").check()
    expect(tendered).to_be_visible()
    tendered.fill("50")
    expect(page.get_by_test_id("change-due")).to_have_text("Change due: 20.00 EUR")
    checkout.get_by_label("Cash tendered (empty: the exact amount)").fill("20")
    expect(page.get_by_test_id("change-due")).to_have_text(
        "Still due in cash: 10.00 EUR"
    )
