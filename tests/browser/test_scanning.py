"""A scanner at the counter: codes are never lost or glued together, even on a slow
network, and screens that need units never submit on the scanner's Enter."""

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from tests.browser.scanning_helpers import (
    SCAN,
    make_shop,
    no_horizontal_scroll,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def slow_network(page, latency_ms: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency_ms,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        },
    )


def test_five_quick_scans_on_a_slow_network_add_five_lines(live_server, page):
    shop, associate, items = make_shop(5)
    sign_in(page, live_server, associate)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"{live_server.url}/staff/orders/sale/")
    field = page.get_by_label(SCAN)
    expect(field).to_be_focused()
    slow_network(page, 600)

    for item in items:
        page.keyboard.type(item.barcode)
        page.keyboard.press("Enter")
        page.wait_for_timeout(150)

    basket = page.get_by_test_id("basket")
    for item in items:
        expect(basket.get_by_test_id(f"qty-{item.sku}")).to_have_text("1")
    expect(basket.get_by_test_id("basket-total")).to_contain_text("150.00")
    expect(page.locator("[data-scan-status]")).to_have_attribute("data-result", "ok")
    expect(page.get_by_label(SCAN)).to_be_focused()
    expect(page.get_by_label(SCAN)).to_have_value("")
    # "New sale" is offered as soon as the basket has items.
    expect(page.get_by_role("button", name="New sale")).to_be_visible()


def test_an_unknown_code_says_so_and_leaves_the_field_empty(live_server, page):
    shop, associate, items = make_shop(2)
    sign_in(page, live_server, associate)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"{live_server.url}/staff/orders/sale/")

    page.keyboard.type("0000000000000")
    page.keyboard.press("Enter")
    page.keyboard.type(items[0].barcode)
    page.keyboard.press("Enter")

    basket = page.get_by_test_id("basket")
    expect(basket.get_by_test_id(f"qty-{items[0].sku}")).to_have_text("1")
    # The refused code was not glued to the next one, and the field is empty.
    expect(page.get_by_label(SCAN)).to_have_value("")
    page.keyboard.type("9999")
    page.keyboard.press("Enter")
    status = page.locator("[data-scan-status]")
    expect(status).to_have_attribute("data-result", "bad")
    expect(status).to_contain_text("No item with SKU or barcode")
    expect(page.get_by_label(SCAN)).to_have_value("")
    expect(page.get_by_label(SCAN)).to_be_focused()
    shot(page, "sale-scans", 768)
    assert no_horizontal_scroll(page)
    shot(page, "sale-scans", 1024)


@pytest.mark.parametrize(
    ("path", "units_label", "units", "expected"),
    [
        ("adjust", "Change in units (negative removes)", "-2", 7),
        ("count", "Units counted, including those held for customers", "4", 4),
    ],
)
def test_enter_on_adjust_and_count_selects_the_item_and_waits_for_the_units(
    live_server, page, path, units_label, units, expected
):
    shop, associate, items = make_shop(1)
    item = items[0]
    sign_in(page, live_server, associate)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"{live_server.url}/staff/stock/{path}/")

    page.keyboard.type(item.barcode)
    page.keyboard.press("Enter")

    expect(page.locator("[data-scan-item]")).to_contain_text("Item 1")
    expect(page.get_by_label(units_label)).to_be_focused()
    expect(page.get_by_label("SKU or barcode")).to_have_value(item.sku)
    page.keyboard.press("Enter")  # Enter in the units moves on, it does not submit
    expect(page.get_by_test_id("stock-success")).to_have_count(0)
    assert StockLevel.objects.get(variant=item, location=shop).on_hand == 9

    # An unknown code says so and leaves the field empty.
    page.get_by_label("SKU or barcode").fill("")
    page.get_by_label("SKU or barcode").focus()
    page.keyboard.type("NOPE")
    page.keyboard.press("Enter")
    expect(page.locator("[data-scan-status]")).to_contain_text("No item with SKU")
    expect(page.get_by_label("SKU or barcode")).to_have_value("")
    assert StockLevel.objects.get(variant=item, location=shop).on_hand == 9

    page.keyboard.type(item.sku)
    page.keyboard.press("Enter")
    expect(page.get_by_label(units_label)).to_be_focused()
    page.keyboard.type(units)
    if path == "adjust":
        page.get_by_label("Why").fill("Found behind the till")
    shot(page, f"stock-{path}", 768)
    assert no_horizontal_scroll(page)
    page.get_by_role(
        "button", name="Adjust" if path == "adjust" else "Save count"
    ).click()
    expect(page.get_by_test_id("stock-success")).to_be_visible()
    assert StockLevel.objects.get(variant=item, location=shop).on_hand == expected
    expect(page.get_by_label("SKU or barcode")).to_be_focused()
    shot(page, f"stock-{path}", 1024)


def test_quick_scans_on_receive_each_receive_a_unit(live_server, page):
    shop, associate, items = make_shop(3)
    sign_in(page, live_server, associate)
    page.goto(f"{live_server.url}/staff/stock/receive/")
    slow_network(page, 300)
    for item in [*items, items[0]]:
        page.keyboard.type(item.barcode)
        page.keyboard.press("Enter")
        page.wait_for_timeout(100)
    expect(page.locator("#stock-scan")).to_have_attribute("aria-busy", "false")
    expect(page.locator("[data-scan-status]")).to_contain_text(items[0].barcode)
    levels = dict(
        StockLevel.objects.filter(location=shop).values_list("variant__sku", "on_hand")
    )
    assert levels == {"ITEM-1": 11, "ITEM-2": 10, "ITEM-3": 10}


def test_enter_on_exchange_selects_the_replacement_and_the_review_shows_the_balance(
    live_server, page
):
    from orders.models import Order
    from tests.customers.factories import make_customer
    from tests.orders.returns_helpers import counter_sale

    shop, associate, items = make_shop(3)
    order = counter_sale(
        store=shop,
        lines=[(items[1], 1)],  # 20.00
        staff=associate,
        customer=make_customer(phone="+393331234567"),
    )
    line = order.lines.get()
    sign_in(page, live_server, associate)
    page.goto(f"{live_server.url}/staff/orders/returns/order/{order.number}/exchange/")
    page.locator(f"[name=qty_{line.pk}]").fill("1")
    page.locator(f"[name=reason_{line.pk}]").select_option(index=1)

    code = page.locator("#id_code_1")
    code.focus()
    page.keyboard.type(items[2].barcode)  # 30.00
    page.keyboard.press("Enter")
    expect(page.locator("[data-scan-item]")).to_contain_text("Item 3")
    expect(page.locator("#id_units_1")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("exchange-review")).to_have_count(0)
    assert Order.objects.count() == 1

    page.get_by_role("button", name="Review exchange").click()
    review = page.get_by_test_id("exchange-review")
    expect(review).to_be_visible()
    expect(page.get_by_test_id("exchange-back")).to_contain_text("20.00")
    expect(page.get_by_test_id("exchange-out")).to_contain_text("30.00")
    expect(page.get_by_test_id("exchange-balance")).to_contain_text("pays 10.00")
    assert Order.objects.count() == 1
    shot(page, "exchange-review", 768)
    assert no_horizontal_scroll(page)
    shot(page, "exchange-review", 1024)

    expect(page.get_by_role("button", name="Complete exchange")).to_have_count(2)
    page.get_by_role("button", name="Complete exchange").first.click()
    expect(page.get_by_test_id("order-number")).to_be_visible()
    assert Order.objects.count() == 2
