"""A product's page in the admin fits a 1366 px laptop screen with its variants:
no sideways scrolling to reach a variant's price or weight."""

import pytest

from inventory.models import Product
from omnistore.accounts.models import Role
from tests.factories import UserFactory, VariantFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_product_page_fits_a_laptop_screen(live_server, page):
    first = VariantFactory(sku="MSH-00021-LBL-XS", colour="Light blue", size="XS")
    for size in ("S", "M", "L", "XL"):
        VariantFactory(
            product=first.product, sku=f"MSH-00021-LBL-{size}", colour="Light blue"
        )
    UserFactory(username="elena", role=Role.HQ)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "elena")
    page.fill("#id_password", "pass-1234")
    page.click("input[type=submit]")
    product = Product.objects.get()
    page.goto(f"{live_server.url}/admin/inventory/product/{product.pk}/change/")
    assert page.locator("#variants-group tbody tr.has_original").count() == 5
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth,"
        " table: document.querySelector('#variants-group table')"
        ".getBoundingClientRect().right})"
    )
    assert widths["page"] <= 1366, widths
    assert widths["table"] <= 1366, widths
