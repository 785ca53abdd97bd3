"""A pickup whose transfer is closed short (units lost on the way): the order's history
says what is missing, the missing units are asked again from a location that has
them, as checkout would source them, and when none has them picking says what is
missing and what to do instead of failing as a sale would."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel, TransferStatus
from inventory.selectors import ledger_discrepancies
from inventory.services.transfers import (
    close_transfer_short,
    receive_transfer,
    ship_transfer,
)
from omnistore.core.exceptions import Conflict
from omnistore.staff.once import new_token as once
from orders.models import OrderStatus
from orders.selectors.orders import orders_awaiting_transfer, orders_to_pick
from orders.services.fulfilment import cancel_order, mark_picked
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import pickup_order, shop, warehouse

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


def one_lost_on_the_way(store, coat, associate):
    """A pickup of two coats only the depot has: shipped, one received, and the
    transfer closed short by the pickup shop."""
    order = pickup_order(store=store, lines=[(coat, 2)])
    transfer = order.fulfilments.get(transfer__isnull=False).transfer
    ship_transfer(transfer=transfer)
    receive_transfer(transfer=transfer, quantities={coat.pk: 1}, actor=associate)
    close_transfer_short(
        transfer=transfer, actor=associate, reason="one unit lost in transit"
    )
    return order, transfer


def last_note(order) -> str:
    return order.history.order_by("at", "id").last().note


def test_the_missing_units_are_asked_again_from_a_location_that_has_them(
    store, depot, coat, associate
):
    other = warehouse(code="WH02", name="Bologna DC")
    stock(coat, other, 3)

    order, lost = one_lost_on_the_way(store, coat, associate)

    part = order.fulfilments.get()
    again = part.transfer
    assert again.pk != lost.pk
    assert (again.source, again.destination) == (other, store)
    assert again.status == TransferStatus.REQUESTED
    assert [(line.variant, line.quantity) for line in again.lines.all()] == [(coat, 1)]
    assert held(coat, other) == (3, 1)  # held at the source, as checkout does
    note = last_note(order)
    assert f"Transfer {lost} closed short (one unit lost in transit)" in note
    assert f"asked again from Bologna DC on {again}" in note
    assert "COAT-BLK-L ×1" in note
    assert list(orders_awaiting_transfer(location=store)) == [order]
    assert list(orders_to_pick(location=store)) == []

    receive_transfer(transfer=ship_transfer(transfer=again), actor=associate)
    mark_picked(order=order, actor=associate, location=store)

    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED
    assert held(coat, store) == (2, 2)
    assert ledger_discrepancies() == []


def test_units_free_at_the_pickup_shop_are_held_for_the_order_at_once(
    store, coat, associate
):
    order = pickup_order(store=store, lines=[(coat, 2)])
    stock(coat, store, 1)  # a delivery came in meanwhile
    transfer = order.fulfilments.get(transfer__isnull=False).transfer
    ship_transfer(transfer=transfer)
    receive_transfer(transfer=transfer, quantities={coat.pk: 1}, actor=associate)

    close_transfer_short(transfer=transfer, actor=associate, reason="lost")

    assert held(coat, store) == (2, 2)
    assert "held what Milano Duomo has free" in last_note(order)
    mark_picked(order=order, actor=associate, location=store)
    assert held(coat, store) == (2, 2)


def test_nothing_is_asked_for_an_order_cancelled_on_the_way(store, coat, associate):
    other = warehouse(code="WH02", name="Bologna DC")
    stock(coat, other, 3)
    order = pickup_order(store=store, lines=[(coat, 2)])
    transfer = order.fulfilments.get(transfer__isnull=False).transfer
    ship_transfer(transfer=transfer)
    cancel_order(order=order, reason="Changed mind")

    close_transfer_short(transfer=transfer, actor=associate, reason="lost")

    assert order.fulfilments.get().transfer == transfer
    assert held(coat, other) == (3, 0)


def test_with_the_units_nowhere_picking_says_what_is_missing_and_what_to_do(
    store, coat, associate
):
    order, lost = one_lost_on_the_way(store, coat, associate)

    assert order.fulfilments.get().transfer == lost  # nothing to ask from
    note = last_note(order)
    assert "no location can send the missing units" in note
    assert "COAT-BLK-L ×1" in note
    with pytest.raises(Conflict) as refused:
        mark_picked(order=order, actor=associate, location=store)

    assert refused.value.code == "order_short"
    message = refused.value.message
    assert "COAT-BLK-L ×1 did not arrive" in message
    assert f"transfer {lost} closed short" in message
    assert "cancel the order" in message
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert held(coat, store) == (1, 1)


def test_the_shop_closes_the_transfer_short_and_the_pick_button_explains(
    client, store, coat, associate
):
    order = pickup_order(store=store, lines=[(coat, 2)])
    transfer = order.fulfilments.get(transfer__isnull=False).transfer
    ship_transfer(transfer=transfer)
    client.force_login(associate)
    client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {f"qty_{coat.pk}": "1", "note": "", "once": once()},
    )

    closed = client.post(
        reverse("staff:transfer_close", args=[transfer.pk]),
        {"reason": "one unit lost in transit"},
    )
    assert closed.status_code == 302
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert "one unit lost in transit" in page.content.decode()

    picked = client.post(
        reverse("staff:order_pick", args=[order.number]),
        {"from": "picking", "next": reverse("staff:picking")},
    )

    assert picked.status_code == 422
    said = picked.context["action_error"]
    assert "COAT-BLK-L ×1 did not arrive" in said
    assert "Not enough stock" not in said
    assert "cancel the order" in said
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert page.context["can_cancel"]  # the way out the message names
    cancel_order(order=order, actor=associate, reason="Lost in transit")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert held(coat, store) == (1, 0)
    assert ledger_discrepancies() == []
