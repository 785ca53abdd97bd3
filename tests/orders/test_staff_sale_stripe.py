"""The counter with production payments (Stripe, against a local fake Stripe): a card
or a mobile wallet presented at a shop without a paired card reader is taken on the
shop's own terminal and recorded as taken, and at a shop with one waits for the
reader; Stripe, which takes online payments only, is never asked, for the sale or
for its refund."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import (
    Order,
    PaymentMethod,
    PaymentStatus,
    Refund,
    TerminalIntent,
    TerminalIntentStatus,
)
from orders.services.refunds import return_at_counter
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.terminal_helpers import reader, simulator
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-BLU-M", barcode="8000000000017", price="40.00")
    stock(item, shop, 5)
    return item


def sell(client, item, **tenders):
    client.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    return client.post(
        reverse("staff:sale_checkout"), {"mode": "carry_out", **tenders}, **HTMX
    )


@pytest.mark.parametrize(
    "method", [PaymentMethod.CARD_IN_STORE, PaymentMethod.MOBILE_WALLET]
)
def test_a_card_or_wallet_at_the_counter_is_taken_on_the_shops_terminal(
    fake_stripe, staff, shirt, method
):
    response = sell(staff, shirt, method_1=method)

    assert response.status_code == 200, response.content.decode()[:2000]
    assert "HX-Redirect" in response
    payment = Order.objects.get().payments.get()
    assert (payment.method, payment.amount, payment.status) == (
        method,
        Decimal("40.00"),
        PaymentStatus.CAPTURED,
    )
    assert payment.provider == "shop_terminal"
    assert fake_stripe.requests == []


def test_a_wallet_split_with_cash_at_the_counter(fake_stripe, staff, shirt):
    response = sell(
        staff,
        shirt,
        method_1=PaymentMethod.CASH,
        amount_1="10.00",
        method_2=PaymentMethod.MOBILE_WALLET,
        amount_2="30.00",
    )

    assert response.status_code == 200, response.content.decode()[:2000]
    paid = {
        p.method: (p.amount, p.provider) for p in Order.objects.get().payments.all()
    }
    assert paid == {
        PaymentMethod.CASH: (Decimal("10.00"), "cash"),
        PaymentMethod.MOBILE_WALLET: (Decimal("30.00"), "shop_terminal"),
    }
    assert fake_stripe.requests == []


def test_a_counter_card_is_given_back_on_the_shops_terminal(
    fake_stripe, shop, associate, shirt
):
    open_counter_till(associate)
    order = counter_sale(store=shop, lines=[(shirt, 1)], staff=associate)

    return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=shop,
        actor=associate,
    )

    refund = Refund.objects.get()
    assert (refund.amount, refund.payment.provider) == (
        Decimal("40.00"),
        "shop_terminal",
    )
    assert refund.payment.status == PaymentStatus.REFUNDED
    assert fake_stripe.requests == []


def test_at_a_shop_with_a_card_reader_a_wallet_waits_for_the_reader(
    fake_stripe, staff, shop, shirt
):
    """A phone pays on the reader as a contactless card does: the sale waits for
    it, and is placed with the payment the reader collected."""
    reader(shop, label="Till 1")

    response = sell(staff, shirt, method_1=PaymentMethod.MOBILE_WALLET)

    intent = TerminalIntent.objects.get(status=TerminalIntentStatus.PENDING)
    assert response["HX-Redirect"] == reverse(
        "staff:sale_terminal", args=[intent.reference]
    )
    assert intent.amount == Decimal("40.00") and not Order.objects.exists()
    simulator().decide(intent.provider_reference, TerminalIntentStatus.SUCCEEDED)
    staff.get(reverse("staff:sale_terminal", args=[intent.reference]), **HTMX)
    payment = Order.objects.get().payments.get()
    assert (payment.method, payment.provider_reference) == (
        PaymentMethod.MOBILE_WALLET,
        intent.provider_reference,
    )
    assert fake_stripe.requests == []
