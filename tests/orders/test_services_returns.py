"""Returns through the services, against the real database: the return window and
its override, quantities never above bought minus returned, the steps in order,
conditions and dispositions through the ledger, and the webhook of every step."""

import pytest
from django.test import override_settings

from customers.models import CustomerEvent
from inventory.models import MovementReason, StockMovement
from inventory.selectors import ledger_discrepancies
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.dates import end_of_day_after
from omnistore.core.exceptions import (
    IllegalTransition,
    NotFound,
    ReturnNotAllowed,
    ValidationFailed,
)
from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from orders.models import Refund, Return, ReturnDisposition, ReturnStatus
from orders.selectors.returns import return_deadline
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
from orders.services.refunds import receive_return, refund_return, return_at_counter
from orders.services.return_endings import cancel_return, close_return
from orders.services.returns import (
    ReceiveLine,
    ReturnLineRequest,
    request_return,
)
from tests.approvals.helpers import approved, make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import (
    CARD,
    delivery_order,
    on_hand,
    shop,
    stocked,
    warehouse,
)
from tests.orders.returns_helpers import (
    collected_order,
    counter_sale,
    days_ago,
    line_request,
    shopper,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


# --- policy -----------------------------------------------------------------------------


def test_a_second_return_outside_the_window_asks_in_cents(store, associate):
    """What earlier returns took is summed in cents: the manager reads 39.90, not
    the float's digits a database sum can bring."""
    item = stocked(store, 5, price="39.90")
    _, customer = shopper()
    order = collected_order(
        store=store, lines=[(item, 3)], customer=customer, when=days_ago(45)
    )
    manager = make_approver(StaffFactory(store=store, role="store_manager"))
    for _ in range(2):
        return_at_counter(
            order=order.number,
            lines=[line_request(order)],
            location=store,
            actor=manager,
            override_reason="Seam came apart",
        )

    with pytest.raises(ApprovalRequired) as asked:
        return_at_counter(
            order=order.number,
            lines=[line_request(order)],
            location=store,
            actor=associate,
            override_reason="Seam came apart",
        )
    assert "39.90 EUR" in asked.value.ask.summary, asked.value.ask.summary
    assert "39.900" not in asked.value.ask.summary


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
def test_outside_the_window_staff_need_a_reason_and_a_manager_both_recorded(
    store, associate
):
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

    with pytest.raises(ApprovalRequired) as asked:
        return_at_counter(
            order=order.number,
            lines=[line_request(order)],
            location=store,
            actor=associate,
            override_reason="Seam came apart, manager approved",
        )
    assert not Return.objects.exists()
    manager = make_approver(StaffFactory(store=store, role="store_manager"))
    yes = approved(asked.value, associate, manager)
    assert yes.reason == "Seam came apart, manager approved"
    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=store,
        actor=associate,
        override_reason="Seam came apart, manager approved",
        approvals=[yes.pk],
    )

    assert ret.status == ReturnStatus.REFUNDED
    assert ret.override_reason == "Seam came apart, manager approved"
    first = ret.history.order_by("at", "id").first()
    assert first.note == (
        "Accepted outside the return window: Seam came apart, manager approved"
        f" · approved by {manager.display_name}"
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

    assert return_deadline(order) == end_of_day_after(order.delivered_at, 30)
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
            lines=[line_request(order, 2, reason="damaged")],
        )

    assert refused.value.status == 400
    line = order.lines.get()
    assert refused.value.extra["returnable"] == {str(line.pk): 1}
    assert (
        "at most 1 can be returned (3 bought, 2 already on a return)"
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


def test_a_lines_refunds_never_add_up_to_more_than_it_cost_whatever_is_cancelled(
    store, associate
):
    """Two units whose discounted price does not halve to the cent: one is asked
    back online, the other taken back at the counter, the online return cancelled
    and the unit brought to the counter after all. The two refunds add up to what the
    line cost, its VAT to the line's VAT, not a cent more."""
    item = stocked(store, 5, price="23.45")
    discount_code("TEN", "percentage", "10")
    customer = make_customer(email="pia@example.com")
    order = counter_sale(
        store=store,
        lines=[(item, 2)],
        staff=associate,
        customer=customer,
        discount_code="TEN",
    )
    line = order.lines.get()
    assert line.line_total * 100 % 2 == 1  # an odd number of cents
    online = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order, 1)],
    )
    counter = return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=store,
        actor=associate,
    )
    cancel_return(return_request=online, actor=associate, reason="Brought to a shop")

    again = return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=store,
        actor=associate,
    )

    refunded = [counter.lines.get(), again.lines.get()]
    assert sum(row.amount for row in refunded) == line.line_total
    assert sum(row.tax for row in refunded) == line.tax
    assert counter.refund_total + again.refund_total == sum(
        Refund.objects.filter(payment__order=order).values_list("amount", flat=True)
    )


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


def test_a_return_lists_at_most_a_hundred_lines_at_any_door(store, associate):
    """The counter calls the same service: past the cap it is one error on
    ``lines``, before any order is read."""
    item = stocked(store, 5)
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 1)], customer=customer)
    with pytest.raises(ValidationFailed) as refused:
        request_return(
            order=order.number,
            actor=associate,
            location=store,
            channel="store",
            lines=[line_request(order)] * 101,
        )
    assert refused.value.extra == {"lines": ["A return lists at most 100 lines."]}
    assert not Return.objects.exists()


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
    # the write-off names the return, as the unit coming in does
    assert list(
        StockMovement.objects.filter(reference_type="return", reference_id=ret.code)
        .order_by("id")
        .values_list("reason", "delta_on_hand")
    ) == [(MovementReason.RETURN_RESTOCK, 2), (MovementReason.DAMAGE, -2)]
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
    # every amount with its two decimals, the return just created too
    assert all(len(p["refund_total"].split(".")[-1]) == 2 for _, p in deliveries)
