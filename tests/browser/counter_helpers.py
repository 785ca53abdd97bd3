"""What the counter's browser tests share: a shop with a till and a shirt to sell,
the associate signing in by typing the password, and the till opened with a float."""

from decimal import Decimal

from playwright.sync_api import expect

from orders.models import Register
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)


def make_counter():
    """Milano Centro with Giulia, its "Till 1" and five Oxford shirts at 69.00."""
    shop = LocationFactory(code="MI01", name="Milano Centro")
    StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    Register.objects.create(location=shop, name="Till 1")
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="SHIRT-BLU-M",
        barcode="8000000000017",
        price=Decimal("69.00"),
    )
    stock(shirt, shop, 5)
    return shop


def sign_in(page, live_server, username="giulia") -> None:
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.click("button[type=submit]")


def open_till(page, counts: dict[str, int]) -> None:
    """Open the till from its page, counting ``counts`` (denomination label: how many)
    into the float."""
    page.click("nav.main >> text=Till")
    opening = page.get_by_test_id("till-open")
    for denomination, how_many in counts.items():
        opening.get_by_label(denomination, exact=True).fill(str(how_many))
    opening.get_by_test_id("open-till").click()
    expect(page.get_by_test_id("till-session")).to_be_visible()  # open, swapped in
