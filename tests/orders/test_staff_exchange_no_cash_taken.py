"""An exchange that leaves nothing to pay takes no cash, so it needs no open till:
an even swap, or one leaving the customer store credit, completes at a shop whose
till is closed, though the desk's "Difference paid by" (cash alone, at a shop with a
card reader) is sent with it. Cash actually taken still needs the till."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token
from orders.models import Order, PaymentMethod, Return, TillMovement
from orders.services.checkout import LineRequest
from orders.services.exchanges import exchange_items
from orders.services.payments import PaymentRequest
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import on_hand, shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.terminal_helpers import reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def porta_nuova():
    """A shop with a card reader and no till open."""
    store = shop(code="MI02", name="Milano Porta Nuova")
    reader(store)
    return store


@pytest.fixture
def associate(porta_nuova):
    return StaffFactory(store=porta_nuova)


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


def sold(store, variant):
    return counter_sale(
        store=store,
        lines=[(variant, 1)],
        staff=StaffFactory(store=store),
        customer=make_customer(phone="+393331234567"),
    )


def exchange_form(order, code):
    line = order.lines.get()
    return {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": code,
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "cash",
    }


@pytest.mark.parametrize(
    "replacement_price, balance",
    [
        ("59.90", "20.00 EUR</strong> stays as the customer's store credit"),
        ("79.90", "Even exchange: nothing to pay."),
    ],
)
def test_an_exchange_with_nothing_to_pay_completes_with_the_till_closed(
    desk, porta_nuova, replacement_price, balance
):
    jacket = stocked(porta_nuova, 5, price="79.90", sku="JKT-M")
    other = stocked(porta_nuova, 5, price=replacement_price, sku="JKT-OTHER")
    order = sold(porta_nuova, jacket)
    url = reverse("staff:return_exchange", args=[order.number])
    form = exchange_form(order, "JKT-OTHER")

    review = desk.post(url, form)

    assert review.status_code == 200, review.content.decode()
    assert balance in review.content.decode()
    done = desk.post(url, {**form, "confirm": review.context["review"].key})

    assert done.status_code == 302, done.content.decode()
    new_order = Order.objects.exclude(pk=order.pk).get()
    assert list(new_order.payments.values_list("method", flat=True)) == [
        PaymentMethod.STORE_CREDIT
    ]
    assert not TillMovement.objects.exists()
    assert Return.objects.get().exchange_order == new_order
    assert on_hand(other, porta_nuova) == 4


def test_the_service_takes_no_cash_when_nothing_is_left_to_pay(porta_nuova, associate):
    """A cash tender sent for an even exchange is no payment: no till is asked for."""
    jacket = stocked(porta_nuova, 5, price="79.90")
    other = stocked(porta_nuova, 5, price="79.90")
    order = sold(porta_nuova, jacket)

    result = exchange_items(
        order=order.number,
        lines=[line_request(order, 1)],
        replacement=[LineRequest(other, 1)],
        location=porta_nuova,
        actor=associate,
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )

    assert (result.paid, result.credit_left) == (Decimal("0.00"), Decimal("0.00"))
    assert not result.order.payments.filter(method=PaymentMethod.CASH).exists()


def test_a_difference_taken_in_cash_still_needs_the_till(porta_nuova, associate):
    jacket = stocked(porta_nuova, 5, price="59.90")
    other = stocked(porta_nuova, 5, price="79.90")
    order = sold(porta_nuova, jacket)

    with pytest.raises(ValidationFailed) as refused:
        exchange_items(
            order=order.number,
            lines=[line_request(order, 1)],
            replacement=[LineRequest(other, 1)],
            location=porta_nuova,
            actor=associate,
            payments=[PaymentRequest(PaymentMethod.CASH)],
        )

    assert refused.value.code == "till_not_open"
    assert not Return.objects.exists()
    assert on_hand(other, porta_nuova) == 5
