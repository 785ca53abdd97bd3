"""How spending points and getting them back read on the customer's timeline and
points ledger: spending is a payment ("Paid 600 points for order OS-…"), not a
reversal, and points given back name what gave them back (the order cancelled, a
return), never a payment's internal reference."""

import pytest

from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from orders.models import PaymentMethod
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import CARD, pickup_order, shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import give_points

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

TIMELINE = "/api/v1/me/timeline/"
POINTS = "/api/v1/me/loyalty/points/"


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


def with_points(points):
    return [PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=points), *CARD]


def summaries(client) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in client.get(TIMELINE).json()["results"]:
        found.setdefault(event["kind"], []).append(event["summary"])
    return found


def test_spending_points_reads_as_a_payment_and_a_cancel_gives_them_back(store):
    user, customer = shopper()
    give_points(customer, 600)
    order = pickup_order(
        store=store,
        lines=[(stocked(store, 2, price="30.00"), 1)],
        customer=customer,
        payments=with_points(600),
    )
    client = api_client_for(user)

    events = summaries(client)
    assert events["points_spent"] == [f"Paid 600 points for order {order.number}"]
    assert "points_reversed" not in events

    cancel_order(order=order, reason="Changed mind", by_customer=True)

    back = f"Points given back: order {order.number} cancelled"
    ledger = client.get(POINTS).json()["results"]
    assert (ledger[0]["kind"], ledger[0]["points"], ledger[0]["reason"]) == (
        "restore",
        600,
        back,
    )
    assert summaries(client)["points_given_back"] == [f"{back} (+600 points)"]
    said = [row["reason"] for row in ledger] + [
        summary for texts in summaries(client).values() for summary in texts
    ]
    assert not [text for text in said if "cancel:" in text]


def test_points_paid_for_goods_returned_are_given_back_naming_the_return(store):
    manager = make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))
    user, customer = shopper()
    give_points(customer, 1000)
    sale = place_order(
        lines=[LineRequest(stocked(store, 1, price="30.00"), 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=manager,
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=1000),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )

    ret = return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "too_small")],
        location=store,
        actor=manager,
    )

    ledger = api_client_for(user).get(POINTS).json()["results"]
    restored = [row for row in ledger if row["kind"] == "restore"]
    assert [(row["points"], row["reason"]) for row in restored] == [
        (1000, f"Points given back: return {ret.code} of order {sale.number}")
    ]
