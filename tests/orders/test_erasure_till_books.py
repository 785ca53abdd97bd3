"""Erasing a customer's data keeps the till's books readable: a sale's line in the
drawer names only its order, a refund's the return it paid, and both stay; what staff
typed about the return goes."""

import pytest

from customers.privacy import ERASED_TEXT
from customers.services.erasure import erase_customer
from orders.models import Return, TillMovement, TillMovementKind
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


def test_the_drawer_keeps_its_sale_and_refund_lines_and_the_return_loses_its_note():
    store = shop()
    associate = StaffFactory(store=store)
    till = open_counter_till(associate)
    customer = make_customer(email="ivo@example.com")
    order = place_order(
        lines=[LineRequest(stocked(store, 3, price="30.00"), 2)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        customer=customer,
        payments=[PaymentRequest(method="cash")],
        till=TillBooking(till),
    )
    return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(order.lines.get().pk, 1)],
        location=store,
        actor=associate,
        note="Ivo says the seam opened",
    )
    ret = Return.objects.get(order=order)

    erase_customer(customer=customer, forfeit_balance=True)

    sale = TillMovement.objects.get(order=order, kind=TillMovementKind.SALE)
    assert sale.reason == f"Sale {order.number}"
    refund = TillMovement.objects.get(order=order, kind=TillMovementKind.REFUND)
    assert refund.reason == f"Return {ret.code}"
    ret.refresh_from_db()
    assert ret.note == ERASED_TEXT
