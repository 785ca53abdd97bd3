"""Points taken back after they were spent are owed, and the next points that come
back or are earned pay them first: once everything given back is given back, the
customer holds the points they held before, and owes nothing. The ledger adds up to
the balance and to the points owed at every step."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, LoyaltyTransaction
from omnistore.accounts.models import Role
from orders.models import Order, OrderStatus, PaymentMethod
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order, expire_uncollected_pickups
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import CARD, deliver_outbox, pickup_order, shop, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper
from tests.orders.stored_value_helpers import give_points

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

ME = "/api/v1/me/"
LOYALTY = "/api/v1/me/loyalty/"


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


@pytest.fixture
def manager(store):
    """Refunds above the associates' limit need a manager: this one approves their
    own."""
    return make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))


def held(customer) -> tuple[int, int]:
    """The balance and the points owed, checked against the ledger's sums."""
    row = Customer.objects.get(pk=customer.pk)
    sums = LoyaltyTransaction.objects.filter(customer=row).aggregate(
        points=Sum("points"), owed=Sum("owed")
    )
    assert (sums["points"] or 0, sums["owed"] or 0) == (
        row.points_balance,
        row.points_owed,
    )
    return row.points_balance, row.points_owed


def give_back(order, store, actor, units=None, line=None):
    """A counter return of ``units`` (all by default) of the order's only line,
    refunded to its payments."""
    line = line or order.lines.get()
    return return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(line.pk, units or line.quantity, "too_small")],
        location=store,
        actor=actor,
    )


def collect(order, store):
    mark_picked(order=order, actor=None, location=store)
    order = mark_ready(order=order, actor=None, location=store)
    return collect_order(
        order=order, actor=None, code=order.pickup_code, location=store
    )


def paid_with_points(store, customer, points, price, units=1):
    """A pickup paying ``points`` first and a card for the rest."""
    order = pickup_order(
        store=store,
        lines=[(stocked(store, units, price=price), units)],
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=points),
            *CARD,
        ],
    )
    deliver_outbox()
    return Order.objects.get(pk=order.pk)


def spent_then_returned(store, manager):
    """341 points; a pickup collected earns 224 (565 spendable); 565 of them pay a
    second pickup, which earns 67 on its card part; the first order comes back in
    full, refunded to the card: 67 taken back, 157 owed."""
    user, customer = shopper()
    give_points(customer, 341)
    first = collected_order(
        store=store, lines=[(stocked(store, 1, price="224.00"), 1)], customer=customer
    )
    client = api_client_for(user)
    assert client.get(LOYALTY).json()["points_spendable"] == 565
    second = paid_with_points(store, customer, 565, price="72.65")
    assert second.loyalty_points == 67
    assert held(customer) == (67, 0)

    give_back(first, store, manager)

    assert held(customer) == (0, 157)
    return user, customer, second


@pytest.mark.parametrize("how", ["cancelled", "returned", "not collected"])
def test_both_orders_given_back_leave_the_points_held_before_and_nothing_owed(
    store, manager, how
):
    user, customer, second = spent_then_returned(store, manager)
    client = api_client_for(user)
    me = client.get(ME).json()
    assert (me["points_balance"], me["points_owed"]) == (0, 157)

    if how == "cancelled":
        response = client.post(f"/api/v1/orders/{second.number}/cancel/")
        assert response.status_code == 200, response.json()
    elif how == "returned":
        give_back(collect(second, store), store, manager)
    else:
        mark_picked(order=second, actor=None, location=store)
        mark_ready(order=second, actor=None, location=store)
        later = timezone.now() + timedelta(days=30)
        assert expire_uncollected_pickups(now=later) == [second.number]
        assert Order.objects.get(pk=second.pk).status == OrderStatus.CANCELLED

    assert held(customer) == (341, 0)
    me = client.get(ME).json()
    assert (me["points_balance"], me["points_owed"]) == (341, 0)
    repaid = LoyaltyTransaction.objects.get(kind="repay")
    assert (repaid.points, repaid.owed) == (-157, -157)
    assert repaid.reason.startswith("Points owed paid from: Points given back")


def test_a_return_in_two_parts_around_a_cancel_ends_where_it_started(store, manager):
    """Two units earn 224; half comes back after the points were spent (67 taken,
    45 owed), the order they paid is cancelled (its 565 pay the 45 first, its 67
    go), then the other half comes back (112 taken)."""
    user, customer = shopper()
    give_points(customer, 341)
    first = collected_order(
        store=store, lines=[(stocked(store, 2, price="112.00"), 2)], customer=customer
    )
    second = paid_with_points(store, customer, 565, price="72.65")

    give_back(first, store, manager, units=1)
    assert held(customer) == (0, 45)
    response = api_client_for(user).post(f"/api/v1/orders/{second.number}/cancel/")
    assert response.status_code == 200, response.json()
    assert held(customer) == (453, 0)
    give_back(first, store, manager, units=1)

    assert held(customer) == (341, 0)


def test_points_owed_are_paid_by_the_next_order_earned_and_shown_to_staff(
    client, store, manager
):
    user, customer, _ = spent_then_returned(store, manager)
    client.force_login(manager)
    page = client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert 'data-testid="points-owed"' in page.content.decode()
    assert "Owes <strong>157</strong> points" in page.content.decode()

    third = collected_order(
        store=store, lines=[(stocked(store, 1, price="200.00"), 1)], customer=customer
    )

    assert held(customer) == (43, 0)
    repaid = LoyaltyTransaction.objects.get(kind="repay")
    earned = LoyaltyTransaction.objects.get(kind="earn", reference_id=third.number)
    assert (repaid.points, repaid.reference_id) == (-157, str(earned.pk))
    assert repaid.reason == f"Points owed paid from: {earned.reason}"
    # The paid order not collected yet still holds its 67: none can be spent.
    assert api_client_for(user).get(LOYALTY).json()["points_spendable"] == 0
    page = client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert 'data-testid="points-owed"' not in page.content.decode()
