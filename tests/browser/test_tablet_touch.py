"""The staff pages on a touch tablet: the links that open a customer, an order or an
item, and the way back, take a finger (a tap area of 40 px and more) without moving
the page's layout, which a mouse sees as before; sales by associate fit a 768 px
screen; find by name works without JavaScript."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import ClientTask
from inventory.models import MovementReason
from inventory.services.low_stock import sweep_low_stock
from inventory.services.stock import adjust_stock
from omnistore.accounts.models import Role
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import make_approver
from tests.browser.scanning_helpers import ARTIFACTS, no_horizontal_scroll, sign_in
from tests.customers.factories import make_customer
from tests.factories import ProductFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import pickup_order, shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 800}

# The link's tap area: its box, and what a finger finds at the box's top and bottom
# edges (the link itself, not the text or the row around it).
TAP_AREA = """(link) => {
  link.scrollIntoView({block: "center"});
  const box = link.getBoundingClientRect();
  const lines = link.getClientRects();
  const first = lines[0], last = lines[lines.length - 1];
  const found = [
    document.elementFromPoint(first.left + Math.min(first.width / 2, 12), box.top + 2),
    document.elementFromPoint(last.left + Math.min(last.width / 2, 12), box.bottom - 2),
  ];
  return {height: box.height, tappable: found.every(e => e && e.closest("a") === link)};
}"""


def save(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def shop_with_a_client():
    """Milano: Giulia's client Paola bought an oxford shirt today and has a task;
    two items fell low."""
    milano = shop(code="MI01", name="Milano Centro")
    giulia = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=milano
    )
    paola = make_customer(
        first_name="Paola", last_name="Ferri", email="paola@example.com"
    )
    paola.assigned_associate = giulia
    paola.save(update_fields=["assigned_associate"])
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="OX-BLU-M",
        colour="Blue",
        size="M",
        price=Decimal("69.00"),
    )
    stock(shirt, milano, 6)
    order = counter_sale(store=milano, lines=[(shirt, 1)], staff=giulia, customer=paola)
    ClientTask.objects.create(
        kind="manual",
        customer=paola,
        assignee=giulia,
        shop=milano,
        title="Call Paola about the jacket",
        due_on=timezone.localdate(),
    )
    for item in (shirt, stocked(milano, 6, price="45.00")):
        adjust_stock(
            variant=item,
            location=milano,
            delta=-5,
            reason=MovementReason.DAMAGE,
            note="broken on the shelf",
        )
    sweep_low_stock()
    return {"giulia": giulia, "paola": paola, "order": order, "shirt": shirt}


def the_main_links(url: str, floor: dict) -> dict[str, list[str]]:
    """Page -> the links that open something there."""
    paola, order, shirt = floor["paola"], floor["order"], floor["shirt"]
    return {
        f"{url}/staff/clients/": [
            "main h3 a",  # the client's name
            "[data-testid=open-tasks]",  # "1 open task"
        ],
        f"{url}/staff/customers/{paola.pk}/": [
            f"main a[href='/staff/orders/{order.number}/']"
        ],
        f"{url}/staff/orders/{order.number}/": [
            f"main a[href='/staff/customers/{paola.pk}/']"
        ],
        f"{url}/staff/clients/tasks/": [
            f"[data-testid=task] a[href='/staff/customers/{paola.pk}/']"
        ],
        f"{url}/staff/stock/low/": [
            f"[data-testid=low-stock] a[href='/staff/stock/variant/{shirt.pk}/']"
        ],
        f"{url}/staff/stock/variant/{shirt.pk}/": [".back a"],  # ← Search again
        f"{url}/staff/": ["header.top .brand"],
    }


def test_links_take_a_finger_on_a_touch_screen_and_keep_the_layout(
    live_server, browser, shop_with_a_client
):
    touch = browser.new_context(viewport=TABLET, has_touch=True)
    mouse = browser.new_context(viewport=TABLET)
    try:
        on_touch, with_mouse = touch.new_page(), mouse.new_page()
        for page in (on_touch, with_mouse):
            sign_in(page, live_server, shop_with_a_client["giulia"])
        pages = the_main_links(live_server.url, shop_with_a_client)
        for url, selectors in pages.items():
            heights = []
            for page in (on_touch, with_mouse):
                page.goto(url)
                heights.append(page.evaluate("document.documentElement.scrollHeight"))
            assert heights[0] == heights[1], f"{url}: the layout moved"
            assert no_horizontal_scroll(on_touch)
            for selector in selectors:
                link = on_touch.locator(selector).first
                expect(link).to_be_visible()
                area = link.evaluate(TAP_AREA)
                assert area["height"] >= 40 and area["tappable"], (url, selector, area)
                # With a mouse the link keeps its size.
                by_mouse = with_mouse.locator(selector).first.evaluate(TAP_AREA)
                assert by_mouse["height"] < area["height"], (url, selector)
            if url.endswith("/staff/clients/"):
                save(on_touch, "tablet-touch-client-book-768")
        on_touch.goto(
            f"{live_server.url}/staff/orders/{shop_with_a_client['order'].number}/"
        )
        save(on_touch, "tablet-touch-order-768")
        with_mouse.set_viewport_size(DESKTOP)
        with_mouse.goto(f"{live_server.url}/staff/clients/")
        save(with_mouse, "desktop-client-book-1280")
    finally:
        touch.close()
        mouse.close()


def test_sales_by_associate_fit_a_tablet(live_server, page):
    milano = shop(code="MI01", name="Milano Duomo")
    marta = make_approver(
        StaffFactory(username="marta", store=milano, role=Role.STORE_MANAGER)
    )
    giulia = StaffFactory(store=milano, first_name="Giulia", last_name="Bianchi")
    carla = StaffFactory(store=milano, first_name="Carla", last_name="Cassa")
    jumper = stocked(milano, 9, price="49.00")
    sold = counter_sale(
        store=milano,
        lines=[(jumper, 6)],
        staff=carla,
        helped_by={jumper.pk: giulia.pk},
    )
    return_at_counter(
        order=sold.number, lines=[line_request(sold)], location=milano, actor=carla
    )
    for price in ("1089.95", "1095.95"):
        pickup_order(store=milano, lines=[(stocked(milano, 5, price=price), 1)])
    sign_in(page, live_server, marta)
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/staff/orders/manager/associates/")
    expect(page.get_by_test_id("associate-row")).to_have_count(2)
    expect(page.get_by_test_id("associate-table")).to_contain_text("(1 unit)")
    save(page, "tablet-associate-sales-768")
    assert no_horizontal_scroll(page)
    fits = page.evaluate(
        """() => {
          const table = document.querySelector("[data-testid=associate-table]");
          const card = table.closest(".card").getBoundingClientRect();
          const box = table.getBoundingClientRect();
          return box.left >= card.left - 1 && box.right <= card.right + 1;
        }"""
    )
    assert fits  # every column inside the card


def test_find_by_name_without_javascript_opens_the_results_and_leads_back(
    live_server, browser, shop_with_a_client
):
    context = browser.new_context(viewport=TABLET, java_script_enabled=False)
    wishlists = f"/staff/customers/{shop_with_a_client['paola'].pk}/wishlists/"
    try:
        page = context.new_page()
        sign_in(page, live_server, shop_with_a_client["giulia"])
        page.goto(f"{live_server.url}{wishlists}")
        page.get_by_label("Find by name, colour or size").fill("oxford blue")
        page.get_by_role("button", name="Find", exact=True).click()

        results = page.get_by_test_id("lookup-results")
        expect(results).to_contain_text("OX-BLU-M")
        expect(page.get_by_label("Find by name, colour or size")).to_have_value(
            "oxford blue"
        )
        save(page, "find-by-name-without-javascript-768")
        page.get_by_test_id("find-back").click()
        expect(page).to_have_url(f"{live_server.url}{wishlists}")
        page.go_back()
        results.get_by_role("link", name="Oxford shirt").click()
        expect(page.get_by_test_id("variant-sku")).to_have_text("OX-BLU-M")
    finally:
        context.close()
