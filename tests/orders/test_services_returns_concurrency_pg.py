"""Real threads, real connections, real row locks: returns and store credit under
contention at several desks at once."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import ValidationFailed
from orders.models import (
    Order,
    PaymentMethod,
    Refund,
    RefundMethod,
    Return,
    ReturnLine,
    ReturnStatus,
)
from orders.selectors.credit import store_credit_discrepancies
from orders.selectors.returns import returned_quantities
from orders.services.refunds import receive_return, refund_return, return_at_counter
from orders.services.returns import ReturnLineRequest, request_return
from tests.concurrency import run_parallel
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.stored_value_helpers import give_credit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_desks_returning_the_same_line_cannot_exceed_what_was_bought():
    milano, torino = shop(code="MI01"), shop(code="TO01")
    item = stocked(milano, 5, price="30.00")
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=milano,
        lines=[(item, 2)],
        staff=StaffFactory(store=milano),
        customer=customer,
    )
    line = sale.lines.get()
    desks = [(milano, StaffFactory(store=milano)), (torino, StaffFactory(store=torino))]

    def at(desk):
        location, associate = desk
        return lambda: return_at_counter(
            order=sale.number,
            lines=[ReturnLineRequest(line.pk, 2, "changed_mind")],
            location=location,
            actor=associate,
        )

    results = run_parallel([at(desk) for desk in desks] * 2)

    done = [r for r in results if isinstance(r, Return)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(done) == 1, results
    assert len(refused) == 3, results
    assert all(r.code == "return_quantity" for r in refused)
    assert ReturnLine.objects.get().quantity == 2
    assert Refund.objects.count() == 1
    back = sum(
        StockLevel.objects.get(variant=item, location=loc).on_hand
        for loc in (milano, torino)
        if StockLevel.objects.filter(variant=item, location=loc).exists()
    )
    assert back == 5  # 3 left + the 2 returned, wherever they landed
    assert ledger_discrepancies() == []


def test_many_single_unit_returns_at_once_return_exactly_what_was_bought():
    store = shop()
    item = stocked(store, 10, price="10.00")
    customer = make_customer(phone="+393331234567")
    associate = StaffFactory(store=store)
    sale = counter_sale(
        store=store, lines=[(item, 3)], staff=associate, customer=customer
    )
    line = sale.lines.get()

    results = run_parallel(
        [
            lambda: request_return(
                order=sale.number,
                lines=[ReturnLineRequest(line.pk, 1, "other")],
                channel="store",
                actor=associate,
                location=store,
            )
            for _ in range(8)
        ]
    )

    assert len([r for r in results if isinstance(r, Return)]) == 3, results
    assert len([r for r in results if isinstance(r, ValidationFailed)]) == 5
    assert returned_quantities([line.pk]) == {line.pk: 3}


def test_a_refund_confirmed_at_once_on_two_tablets_pays_out_once():
    store = shop()
    item = stocked(store, 5, price="40.00")
    customer = make_customer(phone="+393331234567")
    associate = StaffFactory(store=store)
    sale = counter_sale(
        store=store, lines=[(item, 1)], staff=associate, customer=customer
    )
    ret = request_return(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "other")],
        channel="store",
        actor=associate,
        location=store,
    )
    receive_return(return_request=ret, location=store, actor=associate)

    results = run_parallel(
        [
            lambda: refund_return(return_request=ret.code, actor=associate)
            for _ in range(4)
        ]
    )

    assert all(isinstance(r, Return) for r in results), results
    assert sorted(r.already_refunded for r in results) == [False, True, True, True]
    assert Refund.objects.count() == 1
    assert Return.objects.get().status == ReturnStatus.REFUNDED


def test_store_credit_is_spent_once_by_two_checkouts_at_once():
    store = shop()
    item = stocked(store, 10, price="40.00")
    customer = make_customer(phone="+393331234567")
    associate = StaffFactory(store=store)
    sale = counter_sale(
        store=store, lines=[(item, 1)], staff=associate, customer=customer
    )
    return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "other")],
        location=store,
        actor=associate,
        refund_method=RefundMethod.STORE_CREDIT,
    )
    before = Order.objects.count()

    def spend():
        return counter_sale(
            store=store,
            lines=[(item, 1)],
            staff=associate,
            customer=customer,
            tenders=[(PaymentMethod.STORE_CREDIT, "40.00")],
        )

    results = run_parallel([spend, spend, spend])

    assert len([r for r in results if isinstance(r, Order)]) == 1, results
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert [r.code for r in refused] == ["insufficient_store_credit"] * 2
    assert Order.objects.count() == before + 1
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("0.00")
    assert store_credit_discrepancies() == []
    assert ledger_discrepancies() == []


def test_two_returns_of_one_order_refunded_at_once_share_its_payments():
    """Paid 100 in store credit and 19.80 by card, two returns of 59.90 refunded at
    two desks at once: the card's 19.80 goes back once, the credit takes the rest,
    and neither return is refused for money the other one counted."""
    store = shop(code="MI01")
    item = stocked(store, 5, price="59.90")
    customer = make_customer(phone="+393331234569")
    give_credit(customer, "100.00")
    associate = StaffFactory(store=store)
    sale = counter_sale(
        store=store,
        lines=[(item, 2)],
        staff=associate,
        customer=customer,
        tenders=[
            (PaymentMethod.STORE_CREDIT, "100.00"),
            (PaymentMethod.CARD_IN_STORE, None),
        ],
    )
    line = sale.lines.get()
    returns = []
    for _ in range(2):
        ret = request_return(
            order=sale,
            lines=[ReturnLineRequest(line.pk, 1, "other")],
            actor=associate,
            location=store,
            channel="store",
        )
        returns.append(
            receive_return(return_request=ret, location=store, actor=associate)
        )

    def refund(ret):
        return lambda: refund_return(
            return_request=ret, actor=associate, location=store
        )

    results = run_parallel([refund(ret) for ret in returns])

    assert all(isinstance(r, Return) for r in results), results
    assert set(Return.objects.values_list("status", flat=True)) == {
        ReturnStatus.REFUNDED
    }
    paid_back = dict(sale.payments.values_list("method", "refunded_amount"))
    assert paid_back == {
        PaymentMethod.CARD_IN_STORE: Decimal("19.80"),
        PaymentMethod.STORE_CREDIT: Decimal("100.00"),
    }
    assert store_credit_discrepancies() == []
