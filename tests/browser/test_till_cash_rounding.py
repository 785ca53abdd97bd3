"""Cash in francs at the Zürich counter, in the browser: the change shown while the
associate types the cash handed over is worked out from the cash due rounded to the
drawer's smallest coin (0.05), as the till books it, so the preview and the receipt
say the same change."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import PriceList, PriceListPrice
from inventory.services.taxes import seed_tax_data
from orders.models import Register, TillMovement, TillMovementKind
from tests.browser.counter_helpers import open_till, sign_in
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def zurich():
    """Zürich with Giulia, its "Till 1" and a shirt at 56.61 francs: no coin makes
    it."""
    seed_tax_data()  # the Swiss price list (a flushed database has none)
    shop = LocationFactory(code="ZH01", name="Zürich", country="CH", city="Zürich")
    StaffFactory(username="giulia", first_name="Giulia", store=shop)
    Register.objects.create(location=shop, name="Till 1")
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="WSH-00001-WHT-XS",
        barcode="7600000000011",
        price=Decimal("54.00"),
    )
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=shirt,
        price=Decimal("56.61"),
    )
    stock(shirt, shop, 5)
    return shop


def test_the_change_shown_is_worked_out_from_the_cash_due_in_coins(
    live_server, page, zurich
):
    sign_in(page, live_server)
    open_till(page, {"50": 2})
    page.click("nav.main >> text=Sale")
    page.get_by_label("Scan or type a SKU / barcode").fill("7600000000011")
    page.keyboard.press("Enter")
    expect(page.locator("#checkout-total")).to_contain_text("56.61 CHF")
    checkout = page.get_by_test_id("checkout")
    checkout.get_by_role("radio", name="Cash").check()
    tendered = checkout.get_by_label("Cash tendered (empty: the exact amount)")
    change = page.get_by_test_id("change-due")

    tendered.fill("56.55")
    expect(change).to_have_text("Still due in cash: 0.05 CHF")
    tendered.fill("56.60")  # 56.61 in coins
    expect(change).to_have_text("Change due: 0.00 CHF")
    tendered.fill("100")
    expect(change).to_have_text("Change due: 43.40 CHF")

    checkout.get_by_test_id("take-payment").click()
    expect(page.get_by_test_id("change-due")).to_have_text("43.40 CHF")  # receipt
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.amount, booked.change) == (Decimal("56.60"), Decimal("43.40"))
