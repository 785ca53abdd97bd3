"""In Chromium, under the Content Security Policy, the staff and admin pages work and
the browser refuses nothing: no inline script, handler or style was left behind."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from omnistore.accounts.models import Role
from tests.factories import LocationFactory, ProductFactory, UserFactory, VariantFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAGES = [
    "/staff/stock/",
    "/staff/stock/transfers/",
    "/staff/customers/",
    "/staff/orders/sale/",
    "/staff/orders/returns/",
    "/admin/",
    "/admin/orders/order/",
    "/admin/axes/accessattempt/",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_pages_run_under_the_policy_without_refusals(live_server, page):
    LocationFactory(code="MI01", name="Milano Centro")
    LocationFactory(code="RM01", name="Roma Termini")
    VariantFactory(product=ProductFactory(name="Oxford shirt"), sku="SHIRT-BLU-M")
    UserFactory(
        username="hq", role=Role.HQ, is_staff=True, is_superuser=True, store=None
    )
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.set_viewport_size({"width": 1024, "height": 768})

    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", "hq")
    page.fill("#id_password", "pass-1234")
    page.click("button[type=submit]")
    shop = page.get_by_label("Shop")
    expect(shop.locator("option:checked")).to_have_text("Milano Centro")
    # the shop picker sends itself when changed: staff.js, not an inline handler
    with page.expect_navigation():
        shop.select_option(label="Roma Termini")
    expect(page.get_by_label("Shop").locator("option:checked")).to_have_text(
        "Roma Termini"
    )
    # htmx still searches as one types
    page.goto(f"{live_server.url}/staff/stock/")
    page.get_by_role("searchbox").first.fill("SHIRT")
    expect(page.locator("#lookup-results")).to_contain_text("SHIRT-BLU-M")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-under-csp.png"), full_page=True)

    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert refused == []
