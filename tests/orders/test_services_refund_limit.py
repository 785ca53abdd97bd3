"""The refund limit judges what an order has had back in all, not one refund at a
time: a return split in parts asks a manager as the whole would, on every path that
refunds a return, and cancelling an order refunds only with the same approval."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalChannel, ApprovalKind
from omnistore.approvals.services.approvals import ApprovalRequired
from orders.models import (
    OrderStatus,
    PaymentMethod,
    Refund,
    RefundMethod,
    Return,
    ReturnStatus,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.exchanges import exchange_items
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import expire_uncollected_pickups
from orders.services.refunds import receive_and_refund_return, return_at_counter
from orders.services.returns import ReturnLineRequest, request_return
from tests.approvals.helpers import approved, make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import delivery_order, shop, stocked, warehouse
from tests.orders.returns_helpers import (
    collected_order,
    counter_sale,
    line_request,
    shopper,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
D = Decimal
CASH = [(PaymentMethod.CASH, None)]
FLOAT = {D("50"): 4}  # 200.00 in the drawer, enough for any refund here


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = D("150.00")


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro", ships_online_orders=True)


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(
            store=store, role=Role.STORE_MANAGER, first_name="Marco", last_name="Rossi"
        )
    )


def three_shirts(store, associate, **kwargs):
    """A counter sale of 3 × 59.90 = 179.70, above the limit only as a whole."""
    item = stocked(store, 5, price="59.90")
    return counter_sale(store=store, lines=[(item, 3)], staff=associate, **kwargs)


def give_back(order, store, actor, units, **kwargs):
    return return_at_counter(
        order=order.number,
        lines=[line_request(order, units)],
        location=store,
        actor=actor,
        **kwargs,
    )


# --- a return split in parts ----------------------------------------------------------


def test_a_return_split_in_parts_asks_a_manager_once_the_order_passes_the_limit(
    store, associate, manager
):
    order = three_shirts(store, associate, tenders=CASH)
    open_counter_till(associate, counts=FLOAT)
    first = give_back(order, store, associate, 2)
    assert first.refund_total == D("119.80")  # 119.80 in all: no one asked

    with pytest.raises(ApprovalRequired) as asked:
        give_back(order, store, associate, 1)
    assert asked.value.ask.kind == ApprovalKind.REFUND
    assert asked.value.ask.subject == f"order:{order.number}:original"
    assert asked.value.ask.amount == D("59.90")
    assert asked.value.ask.summary == (
        f"Refund 59.90 EUR on order {order.number} (179.70 EUR with earlier refunds)"
        ", to the payments"
    )
    assert Return.objects.count() == 1
    assert sum(r.amount for r in Refund.objects.all()) == D("119.80")

    yes = approved(asked.value, associate, manager)
    second = give_back(order, store, associate, 1, approvals=[yes.pk])
    assert second.status == ReturnStatus.REFUNDED
    assert sum(r.amount for r in Refund.objects.all()) == D("179.70")
    assert "approved by Marco Rossi" in second.history.last().note


def test_an_approval_to_refund_as_store_credit_pays_nothing_back_to_the_payments(
    store, associate, manager
):
    """Where the money goes is part of what the manager approved: a yes for store
    credit (an exchange's) is no yes for cash out of the till."""
    order = three_shirts(
        store, associate, customer=make_customer(email="pia@example.com"), tenders=CASH
    )
    open_counter_till(associate, counts=FLOAT)
    with pytest.raises(ApprovalRequired) as asked:
        give_back(order, store, associate, 3, refund_method=RefundMethod.STORE_CREDIT)
    assert asked.value.ask.summary.endswith(", as store credit")
    yes = approved(asked.value, associate, manager)

    with pytest.raises(ApprovalRequired) as again:
        give_back(order, store, associate, 3, approvals=[yes.pk])
    assert again.value.ask.subject == f"order:{order.number}:original"
    assert not Refund.objects.exists()
    yes.refresh_from_db()
    assert yes.status == "approved"  # still there for the store credit


def test_store_credit_given_for_earlier_returns_counts_too(store, associate):
    order = three_shirts(
        store, associate, customer=make_customer(email="pia@example.com")
    )
    give_back(order, store, associate, 2, refund_method=RefundMethod.STORE_CREDIT)
    with pytest.raises(ApprovalRequired) as asked:
        give_back(order, store, associate, 1)
    assert "(179.70 EUR with earlier refunds)" in asked.value.ask.summary


def test_a_first_refund_below_the_limit_asks_no_one_and_says_nothing_of_earlier(
    store, associate
):
    order = three_shirts(store, associate)
    with pytest.raises(ApprovalRequired) as asked:
        give_back(order, store, associate, 3)
    assert asked.value.ask.summary == (
        f"Refund 179.70 EUR on order {order.number}, to the payments"
    )
    give_back(order, store, associate, 2)
    assert not Approval.objects.exists()


def test_a_manager_splitting_a_return_approves_it_themselves(store, manager):
    order = three_shirts(store, manager)
    give_back(order, store, manager, 2)
    ret = give_back(order, store, manager, 1)
    assert ret.status == ReturnStatus.REFUNDED
    record = Approval.objects.get()
    assert (record.channel, record.decided_by, record.amount) == (
        ApprovalChannel.SELF,
        manager,
        D("59.90"),
    )


def test_receiving_and_refunding_an_online_return_counts_earlier_refunds(
    store, associate
):
    item = stocked(store, 5, price="59.90")
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 3)], customer=customer)
    give_back(order, store, associate, 2)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order, 1)],
    )
    with pytest.raises(ApprovalRequired) as asked:
        receive_and_refund_return(
            return_request=ret.code, location=store, actor=associate
        )
    assert "(179.70 EUR with earlier refunds)" in asked.value.ask.summary
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED  # neither received nor refunded


def test_an_exchange_after_an_earlier_return_counts_it(store, associate):
    """What the exchange leaves as store credit (59.90 back for 19.90) counts with
    the earlier refunds."""
    order = three_shirts(
        store, associate, customer=make_customer(email="pia@example.com")
    )
    give_back(order, store, associate, 2)
    other = stocked(store, 5, price="19.90")
    with pytest.raises(ApprovalRequired) as asked:
        exchange_items(
            order=order.number,
            lines=[line_request(order, 1)],
            replacement=[LineRequest(other, 1)],
            location=store,
            actor=associate,
        )
    assert asked.value.ask.amount == D("40.00")
    assert "(159.80 EUR with earlier refunds)" in asked.value.ask.summary
    assert Return.objects.count() == 1


def boots_and_socks(store, associate):
    """A counter sale in cash of boots 169.00 and socks 14.90 (183.90), and a
    second size of the boots at the same price."""
    boots, socks = stocked(store, 5, price="169.00"), stocked(store, 5, price="14.90")
    order = counter_sale(
        store=store,
        lines=[(boots, 1), (socks, 1)],
        staff=associate,
        customer=make_customer(email="pia@example.com"),
        tenders=CASH,
    )
    lines = {line.variant_id: line for line in order.lines.all()}
    return order, lines[boots.pk], lines[socks.pk]


def exchange_boots(order, boots_line, replacement, store, associate):
    return exchange_items(
        order=order.number,
        lines=[ReturnLineRequest(boots_line.pk, 1, "too_small")],
        replacement=[LineRequest(replacement, 1)],
        location=store,
        actor=associate,
    )


def return_socks(order, socks_line, store, associate):
    return return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(socks_line.pk, 1, "changed_mind")],
        location=store,
        actor=associate,
    )


def test_a_refund_after_an_even_exchange_counts_nothing_for_the_exchange(
    store, associate
):
    """The boots swapped for another size left nothing: the socks refunded later
    (14.90) are all that leaves the shop, below the limit."""
    order, boots_line, socks_line = boots_and_socks(store, associate)
    open_counter_till(associate, counts=FLOAT)
    other_size = stocked(store, 5, price="169.00")
    swap = exchange_boots(order, boots_line, other_size, store, associate)
    assert (swap.credit_used, swap.credit_left) == (D("169.00"), D("0.00"))

    ret = return_socks(order, socks_line, store, associate)
    assert ret.status == ReturnStatus.REFUNDED
    assert ret.refund_total == D("14.90")
    assert not Approval.objects.exists()


def test_a_refund_after_an_uneven_exchange_counts_only_the_credit_it_left(
    store, associate, settings
):
    """Boots of 169.00 exchanged for a pair of 100.00 leave 69.00 as store credit:
    with the socks refunded later, 83.90 has left the shop, not 183.90."""
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = D("80.00")
    order, boots_line, socks_line = boots_and_socks(store, associate)
    open_counter_till(associate, counts=FLOAT)
    cheaper = stocked(store, 5, price="100.00")
    swap = exchange_boots(order, boots_line, cheaper, store, associate)
    assert swap.credit_left == D("69.00")
    assert not Approval.objects.exists()  # 69.00 left: below the limit

    with pytest.raises(ApprovalRequired) as asked:
        return_socks(order, socks_line, store, associate)
    assert asked.value.ask.amount == D("14.90")
    assert asked.value.ask.summary == (
        f"Refund 14.90 EUR on order {order.number} (83.90 EUR with earlier refunds)"
        ", to the payments"
    )


# --- cancelling ---------------------------------------------------------------------------


def delivered_from_the_shop(store, associate, price="89.90"):
    """A home delivery rung up at the counter and paid in cash: 2 × 89.90 = 179.80."""
    item = stocked(store, 5, price=price)
    return delivery_order(
        lines=[(item, 2)],
        channel="store",
        placing_location=store,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )


def test_an_associate_cancelling_above_the_limit_waits_for_a_manager(
    store, associate, manager
):
    order = delivered_from_the_shop(store, associate)
    open_counter_till(associate, counts=FLOAT)
    with pytest.raises(ApprovalRequired) as asked:
        cancel_order(
            order=order, actor=associate, reason="Changed mind", location=store
        )
    assert (asked.value.ask.kind, asked.value.ask.amount) == (
        ApprovalKind.REFUND,
        D("179.80"),
    )
    assert asked.value.ask.subject == f"order:{order.number}:cancel"
    assert asked.value.ask.summary == (
        f"Cancel order {order.number} and refund 179.80 EUR"
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and not Refund.objects.exists()

    yes = approved(asked.value, associate, manager)
    order = cancel_order(
        order=order,
        actor=associate,
        reason="Changed mind",
        location=store,
        approvals=[yes.pk],
    )
    assert order.status == OrderStatus.CANCELLED
    assert Refund.objects.get().amount == D("179.80")
    assert order.history.last().note == "Changed mind · approved by Marco Rossi"
    yes.refresh_from_db()
    assert yes.status == "used"


def test_cancelling_below_the_limit_asks_no_one(store, associate):
    order = delivered_from_the_shop(store, associate, price="75.00")
    open_counter_till(associate, counts=FLOAT)
    cancel_order(order=order, actor=associate, reason="Changed mind", location=store)
    assert Refund.objects.get().amount == D("150.00")
    assert not Approval.objects.exists()


def test_a_manager_cancelling_approves_it_themselves(store, manager):
    order = delivered_from_the_shop(store, manager)
    open_counter_till(manager, counts=FLOAT)
    cancel_order(order=order, actor=manager, reason="Out of stock", location=store)
    record = Approval.objects.get()
    assert (record.kind, record.channel, record.amount) == (
        ApprovalKind.REFUND,
        ApprovalChannel.SELF,
        D("179.80"),
    )


def test_customers_and_expiring_pickups_cancel_without_a_manager(store, associate):
    item = stocked(warehouse(), 5, price="218.95")
    user, _ = shopper()
    web = delivery_order(lines=[(item, 2)], user=user)  # 437.90, taken at checkout
    cancel_order(order=web, actor=user, by_customer=True)
    assert Refund.objects.get(payment__order=web).amount == D("437.90")

    pickup = place_order(
        lines=[LineRequest(stocked(store, 5, price="219.00"), 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="pia@example.com",
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
    )
    mark_picked(order=pickup, actor=associate, location=store)
    mark_ready(order=pickup, actor=associate, location=store)
    expired = expire_uncollected_pickups(now=timezone.now() + timedelta(days=30))
    assert expired == [pickup.number]
    assert Refund.objects.get(payment__order=pickup).amount == D("219.00")
    assert not Approval.objects.exists()


def test_an_even_exchange_for_a_pickup_counts_the_credit_until_collected(
    store, associate
):
    """A replacement to pick up later has not left: cancelled or never collected,
    its store credit goes back to the customer. So the exchange counts all the
    returned value against the limit, as a return as store credit would."""
    order, boots_line, _socks_line = boots_and_socks(store, associate)
    other_size = stocked(store, 5, price="169.00")
    with pytest.raises(ApprovalRequired) as asked:
        exchange_items(
            order=order.number,
            lines=[ReturnLineRequest(boots_line.pk, 1, "too_small")],
            replacement=[LineRequest(other_size, 1)],
            fulfilment="pickup",
            pickup_store=store,
            location=store,
            actor=associate,
        )
    assert asked.value.ask.amount == D("169.00")
    assert not Return.objects.exists()


def test_store_credit_back_from_a_cancelled_replacement_counts_as_left(
    store, manager, associate
):
    """Exchanged with a manager's yes for a pickup, then the replacement cancelled:
    its 169.00 of store credit is back with the customer, and a later refund of the
    order counts it."""
    order, boots_line, socks_line = boots_and_socks(store, associate)
    open_counter_till(associate, counts=FLOAT)
    other_size = stocked(store, 5, price="169.00")
    swap = exchange_items(
        order=order.number,
        lines=[ReturnLineRequest(boots_line.pk, 1, "too_small")],
        replacement=[LineRequest(other_size, 1)],
        fulfilment="pickup",
        pickup_store=store,
        location=store,
        actor=manager,
    )
    cancel_order(order=swap.order, actor=None, reason="Changed my mind")

    with pytest.raises(ApprovalRequired) as asked:
        return_socks(order, socks_line, store, associate)
    assert "(183.90 EUR with earlier refunds)" in asked.value.ask.summary
