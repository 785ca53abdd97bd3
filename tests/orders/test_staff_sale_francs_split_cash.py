"""A split payment in francs takes exactly the total: its cash part is an amount the
drawer's coins make (0.05 the smallest), refused otherwise on its field with the
amounts either side, at the counter and by the service that books the sale; cash
paying alone keeps the Swiss rounding of the total."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, PaymentMethod, TillMovement, TillMovementKind
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.till import TillBooking
from tests.factories import StaffFactory
from tests.orders.factories import in_francs, on_hand, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
NOT_IN_COINS = "20.03 CHF cannot be paid in coins: 20.00 or 20.05."


@pytest.fixture
def clerk(zurich):
    return StaffFactory(store=zurich)


@pytest.fixture
def session(clerk):
    return open_counter_till(clerk)


@pytest.fixture
def desk(client, clerk, session):
    client.force_login(clerk)
    return client


def sell(desk, item, **payment):
    desk.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    data = {"mode": "carry_out", **payment}
    return desk.post(reverse("staff:sale_checkout"), data, **HTMX)


def test_a_split_whose_cash_no_coins_make_is_refused_on_the_cash_amount(
    desk, franc_shirt, zurich
):
    """62.90 CHF as 20.03 in cash and 42.87 by card would take 20.05 into the
    drawer, 62.92 in all: refused on the cash amount, nothing sold."""
    refused = sell(
        desk,
        franc_shirt,
        method_1=PaymentMethod.CASH,
        amount_1="20.03",
        method_2=PaymentMethod.CARD_IN_STORE,
        amount_2="42.87",
    )

    assert refused.status_code == 422
    assert refused.context["payment_form"].errors["amount_1"] == [NOT_IN_COINS]
    assert NOT_IN_COINS in refused.content.decode()
    assert not Order.objects.exists()
    assert not TillMovement.objects.filter(kind=TillMovementKind.SALE).exists()
    assert on_hand(franc_shirt, zurich) == 5


def test_a_split_whose_cash_coins_make_takes_exactly_the_total(
    desk, franc_shirt, session
):
    sold = sell(
        desk,
        franc_shirt,
        method_1=PaymentMethod.CASH,
        amount_1="20.05",
        method_2=PaymentMethod.CARD_IN_STORE,
        amount_2="42.85",
    )

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    order = Order.objects.get()
    assert order.total == D("62.90")
    assert sorted(order.payments.values_list("method", "amount")) == [
        ("card_in_store", D("42.85")),
        ("cash", D("20.05")),
    ]
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.amount, booked.rounding, booked.tendered) == (
        D("20.05"),
        D("0.00"),
        D("20.05"),
    )


def test_cash_alone_keeps_the_rounding_of_the_total(desk, zurich, session):
    """Cash paying alone is rounded as a whole, the Swiss rule: 62.93 is 62.95."""
    item = in_francs(stocked(zurich, 5, price="59.90", sku="WSH-BLK-M"), "62.93")

    sold = sell(desk, item, method_1=PaymentMethod.CASH)

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.amount, booked.rounding) == (D("62.95"), D("0.02"))


def test_the_service_refuses_a_split_whose_cash_no_coins_make(
    zurich, franc_shirt, clerk, session
):
    """A sale sent past the counter's form meets the same refusal before anything
    is charged or sold."""
    with pytest.raises(ValidationFailed) as refused:
        place_order(
            lines=[LineRequest(franc_shirt, 1)],
            channel=Channel.STORE,
            fulfilment="carry_out",
            placing_location=zurich,
            staff=clerk,
            payments=[
                PaymentRequest(PaymentMethod.CASH, amount=D("20.03")),
                PaymentRequest(PaymentMethod.CARD_IN_STORE, amount=D("42.87")),
            ],
            till=TillBooking(session),
        )

    assert refused.value.code == "cash_not_in_coins"
    assert refused.value.extra == {"payment": [NOT_IN_COINS]}
    assert not Order.objects.exists()
    assert on_hand(franc_shirt, zurich) == 5
