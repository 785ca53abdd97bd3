"""Click and collect sourced from another location (endless aisle): the units a
transfer brings to the pickup shop are held for the order as they are received, so
no one else can take them, and picking the order uses that hold."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import (
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from inventory.selectors import ledger_discrepancies
from inventory.services.reservations import release_reservations
from inventory.services.transfers import receive_transfer, ship_transfer
from omnistore.core.exceptions import InsufficientStock
from omnistore.staff.once import new_token as once
from orders.models import OrderStatus
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.pickups import collect_order
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import delivery_order, pickup_order, shop, warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def depot():
    return warehouse(code="WH01", name="Piacenza DC")


@pytest.fixture
def coat(depot):
    item = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(item, depot, 2)
    return item


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


def held(variant, location) -> tuple[int, int]:
    level = StockLevel.objects.get(variant=variant, location=location)
    return level.on_hand, level.reserved


def holds_for(order, location) -> list[tuple[int, str]]:
    return sorted(
        (r.quantity, r.status)
        for r in Reservation.objects.filter(
            reference_type="order", reference_id=order.number, location=location
        )
    )


def reservations_booked(order, location) -> int:
    """Units the ledger shows held for ``order`` at ``location``."""
    return sum(
        m.delta_reserved
        for m in StockMovement.objects.filter(
            reference_type="order",
            reference_id=order.number,
            location=location,
            reason=MovementReason.RESERVATION,
        )
    )


def on_its_way(store, coat, quantity=2):
    """A pickup at ``store`` of units only the depot has: they travel by transfer,
    shipped by the depot."""
    order = pickup_order(store=store, lines=[(coat, quantity)])
    transfer = order.fulfilments.get(transfer__isnull=False).transfer
    ship_transfer(transfer=transfer)
    return order, transfer


def test_units_received_for_an_order_are_held_for_it_at_the_pickup_shop(
    store, coat, associate
):
    order, transfer = on_its_way(store, coat)

    receive_transfer(transfer=transfer, actor=associate)

    assert held(coat, store) == (2, 2)
    assert holds_for(order, store) == [(2, ReservationStatus.ACTIVE)]
    movement = StockMovement.objects.get(
        reference_id=order.number, location=store, reason=MovementReason.RESERVATION
    )
    assert (movement.delta_reserved, movement.actor) == (2, associate)
    assert ledger_discrepancies() == []


def test_another_customer_cannot_take_the_units_held_for_the_order(store, coat):
    order, transfer = on_its_way(store, coat)
    receive_transfer(transfer=transfer)

    with pytest.raises(InsufficientStock):
        pickup_order(store=store, lines=[(coat, 1)], email="bo@example.com")
    with pytest.raises(InsufficientStock):
        delivery_order(lines=[(coat, 1)], email="bo@example.com")

    mark_picked(order=order, location=store)
    assert held(coat, store) == (2, 2)


def test_picking_uses_the_hold_and_the_customer_collects_it(store, coat, associate):
    order, transfer = on_its_way(store, coat)
    receive_transfer(transfer=transfer)

    mark_picked(order=order, actor=associate, location=store)

    assert held(coat, store) == (2, 2)
    assert reservations_booked(order, store) == 2  # held once, at the receipt
    assert holds_for(order, store) == [(2, ReservationStatus.ACTIVE)]
    order = mark_ready(order=order, actor=associate, location=store)
    collect_order(order=order, actor=associate, code=order.pickup_code)
    assert held(coat, store) == (0, 0)
    assert ledger_discrepancies() == []


def test_units_received_in_parts_are_held_as_each_part_arrives(store, coat):
    order, transfer = on_its_way(store, coat)

    receive_transfer(transfer=transfer, quantities={coat.pk: 1})
    assert held(coat, store) == (1, 1)
    with pytest.raises(InsufficientStock):
        pickup_order(store=store, lines=[(coat, 1)], email="bo@example.com")

    receive_transfer(transfer=transfer, quantities={coat.pk: 1})
    assert held(coat, store) == (2, 2)
    mark_picked(order=order, location=store)
    assert held(coat, store) == (2, 2)
    assert reservations_booked(order, store) == 2


def test_the_shelf_part_and_the_transferred_part_are_held_once_each(store, coat):
    """One unit on the pickup shop's shelf (held at checkout), the other brought by
    transfer (held as it arrives): picking holds nothing more."""
    stock(coat, store, 1)
    order = pickup_order(store=store, lines=[(coat, 2)])
    transfer = order.fulfilments.get(transfer__isnull=False).transfer
    assert held(coat, store) == (1, 1)
    receive_transfer(transfer=ship_transfer(transfer=transfer))
    assert held(coat, store) == (2, 2)

    mark_picked(order=order, location=store)

    assert held(coat, store) == (2, 2)
    assert reservations_booked(order, store) == 2
    assert ledger_discrepancies() == []


def test_picking_holds_what_arrived_without_a_hold(store, coat):
    """Units that arrived free (the hold given back meanwhile) are held at picking,
    from what is free, as before."""
    order, transfer = on_its_way(store, coat)
    receive_transfer(transfer=transfer)
    release_reservations(
        reservations=Reservation.objects.filter(reference_id=order.number)
    )
    assert held(coat, store) == (2, 0)

    mark_picked(order=order, location=store)

    assert held(coat, store) == (2, 2)


def test_cancelling_the_order_gives_the_received_units_back(store, coat):
    order, transfer = on_its_way(store, coat)
    receive_transfer(transfer=transfer)

    cancel_order(order=order, reason="Changed mind")

    assert held(coat, store) == (2, 0)
    assert holds_for(order, store) == [(2, ReservationStatus.RELEASED)]
    assert ledger_discrepancies() == []


def test_units_arriving_for_an_order_cancelled_on_the_way_are_free(store, coat):
    order, transfer = on_its_way(store, coat)
    receive_transfer(transfer=transfer, quantities={coat.pk: 1})
    cancel_order(order=order, reason="Changed mind")
    assert held(coat, store) == (1, 0)

    receive_transfer(transfer=transfer)

    assert held(coat, store) == (2, 0)
    assert not Reservation.objects.filter(
        reference_id=order.number, status=ReservationStatus.ACTIVE
    ).exists()
    assert ledger_discrepancies() == []


# --- through the staff pages ----------------------------------------------------------


def test_the_shop_receives_the_transfer_and_picks_the_order_after_another_sale(
    client, store, coat, associate
):
    order, transfer = on_its_way(store, coat)
    client.force_login(associate)

    received = client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {f"qty_{coat.pk}": "2", "note": "", "once": once()},
    )
    assert received.status_code == 302
    assert held(coat, store) == (2, 2)
    with pytest.raises(InsufficientStock):
        pickup_order(store=store, lines=[(coat, 1)], email="bo@example.com")

    picking = client.get(reverse("staff:picking"))
    assert [o.number for o in picking.context["to_pick"]] == [order.number]
    picked = client.post(
        reverse("staff:order_pick", args=[order.number]),
        {"from": "picking", "next": reverse("staff:picking")},
    )

    assert picked.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED
    assert held(coat, store) == (2, 2)
    change = order.history.order_by("at", "id").last()
    assert (change.actor, change.location) == (associate, store)
