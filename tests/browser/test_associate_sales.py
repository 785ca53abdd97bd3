"""A store manager reads sales by associate for the month and downloads the CSV."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from omnistore.accounts.models import Role
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def month_of_sales():
    milano = shop(code="MI01", name="Milano Centro")
    carla = StaffFactory(store=milano, first_name="Carla", last_name="Cassa")
    giulia = StaffFactory(store=milano, first_name="Giulia", last_name="Bianchi")
    make_approver(StaffFactory(username="marta", store=milano, role=Role.STORE_MANAGER))
    for price in ("120.00", "80.00"):
        item = stocked(milano, 5, price=price)
        counter_sale(
            store=milano, lines=[(item, 1)], staff=carla, helped_by={item.pk: giulia.pk}
        )
    counter_sale(
        store=milano, lines=[(stocked(milano, 5, price="45.00"), 1)], staff=carla
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_store_manager_reads_sales_by_associate(live_server, page, month_of_sales):
    page.set_viewport_size({"width": 1024, "height": 768})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "marta")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        page.click("nav.main >> text=Manager")
        page.get_by_test_id("associate-sales-link").click()
        rows = page.get_by_test_id("associate-row")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("Giulia Bianchi")
        expect(rows.first).to_contain_text("200.00 EUR")
        expect(page.get_by_test_id("associate-total")).to_contain_text("245.00 EUR")
        page.screenshot(path=str(ARTIFACTS / "associate-sales.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_test_id("csv").click()
        assert download.value.suggested_filename.startswith("associates-")
    finally:
        page.screenshot(
            path=str(ARTIFACTS / "associate-sales-full.png"), full_page=True
        )
