"""Refunding returns through the services: split payments last tender first, store
credit paid out, bounded by the balance, refused without a customer profile and
carried through a customer merge."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.services.merge import merge_customers
from inventory.models import StockLevel
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import ValidationFailed
from orders.models import (
    Order,
    Payment,
    PaymentMethod,
    Refund,
    RefundMethod,
    Return,
    StoreCreditTransaction,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.credit import store_credit_discrepancies
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import expire_uncollected_pickups
from orders.services.refunds import receive_and_refund_return, return_at_counter
from orders.services.returns import request_return
from orders.services.till import move_cash
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import (
    collected_order,
    counter_sale,
    line_request,
    shopper,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


# --- refunds ------------------------------------------------------------------------------


def test_a_split_payment_is_refunded_last_tender_first(store, associate):
    item = stocked(store, 5, price="20.00")
    customer = make_customer(phone="+393331234567")
    order = counter_sale(
        store=store,
        lines=[(item, 2)],
        staff=associate,
        customer=customer,
        tenders=[(PaymentMethod.CASH, "10.00"), (PaymentMethod.CARD_IN_STORE, "30.00")],
    )
    cash, card = Payment.objects.filter(order=order).order_by("id")
    till = open_counter_till(associate)

    return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=store,
        actor=associate,
    )
    card.refresh_from_db()
    cash.refresh_from_db()
    assert (card.refunded_amount, cash.refunded_amount) == (Decimal("20.00"), 0)

    return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=store,
        actor=associate,
    )
    card.refresh_from_db()
    cash.refresh_from_db()
    assert (card.refunded_amount, cash.refunded_amount) == (
        Decimal("30.00"),
        Decimal("10.00"),
    )
    assert Refund.objects.count() == 3
    # Every refund given at the counter is on the till; only cash left the drawer.
    assert sorted(
        TillMovement.objects.filter(
            session=till, kind=TillMovementKind.REFUND
        ).values_list("amount", flat=True)
    ) == [Decimal("-10.00"), Decimal("0.00"), Decimal("0.00")]


def test_a_cash_refund_without_an_open_till_is_refused_and_nothing_changes(
    store, associate
):
    item = stocked(store, 5, price="20.00")
    order = counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
    )
    with pytest.raises(ValidationFailed) as refused:
        return_at_counter(
            order=order.number,
            lines=[line_request(order, 1)],
            location=store,
            actor=associate,
        )
    assert refused.value.code == "till_not_open"
    assert not Refund.objects.exists() and not Return.objects.exists()
    assert StockLevel.objects.get(variant=item, location=store).on_hand == 4


def test_a_cancelled_counter_order_paid_in_cash_is_paid_back_from_the_till(
    store, associate
):
    """A pickup rung up and paid in cash at the counter, then cancelled there: the
    cash goes back out of the drawer, booked on the open till; with no till open the
    cancellation is refused and the order stays as it was."""
    item = stocked(store, 5, price="20.00")
    order = place_order(
        lines=[LineRequest(item, 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="pia@example.com",
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    with pytest.raises(ValidationFailed) as refused:
        cancel_order(order=order, actor=associate, reason="No", location=store)
    assert refused.value.code == "till_not_open"
    order.refresh_from_db()
    assert order.status == "placed" and not Refund.objects.exists()

    till = open_counter_till(associate)
    cancel_order(order=order, actor=associate, reason="Changed mind", location=store)

    refund = Refund.objects.get()
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (booked.session, booked.refund, booked.amount, booked.actor) == (
        till,
        refund,
        Decimal("-20.00"),
        associate,
    )


def test_store_credit_refund_then_pays_a_new_order(store, associate):
    item = stocked(store, 5, price="40.00")
    gift = stocked(store, 5, price="55.00")
    user, customer = shopper()
    order = collected_order(store=store, lines=[(item, 1)], customer=customer)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        refund_method=RefundMethod.STORE_CREDIT,
        lines=[line_request(order)],
    )
    receive_and_refund_return(return_request=ret.code, location=store, actor=associate)
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("40.00")
    assert not Refund.objects.exists()  # nothing went back to the card

    new_order = place_order(
        lines=[LineRequest(gift, 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=store,
        user=user,
        payments=[
            PaymentRequest(PaymentMethod.STORE_CREDIT, amount=Decimal("40")),
            PaymentRequest("card_online", token="tok_visa"),
        ],
    )

    customer.refresh_from_db()
    assert customer.store_credit_balance == 0
    credit, card = Payment.objects.filter(order=new_order).order_by("id")
    assert (credit.method, credit.amount, credit.provider) == (
        "store_credit",
        Decimal("40.00"),
        "store_credit",
    )
    assert card.amount == Decimal("15.00")
    assert list(
        StoreCreditTransaction.objects.filter(customer=customer)
        .order_by("id")
        .values_list("kind", "amount")
    ) == [("return", Decimal("40.00")), ("payment", Decimal("-40.00"))]
    assert store_credit_discrepancies() == []

    # Cancelling that order puts the credit back where it came from.
    cancel_order(order=new_order, reason="Changed plans")
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("40.00")
    assert store_credit_discrepancies() == []
    assert ledger_discrepancies() == []


def test_store_credit_cannot_pay_more_than_the_balance(store):
    item = stocked(store, 5, price="40.00")
    user, customer = shopper()
    with pytest.raises(ValidationFailed) as refused:
        place_order(
            lines=[LineRequest(item, 1)],
            channel="web",
            fulfilment="pickup",
            pickup_store=store,
            user=user,
            payments=[PaymentRequest(PaymentMethod.STORE_CREDIT)],
        )
    assert refused.value.code == "insufficient_store_credit"
    assert not Order.objects.exists()
    assert not StoreCreditTransaction.objects.exists()
    assert StockLevel.objects.get(variant=item, location=store).reserved == 0


def test_a_walk_in_sale_cannot_be_refunded_as_store_credit(store, associate):
    item = stocked(store, 5)
    order = counter_sale(store=store, lines=[(item, 1)], staff=associate)
    with pytest.raises(ValidationFailed, match="Store credit needs a customer"):
        return_at_counter(
            order=order.number,
            lines=[line_request(order)],
            location=store,
            actor=associate,
            refund_method=RefundMethod.STORE_CREDIT,
        )
    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=store,
        actor=associate,
    )
    assert ret.refund_total == Decimal("49.90")
    assert ret.customer is None


def test_store_credit_follows_a_customer_merge(store, associate):
    item = stocked(store, 5, price="40.00")
    _, customer = shopper()
    twin = make_customer(phone="+393339998877", first_name="Ada")
    order = collected_order(store=store, lines=[(item, 1)], customer=customer)
    return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=store,
        actor=associate,
        refund_method=RefundMethod.STORE_CREDIT,
    )

    merge_customers(survivor=twin, other=customer, actor=associate)

    twin.refresh_from_db()
    assert twin.store_credit_balance == Decimal("40.00")
    assert StoreCreditTransaction.objects.get().customer == twin
    assert Return.objects.get().customer == twin
    assert store_credit_discrepancies() == []


def test_a_cash_pickup_is_left_by_the_expiry_and_cancelled_from_a_till(
    store, associate
):
    """No counter takes part in the expiry, and cash only goes back from a till: the
    expiry leaves the order for the shop, which cancels it and pays the cash out of
    its open till."""
    item = stocked(store, 5, price="20.00")
    order = place_order(
        lines=[LineRequest(item, 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="pia@example.com",
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    mark_picked(order=order)
    mark_ready(order=order)

    assert expire_uncollected_pickups(now=timezone.now() + timedelta(days=30)) == []
    assert not Refund.objects.exists()

    till = open_counter_till(associate)
    cancel_order(order=order, actor=associate, location=store, reason="Not collected")
    assert Refund.objects.get().amount == Decimal("20.00")
    assert TillMovement.objects.get(session=till, kind="refund").amount == Decimal(
        "-20.00"
    )


def test_a_cash_refund_beyond_what_the_drawer_holds_is_refused(store, associate):
    item = stocked(store, 5, price="80.00")
    till = open_counter_till(associate, counts={Decimal("20"): 1})
    order = counter_sale(
        store=store, lines=[(item, 1)], staff=associate, tenders=[("cash", None)]
    )
    move_cash(
        session=till,
        kind="cash_out",
        amount=Decimal("20"),
        reason="Bank",
        actor=associate,
    )  # the sale was not booked on this till: the drawer holds nothing now
    with pytest.raises(ValidationFailed) as refused:
        return_at_counter(
            order=order.number,
            lines=[line_request(order, 1)],
            location=store,
            actor=associate,
        )
    assert refused.value.code == "cash_out_exceeds_drawer"
    assert not Refund.objects.exists()
