"""*Not on our shelf* on an order's transfer, for the shop sending it before it
ships: the units it cannot find are written off there as a count, the rest of the
transfer's hold is given back, the transfer ends closed short with nothing sent,
and the order asks again for all it was to bring, as for a transfer closed short;
its history and the customer's timeline say so. With no other source nothing
changes; the pickup shop, or any other shop, finds no such page; more units than
the transfer carries is a form error."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import CustomerEvent
from inventory.models import (
    MovementReason,
    StockLevel,
    StockMovement,
    Transfer,
    TransferStatus,
)
from omnistore.staff.once import new_token
from orders.models import Order
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import pickup_order, shop, warehouse
from tests.orders.returns_helpers import shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def torino():
    return shop(code="TO01", name="Torino Centro", ships_online_orders=True)


@pytest.fixture
def coat(torino):
    item = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(item, torino, 1)
    return item


@pytest.fixture
def customer():
    return shopper()[1]


@pytest.fixture
def order(store, coat, customer):
    """One coat for pickup at a shop without any: Torino sends it."""
    return pickup_order(store=store, lines=[(coat, 1)], customer=customer)


@pytest.fixture
def transfer(order, torino):
    sent = Transfer.objects.get(reference_id=order.number)
    assert sent.source == torino
    return sent


@pytest.fixture
def sender(torino):
    return StaffFactory(store=torino)


def page(transfer):
    return reverse("staff:transfer_not_on_shelf", args=[transfer.pk])


def missing(client, transfer, coat, units=1):
    return client.post(
        page(transfer),
        {"item": coat.pk, "units": units, "reason": "not found", "once": new_token()},
    )


def level(item, location):
    return StockLevel.objects.get(variant=item, location=location)


def nothing_changed(transfer, coat, torino, history):
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED
    assert (level(coat, torino).on_hand, level(coat, torino).reserved) == (1, 1)
    assert not StockMovement.objects.filter(reason=MovementReason.COUNT).exists()
    order = transfer_order(transfer)
    assert order.fulfilments.get().transfer == transfer
    assert order.history.count() == history


def transfer_order(transfer):
    return Order.objects.get(number=transfer.reference_id)


def test_the_sender_closes_it_short_and_the_order_asks_elsewhere(
    client, order, transfer, coat, torino, sender, customer
):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    client.force_login(sender)
    detail = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    assert page(transfer) in detail.content.decode()
    assert client.get(page(transfer)).status_code == 200

    sent = missing(client, transfer, coat)

    assert sent.status_code == 302
    assert (level(coat, torino).on_hand, level(coat, torino).reserved) == (0, 0)
    count = StockMovement.objects.get(location=torino, reason=MovementReason.COUNT)
    assert (count.delta_on_hand, count.delta_reserved) == (-1, -1)
    assert (count.reference_type, count.reference_id) == ("transfer", str(transfer.pk))
    assert count.actor == sender
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert transfer.status_label == "Closed short (1 missing)"
    part = order.fulfilments.get()
    assert part.transfer.source == napoli and part.location == napoli
    change = order.history.order_by("pk").last()
    assert change.actor == sender and change.location == torino
    assert change.note.startswith(
        f"COAT-BLK-L ×1 not on the shelf at Torino Centro (not found): transfer "
        f"{transfer} closed short, nothing sent; asked again from Napoli DC"
    )
    assert CustomerEvent.objects.filter(
        customer=customer, kind="order_not_on_shelf", reference_id=order.number
    ).exists()
    closed = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    said = closed.content.decode()
    assert "what did not arrive comes on transfer" in said
    assert str(part.transfer) in said


def test_with_no_other_source_nothing_changes(
    client, order, transfer, coat, torino, sender
):
    history = order.history.count()
    client.force_login(sender)

    refused = missing(client, transfer, coat)

    assert refused.status_code == 422
    html = refused.content.decode()
    assert "No other location can send the units of transfer" in html
    assert 'data-testid="ship-instead"' in html
    nothing_changed(transfer, coat, torino, history)


def test_the_pickup_shop_and_other_shops_find_no_such_page(
    client, order, transfer, coat, torino, store
):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    history = order.history.count()
    for user in (StaffFactory(store=store), StaffFactory(store=shop(code="RM01"))):
        client.force_login(user)
        assert client.get(page(transfer)).status_code == 404
        assert missing(client, transfer, coat).status_code == 404
    nothing_changed(transfer, coat, torino, history)


def test_more_units_than_on_the_transfer_is_a_form_error(
    client, order, transfer, coat, torino, sender
):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    history = order.history.count()
    client.force_login(sender)

    refused = missing(client, transfer, coat, units=2)

    assert refused.status_code == 422
    assert refused.context["form"].errors["units"] == [
        "At most 1: the units held for it here."
    ]
    nothing_changed(transfer, coat, torino, history)
