"""An associate opens a customer's 360° view and sees their loyalty tier, what is
left to the next one and what their points are worth."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import collected_order, counter_sale, shopper

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_sees_tier_progress_and_points_worth(live_server, page):
    store = shop(code="MI01", name="Milano Centro")
    item = stocked(store, 20, price="240.00", product__name="Linen blazer")
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=store
    )
    _, customer = shopper("martina.ferrari@example.com")
    collected_order(store=store, lines=[(item, 1)], customer=customer)  # 240 points
    counter_sale(store=store, lines=[(item, 2)], staff=associate, customer=customer)
    deliver_outbox()  # 720 spent reaches Silver: 480 × 1.25 = 600 points

    page.set_viewport_size({"width": 1024, "height": 768})
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/staff/customers/{customer.pk}/")

        loyalty = page.get_by_test_id("customer-loyalty")
        expect(page.get_by_test_id("tier")).to_have_text("Silver")
        expect(page.get_by_test_id("tier-spend")).to_have_text("720.00 EUR")
        expect(page.get_by_test_id("tier-progress")).to_contain_text(
            "780.00 EUR more to Gold"
        )
        expect(page.get_by_test_id("points-balance")).to_have_text("840")
        expect(page.get_by_test_id("points-value")).to_have_text("8.40 EUR")
        expect(page.get_by_test_id("points")).to_have_text("840")
        expect(page.get_by_test_id("points-worth")).to_have_text("· worth 8.40 EUR")
        expect(loyalty).to_be_visible()
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "customer-360-loyalty.png"))
