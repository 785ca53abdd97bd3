"""Staff screens on a tablet (768 x 1024, 1024 x 768) and a phone (390 x 844): no page
scrolls sideways, the sale basket stays inside its card with its line editors usable,
a stacked table names every cell, and a refused checkout's message goes once the
basket changes."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Channel
from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from inventory.models import MovementReason
from inventory.services.low_stock import sweep_low_stock
from inventory.services.stock import adjust_stock
from omnistore.accounts.models import Role
from tests.approvals.helpers import make_approver
from tests.browser.scanning_helpers import SCAN, no_horizontal_scroll, shot, sign_in
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}

NAMES = [
    ("High-waist wide-leg trousers", "WTR-00008-BLK-XS", "Black", "XS"),
    ("Cable-knit cotton jumper", "WKN-00007-ECR-L", "Ecru", "L"),
    ("Linen camp-collar shirt", "WSH-00001-LBL-L", "Light blue", "L"),
]


def shops():
    here = LocationFactory(
        code="MI01",
        name="Milano Duomo",
        latitude=Decimal("45.4642"),
        longitude=Decimal("9.1900"),
    )
    nearby = [
        LocationFactory(
            code=code,
            name=name,
            latitude=Decimal(lat),
            longitude=Decimal(lng),
        )
        for code, name, lat, lng in [
            ("MI02", "Milano Porta Nuova", "45.4840", "9.1900"),
            ("GE01", "Genova XX Settembre", "44.4070", "8.9340"),
            ("TO01", "Torino Via Roma", "45.0680", "7.6830"),
        ]
    ]
    return here, nearby


def items(here, nearby, units_here=9):
    found = []
    for name, sku, colour, size in NAMES:
        variant = VariantFactory(
            product=ProductFactory(name=name),
            sku=sku,
            colour=colour,
            size=size,
            barcode=None,
            price=Decimal("119.00"),
        )
        stock(variant, here, units_here)
        for n, shop in enumerate(nearby, start=1):
            stock(variant, shop, 10 + n)
        found.append(variant)
    return found


def associate_at(here):
    return StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=here
    )


def inside_its_card(page, selector: str, card: str) -> bool:
    return page.evaluate(
        """([selector, card]) => {
          const box = document.querySelector(card).getBoundingClientRect();
          const inner = document.querySelector(selector).getBoundingClientRect();
          return inner.left >= box.left - 1 && inner.right <= box.right + 1;
        }""",
        [selector, card],
    )


def test_the_sale_basket_fits_a_tablet_and_a_phone(live_server, page):
    here, nearby = shops()
    variants = items(here, nearby)
    sign_in(page, live_server, associate_at(here))
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/staff/orders/sale/")

    # "Take payment" on an empty basket is refused ...
    checkout = page.get_by_test_id("checkout")
    checkout.get_by_test_id("take-payment").click()
    expect(checkout.get_by_test_id("checkout-errors")).to_contain_text(
        "The basket is empty"
    )
    # ... and the refusal goes as soon as the basket changes.
    basket = page.get_by_test_id("basket")
    for variant in variants:
        page.get_by_label(SCAN).fill(variant.sku)
        page.keyboard.press("Enter")
        expect(basket.get_by_test_id(f"qty-{variant.sku}")).to_have_text("1")
    expect(checkout.get_by_test_id("checkout-errors")).to_have_count(0)
    expect(page.locator("#checkout-total")).to_have_text("357.00 EUR")
    assert no_horizontal_scroll(page)

    # Who helped and the counter price open under the line, as wide as the basket:
    # a picker that shows its choice, labelled fields of a finger's height.
    sku = variants[0].sku
    basket.get_by_test_id(f"helper-{sku}").click()
    picker = page.get_by_test_id(f"helper-select-{sku}")
    expect(picker).to_be_visible()
    assert picker.bounding_box()["width"] >= 160
    basket.get_by_test_id(f"price-{sku}").click()
    price = basket.get_by_label(f"New price of {sku}")
    expect(price).to_be_visible()
    assert price.bounding_box()["height"] >= 40
    assert (
        basket.get_by_label(f"Why the price of {sku} changes").bounding_box()["height"]
        >= 40
    )
    assert no_horizontal_scroll(page)
    shot(page, "layout-sale-basket", 768)

    # Beside the checkout (1024 x 768) the lines stay inside the basket's card and
    # the names are not squeezed into a narrow column.
    page.set_viewport_size(LANDSCAPE)
    assert no_horizontal_scroll(page)
    assert inside_its_card(page, "table.basket-lines", "#basket")
    name = basket.locator("td.line-item strong").first.bounding_box()
    assert name["width"] >= 200
    shot(page, "layout-sale-basket", 1024)

    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    assert inside_its_card(page, "table.basket-lines", "#basket")
    shot(page, "layout-sale-basket", 390)


def test_a_wishlist_fits_a_tablet(live_server, page):
    here, nearby = shops()
    variants = items(here, nearby)
    associate = associate_at(here)
    customer = make_customer(
        email="chiara.verdi@example.com", first_name="Chiara", last_name="Verdi"
    )
    update_profile(customer=customer, preferred_store=here)
    for variant in variants:
        add_wishlist_item(
            customer=customer,
            variant=variant,
            note="Tried on in the shop: this size fits.",
            channel=Channel.WEB,
        )
    sign_in(page, live_server, associate)
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/staff/customers/{customer.pk}/wishlists/")
    expect(page.get_by_test_id("wishlist-item")).to_have_count(3)
    assert no_horizontal_scroll(page)
    for variant in variants:  # Sell and Remove on the screen
        for button in (f"sell-{variant.sku}", f"remove-{variant.sku}"):
            box = page.get_by_test_id(button).bounding_box()
            assert box["x"] + box["width"] <= TABLET["width"]
    shot(page, "layout-wishlists", 768)
    page.set_viewport_size(LANDSCAPE)
    assert no_horizontal_scroll(page)


def test_low_stock_fits_a_tablet_and_names_every_cell_on_a_phone(live_server, page):
    here, nearby = shops()
    variants = items(here, nearby, units_here=6)
    for variant in variants:
        adjust_stock(
            variant=variant,
            location=here,
            delta=-4,
            reason=MovementReason.DAMAGE,
            note="broken on the shelf",
        )
    sweep_low_stock()
    sign_in(page, live_server, associate_at(here))
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/staff/stock/low/")
    table = page.get_by_test_id("low-stock")
    expect(table.locator("tbody tr")).to_have_count(3)
    assert no_horizontal_scroll(page)
    ask = page.get_by_test_id(f"ask-{variants[0].sku}").bounding_box()
    assert ask["x"] + ask["width"] <= TABLET["width"]
    # The item's name has room: a line or two, not a word a line.
    name = table.locator("tbody tr").first.locator("td a").first.bounding_box()
    assert name["width"] >= 180 and name["height"] <= 60
    shot(page, "layout-low-stock", 768)
    page.set_viewport_size(LANDSCAPE)
    assert no_horizontal_scroll(page)

    # A phone stacks the rows: each cell says which column it is.
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    expect(table.locator("thead")).to_be_hidden()
    labels = (
        table.locator("tbody tr")
        .first.locator("td")
        .evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
    )
    assert labels == [
        '"Item"',
        '"On hand"',
        '"Reserved"',
        '"Available"',
        '"Threshold"',
        '"Low since"',
    ]
    shot(page, "layout-low-stock", 390)


def test_the_managers_day_fits_a_tablet(live_server, page):
    here, nearby = shops()
    associate = associate_at(here)
    for price in ("1234.50", "89.90"):
        counter_sale(
            store=here,
            lines=[(stocked(here, 5, price=price), 1)],
            staff=associate,
        )
    manager = make_approver(
        StaffFactory(
            username="marco",
            first_name="Marco",
            last_name="Rossi",
            store=here,
            role=Role.STORE_MANAGER,
        )
    )
    sign_in(page, live_server, manager)
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/staff/orders/manager/")
    expect(page.get_by_test_id("by-associate")).to_contain_text("Giulia Bianchi")
    assert no_horizontal_scroll(page)
    # The charts' legends are read at 12 px or more (their size times the chart's
    # scale on the screen).
    legend = page.locator(".report-chart svg text").first
    shown = legend.evaluate(
        """t => parseFloat(getComputedStyle(t).fontSize)
             * t.ownerSVGElement.getBoundingClientRect().width
             / t.ownerSVGElement.viewBox.baseVal.width"""
    )
    assert shown >= 12
    shot(page, "layout-manager-day", 768)
    page.set_viewport_size(LANDSCAPE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    shot(page, "layout-manager-day", 390)
    # On a laptop's 1280 px the manager's menu is one line.
    page.set_viewport_size({"width": 1280, "height": 800})
    rows = page.locator("nav.main a").evaluate_all(
        "links => new Set(links.map(a => Math.round(a.getBoundingClientRect().top)))"
        ".size"
    )
    assert page.locator("nav.main a", has_text="Manager").count() == 1
    assert rows == 1
