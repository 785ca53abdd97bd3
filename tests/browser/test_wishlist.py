"""An associate on a tablet opens a customer's wishlist from the 360° page and adds an
item by scanning it: it is listed as theirs, with this shop's stock."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.models import Channel, WishlistItem
from customers.services.matching import match_customer
from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def wishing_customer():
    shop = LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.4642"),
        longitude=Decimal("9.1900"),
    )
    monza = LocationFactory(
        code="MB01",
        name="Monza Arengario",
        latitude=Decimal("45.5845"),
        longitude=Decimal("9.2744"),
    )
    bergamo = LocationFactory(
        code="BG01",
        name="Bergamo Alta",
        latitude=Decimal("45.7037"),
        longitude=Decimal("9.6623"),
    )
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    customer = match_customer(
        email="martina.ferrari@example.com",
        first_name="Martina",
        last_name="Ferrari",
        channel=Channel.WEB,
    )
    update_profile(customer=customer, preferred_store=shop)
    scarf = VariantFactory(
        sku="SCF-SILK-NV",
        product__name="Silk scarf",
        colour="Navy",
        size="",
        price=Decimal("59.00"),
    )
    stock(scarf, monza, 3)
    stock(scarf, bergamo, 1)
    add_wishlist_item(
        customer=customer,
        variant=scarf,
        note="For the wedding in June",
        channel=Channel.WEB,
    )
    dress = VariantFactory(
        sku="DRS-LIN-SD-S",
        barcode="8012345678901",
        product__name="Linen dress",
        colour="Sand",
        size="S",
        price=Decimal("129.00"),
    )
    stock(dress, shop, 2)
    stock(dress, monza, 4)
    return {"associate": associate, "customer": customer, "dress": dress}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_scans_an_item_onto_a_customers_wishlist(
    live_server, page, wishing_customer
):
    page.set_viewport_size({"width": 1024, "height": 768})
    customer = wishing_customer["customer"]
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("current-store")).to_have_text("Milano Centro")

        page.goto(f"{live_server.url}/staff/customers/{customer.pk}/")
        panel = page.get_by_test_id("wishlist-panel")
        expect(panel).to_contain_text("Silk scarf")
        expect(panel).to_contain_text("0 here")
        panel.get_by_test_id("open-wishlists").click()

        expect(page.get_by_role("heading", name="My wishlist")).to_be_visible()
        code = page.get_by_label("Scan or type a SKU / barcode")
        expect(code).to_be_focused()  # ready for the scanner
        code.fill("8012345678901")  # a scanner types the barcode and Enter
        code.press("Enter")

        expect(page.get_by_test_id("wishlist-added")).to_contain_text("Linen dress")
        row = page.locator('[data-testid="wishlist-item"][data-sku="DRS-LIN-SD-S"]')
        expect(row.get_by_test_id("added-by")).to_contain_text(
            "added by Giulia Bianchi"
        )
        expect(row.get_by_test_id("added-by")).to_contain_text("Milano Centro")
        expect(row.get_by_test_id("available-here")).to_contain_text("2")
        expect(row.get_by_test_id("available-here")).to_contain_text("in stock here")
        expect(row.get_by_test_id("available-nearby")).to_contain_text(
            "Monza Arengario"
        )
        scarf = page.locator('[data-testid="wishlist-item"][data-sku="SCF-SILK-NV"]')
        expect(scarf.get_by_test_id("added-by")).to_contain_text(
            "added by the customer"
        )
        expect(scarf.get_by_test_id("available-here")).to_contain_text("none here")
        expect(page.get_by_label("Scan or type a SKU / barcode")).to_be_focused()
        page.screenshot(path=str(ARTIFACTS / "wishlist.png"))

        # Back on the 360° page the card shows the new item first, with stock here.
        page.get_by_test_id("back-to-customer").click()
        panel = page.get_by_test_id("wishlist-panel")
        expect(panel.locator("li").first).to_contain_text("Linen dress")
        expect(panel.locator("li").first).to_contain_text("2 here")
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "wishlist-360.png"))

        item = WishlistItem.objects.get(variant=wishing_customer["dress"])
        assert item.added_by_staff == wishing_customer["associate"]
        assert item.added_at_location.name == "Milano Centro"
        assert item.wishlist.customer == customer
    finally:
        page.screenshot(path=str(ARTIFACTS / "wishlist-full.png"), full_page=True)
