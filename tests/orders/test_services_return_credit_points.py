"""A return refunded as store credit gives the share paid in loyalty points back as
points, and only the rest as store credit: points never become money, whichever
way each part of an order comes back (a return refunded to the payments gives
money first, points last)."""

from decimal import Decimal

import pytest

from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from orders.models import Payment, PaymentMethod, RefundMethod, ReturnRefund
from orders.services.checkout import LineRequest, place_order
from orders.services.exchanges import exchange_items
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter, return_store_credit
from orders.services.returns import ReturnLineRequest
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.stored_value_helpers import credit_of, give_points, points_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


@pytest.fixture
def store():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def manager(store):
    return make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))


@pytest.fixture
def socks(store):
    return stocked(store, 10, price="14.90", sku="SOCKS-NVY")


@pytest.fixture
def pia():
    return make_customer(phone="+393331112222", first_name="Pia")


def sale(store, staff, customer, item, units, points):
    """A counter sale paid with ``points`` first and a card for the rest."""
    return place_order(
        lines=[LineRequest(item, units)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=staff,
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=points),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )


def give_back(order, store, staff, units, method):
    return return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(order.lines.get().pk, units, "changed_mind")],
        location=store,
        actor=staff,
        refund_method=method,
    )


def refundable(order) -> dict[str, Decimal]:
    """What each tender of the order can still take back."""
    return {p.method: p.refundable for p in Payment.objects.filter(order=order)}


def test_the_points_share_of_a_store_credit_refund_goes_back_as_points(
    store, manager, socks, pia
):
    """14.90 paid with 600 points (6.00) and 8.90 by card, returned for store
    credit: 8.90 of credit and the 600 points back."""
    give_points(pia, 600)
    order = sale(store, manager, pia, socks, 1, points=600)
    assert points_of(pia) == 0

    ret = give_back(order, store, manager, 1, RefundMethod.STORE_CREDIT)

    assert ret.refund_total == D("14.90")
    assert credit_of(pia) == return_store_credit(ret) == D("8.90")
    assert points_of(pia) == 600
    back = ReturnRefund.objects.get(return_request=ret)
    assert (back.payment.method, back.amount) == (PaymentMethod.LOYALTY_POINTS, 6)
    assert refundable(order) == {
        PaymentMethod.LOYALTY_POINTS: D("0.00"),
        PaymentMethod.CARD_IN_STORE: D("8.90"),
    }


def test_a_store_credit_part_then_a_card_part_give_back_what_was_paid(
    store, manager, socks, pia
):
    """Two pairs, 1490 points and 14.90 by card. The first pair comes back as store
    credit: its 14.90 is the points. The second goes back to the card. Nothing paid
    in points comes back as money."""
    give_points(pia, 1490)
    order = sale(store, manager, pia, socks, 2, points=1490)

    give_back(order, store, manager, 1, RefundMethod.STORE_CREDIT)
    assert (credit_of(pia), points_of(pia)) == (D("0.00"), 1490)
    give_back(order, store, manager, 1, RefundMethod.ORIGINAL)

    assert (credit_of(pia), points_of(pia)) == (D("0.00"), 1490)
    assert refundable(order) == {
        PaymentMethod.LOYALTY_POINTS: D("0.00"),
        PaymentMethod.CARD_IN_STORE: D("0.00"),
    }


def test_a_card_part_then_a_store_credit_part_give_back_what_was_paid(
    store, manager, socks, pia
):
    give_points(pia, 1490)
    order = sale(store, manager, pia, socks, 2, points=1490)

    give_back(order, store, manager, 1, RefundMethod.ORIGINAL)  # the card first
    give_back(order, store, manager, 1, RefundMethod.STORE_CREDIT)

    assert (credit_of(pia), points_of(pia)) == (D("0.00"), 1490)


def test_an_exchange_of_goods_paid_partly_in_points_uses_the_credit_it_made(
    store, manager, socks, pia
):
    """Socks paid 600 points (6.00) and 8.90 by card exchanged for another pair:
    the 8.90 of credit and 6.00 by card pay it, the 600 points come back as points,
    and none of the customer's own credit is spent."""
    give_points(pia, 600)
    order = sale(store, manager, pia, socks, 1, points=600)
    other = stocked(store, 5, price="14.90", sku="SOCKS-RED")

    result = exchange_items(
        order=order.number,
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "changed_mind")],
        replacement=[LineRequest(other, 1)],
        location=store,
        actor=manager,
        payments=[PaymentRequest(PaymentMethod.CARD_IN_STORE)],
    )

    assert (result.credit_used, result.paid, result.credit_left) == (
        D("8.90"),
        D("6.00"),
        D("0.00"),
    )
    assert (credit_of(pia), points_of(pia)) == (D("0.00"), 600)
