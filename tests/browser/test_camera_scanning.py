"""Camera scanning for tablets: Chromium's fake capture device plays a video the test
draws (an EAN-13 barcode, a pickup QR), and the screens act on what the camera saw."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Channel
from orders.models import Order
from orders.selectors.pickups import pickup_qr_payload
from orders.services.checkout import place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from tests.browser.fake_camera import (
    ean13_check_digit,
    ean13_image,
    qr_image,
    write_y4m,
)
from tests.browser.scanning_helpers import ARTIFACTS, make_shop, sign_in
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.customers.factories import make_customer
from tests.factories import ProductFactory, VariantFactory, stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EAN = "400638133393"
EAN += ean13_check_digit(EAN)
HARD_QR_NUMBER, HARD_QR_CODE = "OS-8G1ED-HZFK9", "VKNWT93X"


def camera_page(browser_type, video, tmp_path):
    """A browser of its own whose camera plays ``video``."""
    browser = browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={write_y4m(tmp_path / 'cam.y4m', video)}",
        ],
    )
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    return browser, context.new_page()


def close(browser, page, name: str) -> None:
    """The page as the test left it (a failure's too: this browser is not the
    plugin's, which screenshots failures), then the browser closed."""
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-last.png"), full_page=True)
    finally:
        browser.close()


def test_the_camera_reads_an_ean13_into_the_sale(live_server, browser_type, tmp_path):
    shop, associate, _ = make_shop(1)
    item = VariantFactory(
        product=ProductFactory(name="Camera shirt"),
        sku="CAM-1",
        barcode=EAN,
        price=Decimal("25.00"),
    )
    stock(item, shop, 3)
    browser, page = camera_page(browser_type, ean13_image(EAN), tmp_path)
    try:
        sign_in(page, live_server, associate)
        page.goto(f"{live_server.url}/staff/orders/sale/")
        page.get_by_test_id("camera-id_code").click()

        basket = page.get_by_test_id("basket")
        expect(basket.get_by_test_id("qty-CAM-1")).to_have_text("1", timeout=30000)
        expect(page.get_by_test_id("camera-view")).to_have_count(0)
        decoder = page.locator("html").get_attribute("data-camera-decoder")
        if not page.evaluate("'BarcodeDetector' in window"):
            assert decoder == "zxing"  # the vendored library read it
        else:
            assert decoder in {"native", "zxing"}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "camera-ean13.png"))
    finally:
        close(browser, page, "camera-ean13")


def ready_pickup(shop, associate):
    item = VariantFactory(product=ProductFactory(name="Oxford shirt"), sku="OX-1")
    stock(item, shop, 3)
    order = place_order(
        lines=[(item, 1)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=shop,
        customer=make_customer(email="pia@example.com", first_name="Pia"),
        payments=[PaymentRequest(method="card_online", token="tok_visa")],
    )
    mark_picked(order=order, actor=associate, location=shop)
    return mark_ready(order=order, actor=associate, location=shop)


def test_the_camera_reads_a_pickup_qr_and_opens_the_hand_over(
    live_server, browser_type, tmp_path
):
    shop, associate, _ = make_shop(0)
    order = ready_pickup(shop, associate)
    # A code ZXing does not read at the camera's full size, only smaller.
    Order.objects.filter(pk=order.pk).update(
        number=HARD_QR_NUMBER, pickup_code=HARD_QR_CODE
    )
    order.refresh_from_db()
    video = qr_image(pickup_qr_payload(order))
    browser, page = camera_page(browser_type, video, tmp_path)
    try:
        sign_in(page, live_server, associate)
        page.goto(f"{live_server.url}/staff/orders/pickup/")
        page.get_by_test_id("camera-id_q").click()

        expect(page).to_have_url(
            f"{live_server.url}/staff/orders/pickup/{order.number}/", timeout=30000
        )
        expect(page.get_by_test_id("scanned-code")).to_contain_text("matches")
        expect(page.get_by_label("Pickup code")).to_have_value(order.pickup_code)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "camera-pickup-qr.png"))
    finally:
        close(browser, page, "camera-pickup-qr")
