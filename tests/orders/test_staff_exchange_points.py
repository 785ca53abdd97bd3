"""An exchange at the returns desk of a sale paid partly in loyalty points: the
points share goes back as points and only the rest pays the replacement, so the
review names what the customer pays, and confirming charges exactly that; the
message says what this exchange left as store credit, not the customer's balance."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from omnistore.core.channels import Channel
from omnistore.staff.once import new_token
from orders.models import Order, Payment, PaymentMethod
from orders.selectors.till import expected_cash
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.stored_value_helpers import (
    credit_of,
    give_credit,
    give_points,
    points_of,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


@pytest.fixture
def duomo():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def associate(duomo):
    return StaffFactory(store=duomo, first_name="Luca", last_name="Verdi")


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def belt_sale(duomo, associate):
    """A belt of 45.00 paid with 3000 points (30.00) and 15.00 by card, by a
    customer who already holds 117.76 of store credit."""
    customer = make_customer(phone="+393331110000", first_name="Pia")
    give_points(customer, 3000)
    give_credit(customer, "117.76")
    belt = stocked(duomo, 5, price="45.00", sku="BELT-90")
    order = place_order(
        lines=[LineRequest(belt, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=duomo,
        staff=associate,
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=3000),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    return order, customer


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


def test_the_review_names_what_an_exchange_for_the_same_price_charges(
    desk, duomo, associate, belt_sale
):
    order, customer = belt_sale
    stocked(duomo, 5, price="45.00", sku="BELT-95")
    till = open_counter_till(associate)
    cash_before = expected_cash(till)
    url = reverse("staff:return_exchange", args=[order.number])
    data = exchange_form(order, "BELT-95")

    review = desk.post(url, data)

    assert review.status_code == 200
    page = review.content.decode()
    assert "Even exchange: nothing to pay." not in page
    assert "The customer pays <strong>30.00 EUR</strong>." in page
    assert "<strong>30.00 EUR</strong> was paid in loyalty points" in page
    to_pay = review.context["review"].split.to_pay
    assert to_pay == D("30.00")

    done = desk.post(url, {**data, "confirm": review.context["review"].key})

    assert done.status_code == 302, done.content.decode()
    new_order = Order.objects.exclude(pk=order.pk).get()
    paid = dict(Payment.objects.filter(order=new_order).values_list("method", "amount"))
    assert paid == {"store_credit": D("15.00"), "cash": to_pay}
    assert expected_cash(till) == cash_before + to_pay
    assert points_of(customer) == 3000  # the points share went back as points
    assert credit_of(customer) == D("117.76")  # the 15.00 made was spent
    said = [str(m) for m in get_messages(done.wsgi_request)]
    assert len(said) == 1
    assert "Store credit used 15.00 EUR, paid 30.00 EUR" in said[0]
    assert "30.00 EUR back as loyalty points" in said[0]
    assert "left as store credit" not in said[0]


def test_a_cheaper_replacement_leaves_only_the_credit_not_paid_in_points(
    desk, duomo, associate, belt_sale
):
    order, customer = belt_sale
    stocked(duomo, 5, price="10.00", sku="KEYRING")
    open_counter_till(associate)
    url = reverse("staff:return_exchange", args=[order.number])
    data = exchange_form(order, "KEYRING")

    review = desk.post(url, data)

    page = review.content.decode()
    assert "<strong>5.00 EUR</strong> stays as the customer's store credit." in page

    done = desk.post(url, {**data, "confirm": review.context["review"].key})

    assert done.status_code == 302, done.content.decode()
    said = [str(m) for m in get_messages(done.wsgi_request)]
    assert "; 5.00 EUR left as store credit" in said[0]
    assert credit_of(customer) == D("122.76")
    assert points_of(customer) == 3000
