"""An associate hands a click-and-collect order over at the pickup desk."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Channel
from inventory.models import StockLevel
from orders.models import OrderStatus
from orders.selectors.orders import order_by_id
from orders.services.checkout import place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def ready_pickup():
    shop = LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )
    associate = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=shop
    )
    shirt = VariantFactory(
        product=ProductFactory(name="Oxford shirt"),
        sku="SHIRT-BLU-M",
        price=Decimal("40.00"),
    )
    belt = VariantFactory(
        product=ProductFactory(name="Leather belt"),
        sku="BELT-BRN",
        colour="Brown",
        size="90",
        price=Decimal("15.50"),
    )
    stock(shirt, shop, 5)
    stock(belt, shop, 2)
    customer = make_customer(
        email="pia@example.com",
        phone="333 123 4567",
        first_name="Pia",
        last_name="Moro",
    )
    order = place_order(
        lines=[(shirt, 2), (belt, 1)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=shop,
        customer=customer,
        payments=[PaymentRequest(method="card_online", token="tok_visa")],
    )
    mark_picked(order=order, actor=associate, location=shop)
    order = mark_ready(order=order, actor=associate, location=shop)
    return {"shop": shop, "order": order, "shirt": shirt}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_associate_refuses_a_wrong_code_then_hands_the_order_over(
    live_server, page, ready_pickup
):
    order = ready_pickup["order"]
    expires = timezone.localtime(order.pickup_expires_at)  # as the shop reads it
    page.set_viewport_size({"width": 1024, "height": 768})
    try:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("#id_username", "giulia")
        page.fill("#id_password", "pass-1234")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("current-store")).to_have_text("Milano Centro")
        expect(page.get_by_test_id("pickups-waiting")).to_contain_text("1")

        page.click("nav.main >> text=Pickup desk")
        search = page.get_by_label(
            "Order number, customer name, phone, email or loyalty card"
        )
        search.fill("Moro")  # live results while typing
        row = page.get_by_test_id("pickups").get_by_role("row", name=order.number)
        expect(row).to_contain_text("Pia Moro")
        expect(row).to_contain_text(f"{expires:%-d %b}")
        row.get_by_role("link", name="Hand over").click()

        expect(page.get_by_test_id("pickup-expiry")).to_contain_text(f"{expires:%Y}")
        code = page.get_by_label("Pickup code")
        code.fill("WRONG1")
        page.get_by_test_id("hand-over").click()
        expect(page.get_by_test_id("error-code")).to_contain_text("Wrong pickup code")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "pickup-desk-wrong-code.png"))
        assert order_by_id(order.pk).status == OrderStatus.READY

        page.get_by_label("Pickup code").fill(order.pickup_code.lower())
        page.get_by_test_id("hand-over").click()
        expect(page.get_by_test_id("collected")).to_contain_text(
            re.compile(rf"Order {order.number} collected")
        )
        expect(page.get_by_test_id("order-status")).to_have_text("Collected")
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top
        page.screenshot(path=str(ARTIFACTS / "pickup-desk.png"), full_page=True)

    order = order_by_id(order.pk)
    assert order.status == OrderStatus.COLLECTED
    assert [c.to_status for c in order.history.all()][-1] == OrderStatus.COLLECTED
    level = StockLevel.objects.get(
        variant=ready_pickup["shirt"], location=ready_pickup["shop"]
    )
    assert (level.on_hand, level.reserved) == (3, 0)
