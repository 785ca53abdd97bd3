"""A customer on the phone: the associate turns "Customer on the phone" on at the sale
screen and the order is a phone order of the shop, taken by the associate, delivered
or picked up, paid with what needs nobody at the counter (the card keyed on the
shop's terminal, stored value); its discount code follows the phone's rules."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import Reservation
from omnistore.core.channels import Channel
from orders.models import (
    Cart,
    CartStatus,
    Order,
    PaymentMethod,
    TerminalIntent,
    TerminalIntentStatus,
    TillMovement,
)
from orders.selectors.manager import Days, sales_by_channel
from orders.selectors.reports import sales_report
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.discount_helpers import discount_code
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import credit_of, give_credit
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


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )


@pytest.fixture
def other_shop():
    return LocationFactory(
        code="MI02",
        name="Milano Isola",
        latitude=Decimal("45.486000"),
        longitude=Decimal("9.190000"),
    )


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="WH01", name="Piacenza DC")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def coat(shop, other_shop, warehouse):
    item = VariantFactory(sku="COAT-BLK-L", price="120.00")
    stock(item, shop, 3)
    stock(item, other_shop, 3)
    stock(item, warehouse, 3)
    return item


@pytest.fixture
def ada():
    return make_customer(phone="+393331234567", email="ada@example.com")


def on_the_phone(client, on=True):
    return client.post(
        reverse("staff:sale_phone"), {"phone": "on" if on else "off"}, **HTMX
    )


def scan(client, code):
    response = client.post(reverse("staff:sale_add"), {"code": code}, **HTMX)
    assert response.status_code == 200, response.content.decode()


def attach(client, value="3331234567", kind="phone"):
    response = client.post(
        reverse("staff:sale_customer"), {"kind": kind, "value": value}, **HTMX
    )
    assert 'data-testid="attached-customer"' in response.content.decode()


def checkout(client, **data):
    return client.post(reverse("staff:sale_checkout"), data, **HTMX)


def page(client, url=None) -> str:
    return client.get(url or reverse("staff:sale")).content.decode()


def test_the_sale_page_offers_the_choice_and_shows_a_phone_order_when_it_is_on(
    staff, coat
):
    scan(staff, coat.sku)
    html = page(staff)
    assert 'data-testid="phone-toggle"' in html and 'aria-pressed="false"' in html
    assert "Take now" in html and "<h1>Sale " in html

    response = on_the_phone(staff)

    assert response["HX-Redirect"] == reverse("staff:sale")
    html = page(staff)
    assert "<h1>Phone order " in html
    assert 'aria-pressed="true"' in html and 'data-testid="phone-rules"' in html
    # Taken now is not offered; the mode left on it asks to choose, with no payment.
    assert "?mode=carry_out" not in html
    assert "?mode=delivery" in html and "?mode=pickup" in html
    assert 'data-testid="phone-choose-mode"' in html
    assert 'data-testid="take-payment"' not in html

    html = page(staff, reverse("staff:sale") + "?mode=delivery")
    assert 'data-testid="phone-order"' in html
    assert 'value="card_in_store"' in html and "Card, keyed on the terminal" in html
    assert 'value="cash"' not in html and 'value="mobile_wallet"' not in html
    assert 'name="tendered"' not in html
    assert 'name="gift_card_number"' in html and 'name="store_credit_amount"' in html


def test_a_pickup_at_another_shop_paid_by_card_on_the_shops_terminal(
    staff, shop, other_shop, associate, coat, ada
):
    device = reader(shop, label="Till 1")
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)

    response = checkout(
        staff,
        mode="pickup",
        store=other_shop.pk,
        method_1=PaymentMethod.CARD_IN_STORE,
    )

    intent = TerminalIntent.objects.get(status=TerminalIntentStatus.PENDING)
    assert response["HX-Redirect"] == reverse(
        "staff:sale_terminal", args=[intent.reference]
    )
    assert (intent.device, intent.amount) == (device, Decimal("120.00"))
    assert Order.objects.count() == 0
    waiting = staff.get(reverse("staff:sale_terminal", args=[intent.reference]))
    assert "Key in the card the customer reads out" in waiting.content.decode()
    assert "Ask the customer to tap" not in waiting.content.decode()
    simulator().decide(intent.provider_reference, TerminalIntentStatus.SUCCEEDED)
    poll = staff.get(reverse("staff:sale_terminal", args=[intent.reference]), **HTMX)

    order = Order.objects.get()
    assert poll["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    receipt = staff.get(reverse("staff:sale_receipt", args=[order.number]))
    assert "Phone order placed" in receipt.content.decode()
    assert order.channel == Channel.PHONE
    assert (order.placing_location, order.staff_member) == (shop, associate)
    assert order.customer == ada
    fulfilment = order.fulfilments.get()
    assert (fulfilment.location, fulfilment.pickup_location) == (other_shop, other_shop)
    payment = order.payments.get()
    assert payment.method == PaymentMethod.CARD_IN_STORE
    assert payment.provider_reference == intent.provider_reference
    assert payment.amount == Decimal("120.00")
    # The sale ended: the next one starts at the counter.
    assert "sale_phone" not in staff.session
    assert "<h1>Sale " in page(staff)


def test_a_delivery_paid_with_the_customers_store_credit(staff, shop, associate, coat):
    user, nora = shopper("nora@example.com")
    give_credit(nora, "150.00")
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff, nora.loyalty_number, kind="loyalty")

    response = checkout(
        staff,
        mode="delivery",
        store_credit_amount="120.00",
        method_1=PaymentMethod.CARD_IN_STORE,
        **ADDRESS,
    )

    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert order.channel == Channel.PHONE
    assert (order.placing_location, order.staff_member) == (shop, associate)
    assert order.customer == nora
    assert order.fulfilments.get().address["line1"] == "Via Torino 1"
    assert [(p.method, p.amount) for p in order.payments.all()] == [
        (PaymentMethod.STORE_CREDIT, Decimal("120.00"))
    ]
    assert credit_of(nora) == Decimal("30.00")
    assert "sale_phone" not in staff.session

    # Shown as a phone order: the order page, the customer's timeline, the API.
    detail = page(staff, reverse("staff:order_detail", args=[order.number]))
    assert "Phone · Milano Centro · by Giulia Bianchi" in detail
    timeline = page(staff, reverse("staff:customer_timeline", args=[nora.pk]))
    assert f"Order {order.number} placed (Phone · Milano Centro)" in timeline
    listed = api_client_for(user).get("/api/v1/orders/").json()["results"]
    assert [(o["number"], o["channel"]) for o in listed] == [(order.number, "phone")]


@pytest.mark.parametrize(
    ("method", "why"),
    [
        (PaymentMethod.CASH, "Cash is handed over at the till"),
        (PaymentMethod.MOBILE_WALLET, "A mobile wallet is held to the card reader"),
    ],
)
def test_cash_is_refused_with_a_form_error_and_nothing_is_written(
    staff, shop, coat, ada, method, why
):
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)
    movements = TillMovement.objects.count()  # the float counted at opening

    response = checkout(staff, mode="delivery", method_1=method, **ADDRESS)

    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-method_1"' in html
    assert f"{why} and the customer is on the phone" in html
    assert Reservation.objects.count() == 0
    assert Order.objects.count() == 0
    assert TillMovement.objects.count() == movements
    assert Cart.objects.get().status == CartStatus.OPEN
    assert staff.session["sale_phone"] is True


def test_a_phone_order_is_not_taken_now(staff, coat, ada):
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)

    response = checkout(staff, mode="carry_out", method_1=PaymentMethod.CARD_IN_STORE)

    assert response.status_code == 422
    html = response.content.decode()
    assert "The customer is on the phone: choose Deliver home or Pick up" in html
    assert Order.objects.count() == 0


def test_a_phone_order_needs_the_customer(staff, coat):
    on_the_phone(staff)
    scan(staff, coat.sku)

    response = checkout(
        staff, mode="delivery", method_1=PaymentMethod.CARD_IN_STORE, **ADDRESS
    )

    assert response.status_code == 422
    assert "Attach the customer first" in response.content.decode()
    assert Order.objects.count() == 0


def test_the_choice_ends_with_the_sale_and_can_be_turned_off(staff, coat):
    on_the_phone(staff)
    scan(staff, coat.sku)
    staff.post(reverse("staff:sale_clear"), **HTMX)

    assert "sale_phone" not in staff.session
    assert "Take now" in page(staff)

    on_the_phone(staff)
    on_the_phone(staff, on=False)
    assert "sale_phone" not in staff.session


def test_an_online_only_code_applies_on_the_phone_and_not_at_the_counter(
    staff, other_shop, coat, ada
):
    discount_code("WEB20", "percentage", "20", channels="online")
    scan(staff, coat.sku)
    refused = staff.post(reverse("staff:sale_discount"), {"code": "web20"}, **HTMX)
    assert refused.status_code == 422
    assert "This code is valid online only." in refused.content.decode()

    on_the_phone(staff)
    applied = staff.post(reverse("staff:sale_discount"), {"code": "web20"}, **HTMX)
    assert applied.status_code == 200
    assert (
        '<td class="num" data-testid="basket-total">96.00 EUR</td>'
        in applied.content.decode()
    )
    attach(staff)
    checkout(
        staff,
        mode="pickup",
        store=other_shop.pk,
        method_1=PaymentMethod.CARD_IN_STORE,
    )
    order = Order.objects.get()
    assert (order.channel, order.discount_code, order.total) == (
        Channel.PHONE,
        "WEB20",
        Decimal("96.00"),
    )


def test_a_shop_code_does_not_apply_on_the_phone(staff, coat):
    discount_code("SHOP10", "percentage", "10", channels="store")
    on_the_phone(staff)
    scan(staff, coat.sku)

    response = staff.post(reverse("staff:sale_discount"), {"code": "shop10"}, **HTMX)

    assert response.status_code == 422
    assert "This code is valid in store only." in response.content.decode()


def test_the_shops_reports_count_a_phone_order_under_phone(
    staff, shop, other_shop, coat, ada
):
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)
    checkout(
        staff,
        mode="pickup",
        store=other_shop.pk,
        method_1=PaymentMethod.CARD_IN_STORE,
    )
    order = Order.objects.get()

    report = sales_report(shop_ids=[shop.pk])
    assert [(r["label"], r["orders"]) for r in report.by_channel] == [("Phone", 1)]
    assert sales_report(shop_ids=[other_shop.pk]).by_channel == []
    today = sales_by_channel([shop.pk], Days.around(timezone.now()))
    assert [(r.label, r.today_orders) for r in today.rows] == [("Phone", 1)]
    assert order.total == Decimal("120.00")


def test_the_choice_stays_while_the_card_reader_has_the_basket(
    staff, shop, other_shop, coat, ada
):
    reader(shop)
    on_the_phone(staff)
    scan(staff, coat.sku)
    attach(staff)
    checkout(
        staff, mode="pickup", store=other_shop.pk, method_1=PaymentMethod.CARD_IN_STORE
    )

    on_the_phone(staff, on=False)

    assert staff.session["sale_phone"] is True
    assert TerminalIntent.objects.get().status == TerminalIntentStatus.PENDING


def test_a_parked_phone_order_comes_back_as_a_phone_order(staff, coat):
    on_the_phone(staff)
    scan(staff, coat.sku)
    staff.post(reverse("staff:sale_park"))
    assert "sale_phone" not in staff.session  # the next customer is at the counter
    assert "Take now" in page(staff)

    staff.post(reverse("staff:sale_resume", args=[0]))
    assert staff.session["sale_phone"]
    assert "Take now" not in page(staff)


def test_the_customer_card_says_a_phone_order_needs_the_customer(staff):
    assert "Optional for a sale taken now" in page(staff)
    on_the_phone(staff)
    html = page(staff)
    assert "Needed for a phone order" in html
    assert "Optional for a sale taken now" not in html
