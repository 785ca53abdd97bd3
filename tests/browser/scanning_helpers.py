"""What the scanning browser tests share: a signed-in associate and a shop with items."""

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.test import Client

from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCAN = "Scan or type a SKU / barcode"


def make_shop(n_items: int = 5):
    shop = LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    items = []
    for n in range(1, n_items + 1):
        item = VariantFactory(
            product=ProductFactory(name=f"Item {n}"),
            sku=f"ITEM-{n}",
            barcode=f"80000000000{n:02d}",
            price=Decimal("10.00") * n,
        )
        stock(item, shop, 9)
        items.append(item)
    return shop, associate, items


def sign_in(page, live_server, user) -> None:
    """The session cookie of a signed-in user, without typing the password."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )


def shot(page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
