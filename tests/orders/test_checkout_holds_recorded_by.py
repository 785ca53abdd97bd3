"""A storefront order and the stock its checkout holds are recorded as placed and
moved by whoever placed the order: the signed-in customer's login on the order's
"placed" history row and timeline event, on the ledger's reservation rows and on
the transfer the checkout asks for (its hold at the source and its "Requested"
step), as their cancelling records them on the release; nobody for a guest."""

import pytest
from rest_framework.test import APIClient

from customers.models import CustomerEvent
from inventory.models import (
    MovementReason,
    StockMovement,
    Transfer,
    TransferStatus,
)
from orders.models import Order, OrderStatus
from tests.orders.factories import shop, stocked, warehouse
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}


def buy_now(client, store, *lines) -> Order:
    placed = client.post(
        "/api/v1/checkout/buy-now/",
        {
            "fulfilment": "pickup",
            "store": store.pk,
            "lines": [{"variant": v.pk, "quantity": q} for v, q in lines],
            "payment": CARD,
            "email": "ada@example.com",
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    return Order.objects.get(number=placed.json()["number"])


def movements(reason, **where) -> list:
    return list(
        StockMovement.objects.filter(reason=reason, **where).values_list(
            "actor_id", flat=True
        )
    )


def test_a_signed_in_customer_holds_the_stock_of_their_order():
    store, depot = shop(), warehouse()
    here, elsewhere = stocked(store, 3), stocked(depot, 3)
    user, _customer = shopper()
    client = api_client_for(user)

    order = buy_now(client, store, (here, 1), (elsewhere, 1))

    assert movements(
        MovementReason.RESERVATION, reference_type="order", reference_id=order.number
    ) == [user.pk]
    transfer = Transfer.objects.get(reference_id=order.number)
    assert transfer.requested_by == user
    assert movements(
        MovementReason.RESERVATION,
        reference_type="transfer",
        reference_id=str(transfer.pk),
    ) == [user.pk]
    requested = transfer.events.get(to_status=TransferStatus.REQUESTED)
    assert requested.actor == user
    assert order.history.get(to_status=OrderStatus.PLACED).actor == user
    placed = CustomerEvent.objects.get(kind="order_placed", reference_id=order.number)
    assert placed.actor == user

    cancelled = client.post(f"/api/v1/orders/{order.number}/cancel/", {})
    assert cancelled.status_code == 200, cancelled.json()
    assert set(movements(MovementReason.RELEASE)) == {user.pk}


def test_a_guest_s_holds_name_no_one():
    store, depot = shop(), warehouse()
    here, elsewhere = stocked(store, 3), stocked(depot, 3)

    order = buy_now(APIClient(), store, (here, 1), (elsewhere, 1))

    assert order.customer is not None  # the profile their email made
    assert movements(MovementReason.RESERVATION) == [None, None]
    transfer = Transfer.objects.get(reference_id=order.number)
    assert transfer.requested_by is None
    assert transfer.events.get().actor is None
    assert order.history.get().actor is None
