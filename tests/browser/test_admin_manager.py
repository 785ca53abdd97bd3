"""A store manager in the admin, in the browser: signs in at /admin/, sees their shop's
orders and not another shop's, and the sales report of their shop only."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.models import Channel
from omnistore.accounts.models import Role
from orders.services.checkout import place_order
from orders.services.payments import PaymentRequest
from tests.factories import (
    LocationFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    stock,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def counter_sale(shop, variant, quantity):
    return place_order(
        lines=[(variant, quantity)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=shop,
        payments=[PaymentRequest(method="cash")],
    )


@pytest.fixture
def shops():
    milano = LocationFactory(code="MI01", name="Milano Centro")
    roma = LocationFactory(code="RM01", name="Roma Corso")
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"), price=Decimal("69.00")
    )
    for shop in (milano, roma):
        stock(shirt, shop, 10)
    UserFactory(
        username="marco",
        first_name="Marco",
        last_name="Rossi",
        role=Role.STORE_MANAGER,
        store=milano,
    )
    return {
        "mine": [counter_sale(milano, shirt, 1), counter_sale(milano, shirt, 2)],
        "other": counter_sale(roma, shirt, 3),
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_store_manager_sees_their_shops_orders_and_report(live_server, page, shops):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "marco")
    page.fill("#id_password", "pass-1234")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()

    page.goto(f"{live_server.url}/admin/orders/order/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    for order in shops["mine"]:
        expect(page.locator("#result_list")).to_contain_text(order.number)
    expect(page.locator("#result_list")).not_to_contain_text(shops["other"].number)
    expect(page.locator("#changelist-filter")).not_to_contain_text("Roma Corso")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-manager-orders.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/orders/order/report/?days=0")
    expect(page.locator("body")).to_contain_text("Milano Centro")
    expect(page.locator("body")).not_to_contain_text("Roma Corso")
    page.screenshot(path=str(ARTIFACTS / "admin-manager-report.png"), full_page=True)

    response = page.goto(
        f"{live_server.url}/admin/orders/order/{shops['other'].pk}/change/"
    )
    assert response.status == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_tablet_the_order_list_has_the_width(live_server, page, shops):
    """At 768 and 1024 wide the model menu gives the list its width (Home lists
    every model); on a desktop it stays."""
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "marco")
    page.fill("#id_password", "pass-1234")
    page.click("input[type=submit]")
    for width in (768, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/admin/orders/order/")
        expect(page.locator("#nav-sidebar")).to_be_hidden()
        content = page.locator("#content-start").bounding_box()
        assert content["x"] < 40, content
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/orders/order/")
    expect(page.locator("#nav-sidebar")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_touch_tablet_the_admins_controls_take_a_finger(
    live_server, browser, shops
):
    """A finger needs 44 px: the action menu and its button, the filters, the links
    at the top and sign-out; a mouse keeps Django's own sizes."""
    controls = [
        "#user-tools a",
        "#logout-form button",
        ".actions select",
        ".actions button",
        "#changelist-filter a",
    ]
    heights = {}
    for touch in (True, False):
        context = browser.new_context(
            viewport={"width": 1024, "height": 1366}, has_touch=touch
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", "marco")
        page.fill("#id_password", "pass-1234")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/orders/order/")
        heights[touch] = {
            c: page.locator(c).first.bounding_box()["height"] for c in controls
        }
        if touch:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "admin-touch-orders.png"))
        context.close()

    assert all(h >= 44 for h in heights[True].values()), heights[True]
    assert any(h < 44 for h in heights[False].values()), heights[False]
