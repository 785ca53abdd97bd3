"""Erasing a customer's data keeps the till's books readable: a sale's line in the
drawer names only its order and stays; a refund's reason, free text, is blanked."""

import pytest

from customers.services.erasure import erase_customer
from orders.models import TillMovement, TillMovementKind
from orders.privacy import ERASED_TEXT
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


def test_the_drawer_keeps_its_sale_lines_and_loses_the_refunds_texts():
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
    refund = TillMovement.objects.get(order=order, kind=TillMovementKind.REFUND)
    assert refund.reason  # something to blank

    erase_customer(customer=customer, forfeit_balance=True)

    sale = TillMovement.objects.get(order=order, kind=TillMovementKind.SALE)
    assert sale.reason == f"Sale {order.number}"
    refund.refresh_from_db()
    assert refund.reason == ERASED_TEXT
