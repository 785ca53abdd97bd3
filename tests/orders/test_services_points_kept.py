"""The points a customer holds follow what their orders kept, whatever came first:
points credited late (the outbox behind) after a return was refunded or parts were
cancelled earn on what was kept, exactly as crediting first and taking back after
would; points a return took back are not held back again as waiting on the order;
and taking back points already spent takes what is left, never below zero, and
says how many could not be taken back: those are owed."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from orders.emails import build_return_email
from orders.models import Order, PaymentMethod, Return
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, delivery_order, shop, stocked
from tests.orders.factories import warehouse as depot
from tests.orders.returns_helpers import (
    api_client_for,
    collected_order,
    counter_sale,
    shopper,
)
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

LOYALTY = "/api/v1/me/loyalty/"
POINTS = "/api/v1/me/loyalty/points/"


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


@pytest.fixture
def manager(store):
    """Refunds above the associates' limit need a manager: this one approves their
    own."""
    return make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))


def give_back(order, store, actor, units, line=None):
    """A counter return of ``units`` of the order's (only) line, refunded."""
    line = line or order.lines.get()
    return return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(line.pk, units, "too_small")],
        location=store,
        actor=actor,
    )


def balance(customer) -> int:
    return Customer.objects.get(pk=customer.pk).points_balance


def spend(store, staff, customer, points):
    """A counter sale paid with ``points`` first and a card for the rest."""
    return place_order(
        lines=[LineRequest(stocked(store, 1, price="5.00"), 1)],
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


def shipped(order, location):
    staff = StaffFactory(store=location)
    mark_picked(order=order, actor=staff, location=location)
    return ship_order(order=order, actor=staff, location=location)


# --- points a return took back are not waiting on the order too ----------------------


def test_points_a_returned_shipped_order_gave_back_do_not_hold_back_later_points(
    store, manager
):
    """A shipped order's 55 points went back with its return; a carry-out sale then
    earns 110 settled points: all 110 can be spent, at checkout too."""
    user, customer = shopper()
    source = depot()
    order = delivery_order(lines=[(stocked(source, 1, price="55.00"), 1)], user=user)
    deliver_outbox()
    order = shipped(order, source)
    assert Order.objects.get(pk=order.pk).loyalty_points == 55
    assert give_back(order, store, manager, 1).points_reversed == 55
    counter_sale(
        store=store,
        lines=[(stocked(store, 1, price="110.00"), 1)],
        staff=manager,
        customer=customer,
    )
    deliver_outbox()
    client = api_client_for(user)

    body = client.get(LOYALTY).json()

    assert (body["points_balance"], body["points_spendable"]) == (110, 110)
    item = stocked(store, 5, price="30.00")
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    placed = client.post(
        "/api/v1/checkout/",
        {
            "fulfilment": "pickup",
            "store": store.pk,
            "payment": {"token": "tok_visa"},
            "tenders": [{"type": "points", "points": 100}],
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    assert balance(customer) == 10


# --- points credited late earn on what the order kept --------------------------------


@pytest.mark.parametrize("credited", ["before the return", "after the return"])
def test_points_end_the_same_whether_credited_before_or_after_a_return(
    store, manager, credited
):
    """Three at 33.35 (100.05) earn 100 points; one comes back (33.35), taking back
    its share of them, rounded down (33): 67 are kept either way, and the rest
    returned takes back exactly those 67."""
    _, customer = shopper()
    sale = counter_sale(
        store=store,
        lines=[(stocked(store, 3, price="33.35"), 3)],
        staff=manager,
        customer=customer,
    )
    if credited == "before the return":
        deliver_outbox()
        assert balance(customer) == 100

    first = give_back(sale, store, manager, 1)
    deliver_outbox()  # credited now, if not before

    assert balance(customer) == 67
    sale.refresh_from_db()
    assert (sale.loyalty_points, Return.objects.get(pk=first.pk).points_reversed) == (
        100,
        33,
    )
    rest = give_back(sale, store, manager, 2)
    assert rest.points_reversed == 67
    assert balance(customer) == 0


def test_points_credited_after_a_return_say_what_the_return_took_off(store, manager):
    _, customer = shopper()
    sale = counter_sale(
        store=store,
        lines=[(stocked(store, 2, price="55.00"), 2)],
        staff=manager,
        customer=customer,
    )
    give_back(sale, store, manager, 1)

    deliver_outbox()

    earned = LoyaltyTransaction.objects.get(kind="earn", reference_id=sale.number)
    assert earned.points == 55
    assert earned.reason == f"Order {sale.number}: 110 points less 55 on goods refunded"


def test_points_credited_after_parts_were_cancelled_earn_on_the_parts_that_left(
    store, manager
):
    """Roma's and Napoli's parts (560.00 of 800.00) are cancelled before the points
    are credited: the order earns on Milano's parcel (240.00) only, and returning
    its shirt (40.00) then takes back the shirt's share of those."""
    split = split_shops()
    user, customer = shopper()
    order = split_order(split, user=user)
    order = shipped(order, split.milano)
    cancel_order(
        order=order, actor=StaffFactory(store=split.milano), reason="Out of stock"
    )
    assert balance(customer) == 0

    deliver_outbox()

    assert balance(customer) == Order.objects.get(pk=order.pk).loyalty_points == 240
    shirt = order.lines.get(fulfilment__location=split.milano, variant=split.shirt)
    assert give_back(order, store, manager, 1, line=shirt).points_reversed == 40
    assert balance(customer) == 200


# --- points already spent are not taken back below zero ------------------------------


def spent_then_returned(store, manager):
    """Three at 60.00 collected (180 points); one returned (60 back); 100 points
    spent on a counter sale; then the other two are returned (their 120 points)."""
    user, customer = shopper()
    order = collected_order(
        store=store, lines=[(stocked(store, 3, price="60.00"), 3)], customer=customer
    )
    give_back(order, store, manager, 1)
    assert balance(customer) == 120
    spend(store, manager, customer, 100)
    assert balance(customer) == 20
    return user, customer, give_back(order, store, manager, 2)


def test_a_return_after_points_were_spent_takes_back_what_is_left_and_says_so(
    client, store, manager
):
    user, customer, ret = spent_then_returned(store, manager)
    client.force_login(manager)
    page = client.get(reverse("staff:return_detail", args=[ret.code])).content.decode()
    assert "20 points taken back" in page
    assert "100 already spent: owed" in page

    assert balance(customer) == 0
    assert ret.points_reversed == 120  # the goods' share of the order's points
    reason = f"Return {ret.code} of order {ret.order.number}"
    taken = LoyaltyTransaction.objects.get(kind="reverse", reference_id=ret.code)
    assert (taken.points, taken.owed) == (-20, 100)
    assert taken.reason == f"{reason} (100 of 120 points already spent: owed)"
    assert Customer.objects.get(pk=customer.pk).points_owed == 100
    shown = api_client_for(user).get(POINTS).json()["results"]
    assert shown[0]["reason"] == taken.reason
    event = CustomerEvent.objects.get(kind="points_reversed", reference_id=ret.code)
    assert event.data == {"points": -20, "not_taken_back": 100}
    refunded = CustomerEvent.objects.get(kind="return_refunded", reference_id=ret.code)
    assert "120 points reversed (100 of them already spent: owed" in refunded.summary
    mail = build_return_email(return_request=ret, kind="refund")
    assert "20 loyalty points earned on these items were taken back." in mail.body
    assert "100 loyalty points earned on these items were already spent" in mail.body
    assert "120 loyalty points" not in mail.body


def test_a_return_when_every_point_is_spent_takes_back_none_and_says_so(store, manager):
    user, customer = shopper()
    order = collected_order(
        store=store, lines=[(stocked(store, 1, price="60.00"), 1)], customer=customer
    )
    spend(store, manager, customer, 60)
    assert balance(customer) == 0

    ret = give_back(order, store, manager, 1)

    assert balance(customer) == 0
    row = LoyaltyTransaction.objects.get(kind="reverse")
    assert (row.points, row.owed) == (0, 60)
    assert Customer.objects.get(pk=customer.pk).points_owed == 60
    event = CustomerEvent.objects.get(kind="points_reversed", reference_id=ret.code)
    assert event.summary == (
        f"No points taken back: Return {ret.code} of order {order.number} "
        "(all 60 points already spent: owed)"
    )
    assert event.data == {"points": 0, "not_taken_back": 60}


def test_the_database_keeps_a_points_balance_from_going_below_zero():
    _, customer = shopper()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(points_balance=-1)
