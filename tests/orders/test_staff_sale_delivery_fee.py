"""A sale the shop sends to the customer's home, taken on the phone or at the counter
(the endless aisle), pays its market's delivery fee as the same parcel ordered
online does: free from the market's threshold and for a customer whose loyalty
tier travels free. The sale screen shows the delivery with its amount before
payment, the amount to pay and the card's charge include it, and the order, its
receipt and its invoice carry it. A pickup and a sale taken now pay none."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.markets import forget_tax_table
from inventory.models import Market
from omnistore.core.channels import Channel
from orders.models import (
    Cart,
    CartStatus,
    Invoice,
    Order,
    PaymentMethod,
    TerminalIntent,
    TerminalIntentStatus,
)
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.receipt_helpers import legal_entity
from tests.orders.returns_helpers import collected_order, shopper
from tests.orders.terminal_helpers import reader, simulator
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Torino 1",
    "postcode": "20123",
    "city": "Milano",
    "country": "IT",
}
CARD = PaymentMethod.CARD_IN_STORE


@pytest.fixture(autouse=True)
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 200.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"), free_delivery_from=Decimal("200.00")
    )
    forget_tax_table()
    yield
    forget_tax_table()


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def other_shop():
    return LocationFactory(
        code="MI02", name="Milano Isola", latitude=Decimal("45.486000")
    )


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def coat(shop, other_shop):
    item = VariantFactory(sku="COAT-BLK-L", price="120.00")
    stock(item, shop, 3)
    stock(item, other_shop, 3)
    stock(item, WarehouseFactory(code="WH01", name="Piacenza DC"), 3)
    return item


@pytest.fixture
def ada():
    return make_customer(phone="+393331234567", email="ada@example.com")


def on_the_phone(client):
    client.post(reverse("staff:sale_phone"), {"phone": "on"}, **HTMX)


def scan(client, code) -> str:
    response = client.post(reverse("staff:sale_add"), {"code": code}, **HTMX)
    assert response.status_code == 200, response.content.decode()
    return response.content.decode()


def attach(client, value="3331234567", kind="phone"):
    response = client.post(
        reverse("staff:sale_customer"), {"kind": kind, "value": value}, **HTMX
    )
    assert 'data-testid="attached-customer"' in response.content.decode()


def checkout(client, **data):
    return client.post(reverse("staff:sale_checkout"), data, **HTMX)


def sale_page(client, mode: str) -> str:
    return client.get(reverse("staff:sale") + f"?mode={mode}").content.decode()


def shown_delivery(html: str) -> str:
    return html.split('data-testid="delivery-fee">', 1)[1].split("<", 1)[0]


def shown_total(html: str) -> str:
    return html.split('<strong id="checkout-total">', 1)[1].split("<", 1)[0]


def test_a_phone_order_delivered_home_shows_and_pays_the_delivery_fee(
    staff, shop, coat, ada
):
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)

    html = sale_page(staff, "delivery")

    assert shown_delivery(html) == "4.90 EUR"
    assert "Delivery to IT" in html
    assert shown_total(html) == "124.90 EUR"
    assert 'data-testid="basket-total">120.00 EUR<' in html  # the items alone

    response = checkout(staff, mode="delivery", method_1=CARD, **ADDRESS)

    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert order.channel == Channel.PHONE
    assert (order.subtotal, order.delivery_fee, order.total) == (
        Decimal("120.00"),
        Decimal("4.90"),
        Decimal("124.90"),
    )
    assert [(p.method, p.amount) for p in order.payments.all()] == [
        (CARD, Decimal("124.90"))
    ]
    assert order.net_total + order.tax_total == order.total
    assert sum(t.gross for t in order.tax_totals.all()) == order.total


def test_the_card_reader_is_asked_for_the_goods_and_the_delivery(
    staff, shop, coat, ada
):
    reader(shop, label="Till 1")
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)

    checkout(staff, mode="delivery", method_1=CARD, **ADDRESS)

    intent = TerminalIntent.objects.get(status=TerminalIntentStatus.PENDING)
    assert intent.amount == Decimal("124.90")
    simulator().decide(intent.provider_reference, TerminalIntentStatus.SUCCEEDED)
    staff.get(reverse("staff:sale_terminal", args=[intent.reference]), **HTMX)
    order = Order.objects.get()
    assert (order.delivery_fee, order.total) == (Decimal("4.90"), Decimal("124.90"))
    assert order.payments.get().amount == Decimal("124.90")


def test_the_receipt_and_the_invoice_carry_the_delivery(staff, shop, coat, ada):
    Market.objects.filter(code="EU").update(legal_entity=legal_entity())
    forget_tax_table()
    ada.company_name, ada.vat_number = "Studio Lovelace", "IT00743110157"
    ada.save(update_fields=["company_name", "vat_number"])
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)
    checkout(staff, mode="delivery", method_1=CARD, **ADDRESS)
    order = Order.objects.get()

    receipt = staff.get(reverse("staff:sale_receipt", args=[order.number]))
    html = receipt.content.decode()
    assert "Delivery" in html and "4.90" in html and "124.90" in html

    staff.post(reverse("staff:invoice_issue", args=[order.number]))
    invoice = Invoice.objects.get(order=order)
    assert invoice.gross == Decimal("124.90")
    assert (invoice.lines[-1]["name"], invoice.lines[-1]["gross"]) == (
        "Delivery",
        "4.90",
    )


def test_a_shop_sale_delivered_home_pays_it_and_pickups_and_take_now_do_not(
    staff, shop, other_shop, coat, ada
):
    scan(staff, coat.sku)
    attach(staff)
    assert shown_total(sale_page(staff, "carry_out")) == "120.00 EUR"
    assert 'data-testid="delivery-fee"' not in sale_page(staff, "pickup")

    checkout(staff, mode="delivery", method_1=CARD, **ADDRESS)
    delivered = Order.objects.get()
    assert (delivered.channel, delivered.delivery_fee, delivered.total) == (
        Channel.STORE,
        Decimal("4.90"),
        Decimal("124.90"),
    )

    scan(staff, coat.sku)
    attach(staff)
    checkout(staff, mode="pickup", store=other_shop.pk, method_1=CARD)
    scan(staff, coat.sku)
    checkout(staff, mode="carry_out", method_1=CARD)
    picked_up, taken = Order.objects.exclude(pk=delivered.pk).order_by("pk")
    assert (picked_up.fulfilment_method, picked_up.delivery_fee) == (
        "pickup",
        Decimal("0.00"),
    )
    assert (taken.fulfilment_method, taken.delivery_fee) == (
        "carry_out",
        Decimal("0.00"),
    )
    assert [o.total for o in (picked_up, taken)] == [Decimal("120.00")] * 2


def test_paying_the_goods_alone_is_refused_naming_the_total_with_delivery(
    staff, coat, ada
):
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)

    response = checkout(
        staff, mode="delivery", method_1=CARD, amount_1="120.00", **ADDRESS
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "the total is 124.90" in html
    assert shown_delivery(html) == "4.90 EUR"
    assert Order.objects.count() == 0
    assert Cart.objects.get().status == CartStatus.OPEN


def test_goods_reaching_the_threshold_travel_free_as_the_basket_grows(staff, coat, ada):
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)
    assert shown_delivery(sale_page(staff, "delivery")) == "4.90 EUR"

    html = scan(staff, coat.sku)  # 240.00 of goods: the basket sends the total again

    assert 'data-testid="checkout-delivery" hx-swap-oob="true"' in html
    assert shown_delivery(html) == "0.00 EUR"
    assert "(free)" in html
    assert '<strong id="checkout-total" hx-swap-oob="true">240.00 EUR<' in html
    checkout(staff, mode="delivery", method_1=CARD, **ADDRESS)
    order = Order.objects.get()
    assert (order.delivery_fee, order.total) == (Decimal("0.00"), Decimal("240.00"))


def test_a_customer_whose_tier_travels_free_pays_no_delivery_by_phone(
    staff, shop, coat
):
    _, nora = shopper("nora@example.com")
    collected_order(store=shop, lines=[(coat, 1)], customer=nora)
    Order.objects.filter(customer=nora).update(total=Decimal("1600.00"))  # Gold
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff, nora.loyalty_number, kind="loyalty")

    assert shown_total(sale_page(staff, "delivery")) == "120.00 EUR"

    checkout(staff, mode="delivery", method_1=CARD, **ADDRESS)
    order = Order.objects.get(channel=Channel.PHONE)
    assert order.customer == nora
    assert (order.delivery_fee, order.total) == (Decimal("0.00"), Decimal("120.00"))
