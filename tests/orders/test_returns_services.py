"""Return policy, quantities, dispositions, refunds over split tenders, store credit
and exchanges — through the services, against the real database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from customers.models import CustomerEvent
from customers.services.merge import merge_customers
from inventory.models import MovementReason, StockLevel, StockMovement
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import (
    IllegalTransition,
    InsufficientStock,
    NotFound,
    ReturnNotAllowed,
    ValidationFailed,
)
from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from orders.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    Refund,
    RefundMethod,
    Return,
    ReturnDisposition,
    ReturnStatus,
    StoreCreditTransaction,
)
from orders.selectors.credit import store_credit_discrepancies
from orders.selectors.returns import return_deadline
from orders.services.checkout import LineRequest, place_order
from orders.services.exchanges import exchange_items
from orders.services.fulfilment import (
    cancel_order,
    mark_delivered,
    mark_picked,
    ship_order,
)
from orders.services.payments import PaymentRequest
from orders.services.refunds import (
    receive_and_refund_return,
    receive_return,
    refund_return,
    return_at_counter,
)
from orders.services.returns import (
    ReceiveLine,
    ReturnLineRequest,
    cancel_return,
    close_return,
    request_return,
)
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import (
    CARD,
    delivery_order,
    shop,
    stocked,
    variant,
    warehouse,
)
from tests.orders.returns_helpers import (
    collected_order,
    counter_sale,
    days_ago,
    shopper,
)

pytestmark = pytest.mark.django_db


def on_hand(variant, location) -> int:
    row = StockLevel.objects.filter(variant=variant, location=location).first()
    return row.on_hand if row else 0


def line_request(order, units=1, reason="too_small", **kwargs):
    line = order.lines.order_by("id").first()
    return ReturnLineRequest(line.pk, units, reason, **kwargs)


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


# --- policy -----------------------------------------------------------------------------


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_outside_the_window_a_customer_is_refused_with_the_dates(store):
    item = stocked(store, 2)
    _, customer = shopper()
    order = collected_order(
        store=store, lines=[(item, 1)], customer=customer, when=days_ago(31)
    )

    with pytest.raises(ReturnNotAllowed) as refused:
        request_return(
            order=order.number,
            customer=customer,
            channel="web",
            lines=[line_request(order)],
        )

    assert refused.value.status == 409
    assert "30-day return window closed" in refused.value.message
    assert refused.value.extra["overridable"] is False
    assert not Return.objects.exists()


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_outside_the_window_staff_need_a_reason_which_is_recorded(store, associate):
    item = stocked(store, 2)
    _, customer = shopper()
    order = collected_order(
        store=store, lines=[(item, 1)], customer=customer, when=days_ago(45)
    )

    with pytest.raises(ReturnNotAllowed) as refused:
        return_at_counter(
            order=order.number,
            lines=[line_request(order)],
            location=store,
            actor=associate,
        )
    assert refused.value.extra["override_reason"] == [
        "Required outside the return window."
    ]
    assert not Return.objects.exists()

    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=store,
        actor=associate,
        override_reason="Seam came apart, manager approved",
    )

    assert ret.status == ReturnStatus.REFUNDED
    assert ret.override_reason == "Seam came apart, manager approved"
    first = ret.history.order_by("at", "id").first()
    assert (
        first.note
        == "Accepted outside the return window: Seam came apart, manager approved"
    )
    assert first.actor == associate


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_inside_the_window_no_override_is_kept(store, associate):
    item = stocked(store, 2)
    _, customer = shopper()
    order = collected_order(
        store=store, lines=[(item, 1)], customer=customer, when=days_ago(29)
    )
    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=store,
        actor=associate,
        override_reason="not needed",
    )
    assert ret.override_reason == ""


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_the_window_of_a_delivery_runs_from_the_delivery(store):
    source = warehouse()
    item = stocked(source, 3)
    _, customer = shopper()
    order = delivery_order(lines=[(item, 1)], customer=customer)
    mark_picked(order=order)
    ship_order(order=order, now=days_ago(40))
    mark_delivered(order=order, now=days_ago(10))
    order.refresh_from_db()

    assert return_deadline(order) == order.delivered_at + timedelta(days=30)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="app",
        lines=[line_request(order)],
    )
    assert ret.started_channel == "app"


def test_an_order_not_handed_over_cannot_be_returned(store):
    item = stocked(store, 2)
    _, customer = shopper()
    order = place_order(
        lines=[LineRequest(item, 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=CARD,
    )
    with pytest.raises(ReturnNotAllowed, match="nothing has been handed over"):
        request_return(
            order=order.number,
            customer=customer,
            channel="web",
            lines=[line_request(order)],
        )


def test_another_customers_order_looks_unknown(store):
    item = stocked(store, 2)
    _, owner = shopper()
    _, stranger = shopper("eve@example.com")
    order = collected_order(store=store, lines=[(item, 1)], customer=owner)
    with pytest.raises(NotFound):
        request_return(
            order=order.number,
            customer=stranger,
            channel="web",
            lines=[line_request(order)],
        )


# --- quantities -----------------------------------------------------------------------


def test_never_more_than_bought_minus_already_returned(store, associate):
    item = stocked(store, 5)
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 3)], customer=customer)
    request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order, 2)],
    )

    with pytest.raises(ValidationFailed) as refused:
        request_return(
            order=order.number,
            customer=customer,
            channel="web",
            lines=[line_request(order, 2)],
        )

    assert refused.value.status == 400
    line = order.lines.get()
    assert refused.value.extra["returnable"] == {str(line.pk): 1}
    assert (
        "at most 1 can be returned (3 bought, 2 already returned)"
        in (refused.value.extra["lines"][0])
    )
    assert Return.objects.count() == 1


def test_a_cancelled_return_frees_its_units(store, associate):
    item = stocked(store, 5)
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 1)], customer=customer)
    first = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order)],
    )
    cancel_return(return_request=first, actor=associate, reason="Kept it")

    again = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order)],
    )

    assert again.status == ReturnStatus.REQUESTED
    first.refresh_from_db()
    assert first.status == ReturnStatus.CANCELLED
    assert first.history.last().note == "Kept it"
    assert CustomerEvent.objects.filter(kind="return_cancelled").count() == 1


def test_lines_of_another_order_are_refused(store):
    item = stocked(store, 5)
    _, customer = shopper()
    mine = collected_order(store=store, lines=[(item, 1)], customer=customer)
    other = collected_order(store=store, lines=[(item, 1)], customer=customer)
    with pytest.raises(ValidationFailed, match="not part of this order"):
        request_return(
            order=mine.number,
            customer=customer,
            channel="web",
            lines=[line_request(other)],
        )


# --- transitions ----------------------------------------------------------------------


def test_steps_happen_in_order(store, associate):
    item = stocked(store, 5)
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 1)], customer=customer)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order)],
    )
    with pytest.raises(IllegalTransition):
        refund_return(return_request=ret, actor=associate)
    with pytest.raises(IllegalTransition):
        close_return(return_request=ret, actor=associate)
    receive_return(return_request=ret, location=store, actor=associate)
    with pytest.raises(IllegalTransition):
        cancel_return(return_request=ret, actor=associate)
    refund_return(return_request=ret, actor=associate)
    closed = close_return(return_request=ret, actor=associate)

    assert closed.status == ReturnStatus.CLOSED
    assert list(closed.history.values_list("to_status", flat=True)) == [
        "requested",
        "received",
        "refunded",
        "closed",
    ]


# --- dispositions ---------------------------------------------------------------------


def test_damaged_goods_pass_through_the_ledger_and_never_become_sellable(
    store, associate
):
    other = shop(code="RM01", name="Roma")
    item = stocked(store, 3)
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 2)], customer=customer)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order, 2, "damaged", condition="damaged")],
    )

    receive_return(return_request=ret, location=other, actor=associate)

    assert on_hand(item, other) == 0
    moves = list(
        StockMovement.objects.filter(location=other, variant=item)
        .order_by("id")
        .values_list("reason", "delta_on_hand")
    )
    assert moves == [(MovementReason.RETURN_RESTOCK, 2), (MovementReason.DAMAGE, -2)]
    assert ret.lines.get().disposition == ReturnDisposition.DAMAGED
    assert ledger_discrepancies() == []


def test_staff_decide_condition_and_disposition_per_line(store, associate):
    shirt = stocked(store, 3)
    belt = stocked(store, 3)
    _, customer = shopper()
    order = collected_order(
        store=store, lines=[(shirt, 1), (belt, 1)], customer=customer
    )
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[
            ReturnLineRequest(line.pk, 1, "changed_mind") for line in order.lines.all()
        ],
    )
    rows = {row.order_line.variant_id: row for row in ret.lines.all()}

    with pytest.raises(ValidationFailed, match="cannot go back to sellable stock"):
        receive_return(
            return_request=ret,
            location=store,
            actor=associate,
            lines=[ReceiveLine(rows[belt.pk].pk, "damaged", "restock")],
        )
    assert Return.objects.get().status == ReturnStatus.REQUESTED

    receive_return(
        return_request=ret,
        location=store,
        actor=associate,
        lines=[ReceiveLine(rows[belt.pk].pk, "damaged")],
    )

    assert on_hand(shirt, store) == 3  # 3 - 1 sold + 1 back
    assert on_hand(belt, store) == 2  # 3 - 1 sold, the damaged one written off
    assert ledger_discrepancies() == []


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


# --- exchanges ------------------------------------------------------------------------


def test_an_exchange_pays_the_replacement_with_the_returned_value(store, associate):
    small = stocked(store, 5, price="40.00")
    large = stocked(store, 5, price="45.00")
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(small, 1)], staff=associate, customer=customer
    )

    result = exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "too_small")],
        replacement=[LineRequest(large, 1)],
        location=store,
        actor=associate,
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )

    assert result.credit_used == Decimal("40.00")
    assert result.paid == Decimal("5.00")
    assert result.credit_left == 0
    assert result.return_request.exchange_order == result.order
    assert result.order.status == OrderStatus.COMPLETED
    assert sorted(
        Payment.objects.filter(order=result.order).values_list("method", "amount")
    ) == [("cash", Decimal("5.00")), ("store_credit", Decimal("40.00"))]
    assert on_hand(small, store) == 5
    assert on_hand(large, store) == 4
    assert ledger_discrepancies() == []
    assert store_credit_discrepancies() == []


def test_an_exchange_for_less_leaves_the_difference_as_store_credit(store, associate):
    coat = stocked(store, 5, price="90.00")
    scarf = stocked(store, 5, price="25.00")
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(coat, 1)], staff=associate, customer=customer
    )

    result = exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "changed_mind")],
        replacement=[LineRequest(scarf, 1)],
        location=store,
        actor=associate,
    )

    assert (result.credit_used, result.paid, result.credit_left) == (
        Decimal("25.00"),
        0,
        Decimal("65.00"),
    )
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("65.00")


def test_an_exchange_whose_replacement_is_short_changes_nothing(store, associate):
    shirt = stocked(store, 5, price="40.00")
    rare = variant(price="40.00")  # none anywhere
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(shirt, 1)], staff=associate, customer=customer
    )

    with pytest.raises(InsufficientStock):
        exchange_items(
            order=sale.number,
            lines=[line_request(sale)],
            replacement=[LineRequest(rare, 1)],
            location=store,
            actor=associate,
        )

    assert not Return.objects.exists()
    customer.refresh_from_db()
    assert customer.store_credit_balance == 0
    assert on_hand(shirt, store) == 4
    assert Order.objects.count() == 1


def test_every_step_of_a_return_goes_out_as_a_webhook(store, associate):
    WebhookEndpoint.objects.create(
        name="ERP",
        url="https://erp.example.com/hooks",
        secret="s3cret",
        event_types=["return.*"],
    )
    item = stocked(store, 5)
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(item, 1)], staff=associate, customer=customer
    )

    ret = return_at_counter(
        order=sale.number,
        lines=[line_request(sale)],
        location=store,
        actor=associate,
    )

    deliveries = list(
        WebhookDelivery.objects.order_by("id").values_list("event_type", "payload")
    )
    assert [kind for kind, _ in deliveries] == [
        "return.requested",
        "return.received",
        "return.refunded",
    ]
    assert deliveries[-1][1]["code"] == ret.code
    assert deliveries[-1][1]["refund_total"] == "49.90"
