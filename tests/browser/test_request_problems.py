"""A request htmx sends that fails (the server busy, the network gone) is not silent:
the banner at the top says what happened, and goes once a request works again."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.counter_helpers import sign_in
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SEARCH = re.compile(r"/staff/stock/\?q=")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_failed_search_says_so_until_the_next_one_works(live_server, page):
    shop = LocationFactory(name="Milano Centro")
    stock(VariantFactory(sku="SHIRT-BLU-M"), shop, 5)
    StaffFactory(username="giulia", store=shop)
    page.set_viewport_size({"width": 1024, "height": 768})
    try:
        sign_in(page, live_server)
        page.click("nav.main >> text=Stock")
        search = page.get_by_label("Name, SKU or barcode")
        banner = page.get_by_role("alert").and_(page.locator("#request-problem"))
        expect(banner).to_be_hidden()

        # The server answers the search as it does while the database restarts.
        page.route(SEARCH, lambda route: route.fulfill(status=503, body="busy"))
        search.fill("SHIRT")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("busy or restarting: try again in a moment")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "request-problem-banner.png"))
        page.unroute(SEARCH)

        page.context.set_offline(True)  # the tablet loses the shop's Wi-Fi
        search.fill("SHIRT-B")
        expect(banner).to_contain_text("No connection to the server")
        page.context.set_offline(False)

        search.fill("SHIRT-BLU")
        expect(page.get_by_test_id("lookup-results")).to_contain_text("SHIRT-BLU-M")
        expect(banner).to_be_hidden()
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "request-problems.png"), full_page=True)
