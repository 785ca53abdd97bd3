"""A customer starts a return on the website; at another shop an associate on a tablet
scans its code, sees what the customer said, receives the items and refunds them."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from orders.models import Refund, Return, ReturnStatus
from orders.services.returns import ReturnLineRequest, request_return
from tests.browser.scanning_helpers import sign_in
from tests.factories import LocationFactory, ProductFactory, StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def started_online():
    milano = LocationFactory(code="MI01", name="Milano Centro")
    torino = LocationFactory(code="TO01", name="Torino Porta Nuova")
    shirt = stocked(
        milano,
        4,
        price="49.90",
        sku="OXF-BLU-M",
        product=ProductFactory(name="Oxford shirt"),
    )
    chinos = stocked(
        milano,
        4,
        price="69.00",
        sku="CHN-BEI-32",
        product=ProductFactory(name="Slim chinos"),
    )
    user, customer = shopper("ada.lovelace@example.com", last_name="Lovelace")
    customer.first_name, customer.last_name = "Ada", "Lovelace"
    customer.save(update_fields=["first_name", "last_name"])
    order = collected_order(
        store=milano,
        lines=[(shirt, 1), (chinos, 2)],
        customer=customer,
        staff=StaffFactory(store=milano),
    )
    lines = {line.sku: line for line in order.lines.all()}
    response = api_client_for(user).post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {
                    "order_line": lines["OXF-BLU-M"].pk,
                    "quantity": 1,
                    "reason": "too_small",
                    "note": "Tight on the shoulders",
                },
                {
                    "order_line": lines["CHN-BEI-32"].pk,
                    "quantity": 1,
                    "reason": "not_as_described",
                    "note": "Colour is darker than on the photos",
                },
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    StaffFactory(username="luca", first_name="Luca", last_name="Verdi", store=torino)
    return {
        "code": response.json()["code"],
        "shirt": shirt,
        "chinos": chinos,
        "torino": torino,
        "milano": milano,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_return_started_online_is_found_by_code_received_and_refunded(
    live_server, page, started_online
):
    code = started_online["code"]
    page.set_viewport_size({"width": 1024, "height": 768})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "luca")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("current-store")).to_have_text("Torino Porta Nuova")

        page.click("nav.main >> text=Returns")
        expect(page.locator("h1")).to_contain_text("Returns desk")
        search = page.get_by_label("Return code, order number, email, phone")
        search.fill(code.lower())  # typed, as a scanner would, then Enter
        search.press("Enter")

        expect(page.get_by_test_id("return-code")).to_have_text(code)
        expect(page.get_by_test_id("return-status")).to_have_text("Requested")
        items = page.get_by_test_id("return-items")
        expect(items).to_contain_text("Too small")
        expect(items).to_contain_text("Tight on the shoulders")
        expect(items).to_contain_text("Colour is darker than on the photos")

        # The chinos came back with a stain: not sellable.
        receive = page.get_by_test_id("receive-lines")
        receive.get_by_label("Condition of CHN-BEI-32").select_option("damaged")
        page.screenshot(path=str(ARTIFACTS / "returns-desk.png"), full_page=True)

        page.get_by_test_id("receive-and-refund").click()

        expect(page.get_by_test_id("return-status")).to_have_text("Refunded")
        expect(page.get_by_test_id("refunded")).to_contain_text(
            "Refunded 118.90 EUR to card online."
        )
        expect(page.get_by_test_id("return-items")).to_contain_text(
            "Damaged, not sellable"
        )
        expect(page.get_by_test_id("money-back")).to_contain_text("118.90")
        page.screenshot(
            path=str(ARTIFACTS / "returns-desk-refunded.png"), full_page=True
        )
    finally:
        page.screenshot(path=str(ARTIFACTS / "returns-desk-last.png"), full_page=True)

    ret = Return.objects.get(code=code)
    assert ret.status == ReturnStatus.REFUNDED
    assert ret.receiving_location == started_online["torino"]
    assert Refund.objects.get().amount == Decimal("118.90")
    torino = started_online["torino"]
    assert (
        StockLevel.objects.get(variant=started_online["shirt"], location=torino).on_hand
        == 1
    )
    assert (
        StockLevel.objects.get(
            variant=started_online["chinos"], location=torino
        ).on_hand
        == 0
    )


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customers_orders_fit_a_tablet_with_start_a_return_in_reach(
    live_server, page
):
    """Searched by email, the customer's orders — several items each, one of them
    on an open return, one on a return waiting at this shop — fit a tablet held
    upright or on its side: nothing scrolls sideways and every "Start a return" is
    on the screen."""
    milano = LocationFactory(code="MI01", name="Milano Centro")
    staff = StaffFactory(username="luca", store=milano)
    names = [
        "High-waist wide-leg trousers",
        "Cable-knit cotton jumper",
        "Linen camp-collar shirt",
        "Merino roll-neck sweater",
    ]
    items = [
        stocked(
            milano, 9, price="59.00", sku=f"LONG-{n}", product=ProductFactory(name=name)
        )
        for n, name in enumerate(names)
    ]
    user, customer = shopper("customer@example.com", last_name="Lovelace")
    orders = [
        collected_order(
            store=milano,
            lines=[(item, 2) for item in items[:count]],
            customer=customer,
            staff=staff,
        )
        for count in (4, 2, 1)
    ]
    line = orders[2].lines.get()
    started = api_client_for(user).post(
        "/api/v1/returns/",
        {
            "order": orders[2].number,
            "lines": [{"order_line": line.pk, "quantity": 1, "reason": "too_small"}],
        },
        format="json",
    )
    assert started.status_code == 201, started.json()
    first = orders[0].lines.order_by("id").first()
    request_return(  # brought to this shop's counter: waiting here
        order=orders[0],
        lines=[ReturnLineRequest(first.pk, 1, "too_small")],
        channel="store",
        actor=staff,
        location=milano,
    )
    sign_in(page, live_server, staff)
    ARTIFACTS.mkdir(exist_ok=True)

    for width, height in ((768, 1024), (1024, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/staff/orders/returns/?q=customer@example.com")
        expect(page.get_by_test_id("customer-orders")).to_contain_text(orders[0].number)
        page.screenshot(
            path=str(ARTIFACTS / f"returns-desk-customer-{width}.png"), full_page=True
        )
        assert fits_the_screen(page), width
        starts = page.get_by_test_id("customer-orders").get_by_role(
            "link", name="Start a return"
        )
        expect(starts).to_have_count(3)
        for n in range(3):
            box = starts.nth(n).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, n)
