"""An order not handed over yet has nothing to return: the refusal says what the asker
can do instead, and offers cancelling only to whom may cancel it (its customer while it
is placed, staff while it can be cancelled)."""

import pytest

from omnistore.core.exceptions import ReturnNotAllowed
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.factories import CARD, shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(name="Milano Duomo")


@pytest.fixture
def ada(store):
    user, customer = shopper()
    order = place_order(
        lines=[LineRequest(stocked(store, 3, price="30.00"), 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=CARD,
    )
    return {"client": api_client_for(user), "order": order}


def ask_online(ada):
    order = ada["order"]
    return ada["client"].post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {"order_line": order.lines.get().pk, "quantity": 1, "reason": "other"}
            ],
        },
        format="json",
    )


def test_a_placed_order_is_cancelled_instead_and_the_customer_can(ada):
    refused = ask_online(ada)

    assert refused.status_code == 409
    assert "(cancel it instead)." in refused.json()["message"]
    cancel = ada["client"].post(f"/api/v1/orders/{ada['order'].number}/cancel/")
    assert cancel.status_code == 200


def test_a_ready_pickup_is_not_offered_a_cancel_the_customer_cannot_make(ada, store):
    mark_picked(order=ada["order"], location=store)
    mark_ready(order=ada["order"], location=store)

    refused = ask_online(ada)

    assert refused.status_code == 409
    message = refused.json()["message"]
    assert "cancel it instead" not in message
    assert "it waits at the shop until it closes on" in message
    assert "cancelled and refunded" in message
    cancel = ada["client"].post(f"/api/v1/orders/{ada['order'].number}/cancel/")
    assert cancel.status_code == 409


def test_a_picked_order_sends_the_customer_to_the_shop(ada, store):
    mark_picked(order=ada["order"], location=store)

    message = ask_online(ada).json()["message"]

    assert "cancel it instead" not in message
    assert "contact the shop" in message


def test_staff_are_told_to_cancel_a_ready_pickup_they_can_cancel(ada, store):
    mark_picked(order=ada["order"], location=store)
    mark_ready(order=ada["order"], location=store)
    order = ada["order"]

    with pytest.raises(ReturnNotAllowed) as refused:
        request_return(
            order=order.number,
            channel="store",
            actor=StaffFactory(store=store),
            location=store,
            lines=[ReturnLineRequest(order.lines.get().pk, 1)],
        )

    assert "(cancel it instead)." in refused.value.message
