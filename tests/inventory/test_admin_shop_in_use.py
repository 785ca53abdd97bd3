"""A shop stays a shop while it is in use as one: with a till session open or orders
still to be collected there (ready, or placed, picked or on their way to it), the
location's admin form refuses to make it a warehouse, to close its counter or to take
it out of use, and says why; once the drawer is closed and the pickups handed over or
cancelled, it may go."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Location, LocationKind
from inventory.services.transfers import ship_transfer
from omnistore.accounts.models import Role
from orders.models import Register
from orders.services.fulfilment import cancel_order, mark_picked
from orders.services.pickups import collect_order
from orders.services.till import close_till, open_till
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import (
    pickup_order,
    ready_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = pytest.mark.django_db

FLOAT = {Decimal("50"): 2}

# Each way a shop stops serving as one, as the location's form is sent.
LEAVING = {
    "made a warehouse": {"kind": LocationKind.WAREHOUSE},
    "its counter closed": {"sells_in_store": None},
    "taken out of use": {"active": None},
}


@pytest.fixture
def milan():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(milan):
    return StaffFactory(
        store=milan, username="giulia", first_name="Giulia", last_name="Bianchi"
    )


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


def change(client, location, **fields):
    """The location's form as sent from its page, with ``fields`` changed (None:
    a box left unticked)."""
    data = {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "country": location.country,
        "latitude": str(location.latitude),
        "longitude": str(location.longitude),
        "sells_in_store": "on",
        "click_and_collect": "on",
        "active": "on",
        **fields,
    }
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(
        reverse("admin:inventory_location_change", args=[location.pk]), data
    )


def still_a_shop(location) -> bool:
    location = Location.objects.get(pk=location.pk)
    return (location.kind, location.sells_in_store, location.active) == (
        LocationKind.SHOP,
        True,
        True,
    )


@pytest.mark.parametrize("fields", LEAVING.values(), ids=LEAVING.keys())
def test_a_shop_with_a_till_session_open_stays_a_shop(hq, milan, associate, fields):
    register = Register.objects.create(location=milan, name="Till 1")
    open_till(register=register, counts=FLOAT, actor=associate)

    refused = change(hq, milan, **fields)

    assert refused.status_code == 200
    [field] = fields
    [error] = refused.context["adminform"].form.errors[field]
    assert error.startswith("Milano Centro still serves as a shop: ")
    assert "a till session is open on Till 1" in error
    assert "opened by Giulia Bianchi (close it at the till)" in error
    assert still_a_shop(milan)


@pytest.mark.parametrize("fields", LEAVING.values(), ids=LEAVING.keys())
def test_a_shop_with_orders_waiting_for_pickup_stays_a_shop(hq, milan, fields):
    item = stocked(milan, 5)
    first = ready_order(store=milan, lines=[(item, 1)], email="ada@example.com")
    second = ready_order(store=milan, lines=[(item, 1)], email="bea@example.com")

    refused = change(hq, milan, **fields)

    assert refused.status_code == 200
    [field] = fields
    [error] = refused.context["adminform"].form.errors[field]
    assert "2 orders are still to be collected there" in error
    assert first.number in error and second.number in error
    assert "(hand them over once ready, or cancel them)" in error
    assert still_a_shop(milan)


def placed(milan):
    return pickup_order(store=milan, lines=[(stocked(milan, 1), 1)])


def picked(milan):
    return mark_picked(order=placed(milan), location=milan)


def on_its_way(milan):
    """Sourced from a warehouse: the units travel to the shop on a transfer."""
    depot = warehouse(code="WH01", name="Piacenza DC")
    order = pickup_order(store=milan, lines=[(stocked(depot, 1), 1)])
    ship_transfer(transfer=order.fulfilments.get(transfer__isnull=False).transfer)
    return order


# Each step of a pickup before it is ready at the shop's desk.
ON_THE_WAY = {"placed": placed, "picked": picked, "in transfer to it": on_its_way}


@pytest.mark.parametrize("make", ON_THE_WAY.values(), ids=ON_THE_WAY.keys())
def test_a_shop_with_a_pickup_not_ready_yet_stays_a_shop(hq, milan, make):
    """Made a warehouse, its desk could never hand the order over."""
    order = make(milan)

    refused = change(hq, milan, kind=LocationKind.WAREHOUSE)

    assert refused.status_code == 200
    [error] = refused.context["adminform"].form.errors["kind"]
    assert f"1 order is still to be collected there: {order.number} " in error
    assert "(hand it over once ready, or cancel it)" in error
    assert still_a_shop(milan)


def test_the_refusal_names_five_pickups_and_counts_the_rest(hq, milan):
    item = stocked(milan, 10)
    orders = [
        pickup_order(store=milan, lines=[(item, 1)], email=f"c{i}@example.com")
        for i in range(7)
    ]

    refused = change(hq, milan, kind=LocationKind.WAREHOUSE)

    [error] = refused.context["adminform"].form.errors["kind"]
    named = ", ".join(order.number for order in orders[:5])
    assert f"7 orders are still to be collected there: {named} and 2 more " in error
    assert orders[5].number not in error and orders[6].number not in error


def test_a_cancelled_pickup_does_not_keep_the_shop(hq, milan):
    order = placed(milan)
    cancel_order(order=order, reason="Customer called")

    response = change(hq, milan, kind=LocationKind.WAREHOUSE, sells_in_store=None)

    assert response.status_code == 302
    assert Location.objects.get(pk=milan.pk).kind == LocationKind.WAREHOUSE


def test_a_shop_may_change_its_name_while_in_use(hq, milan, associate):
    register = Register.objects.create(location=milan, name="Till 1")
    open_till(register=register, counts=FLOAT, actor=associate)

    response = change(hq, milan, name="Milano Duomo")

    assert response.status_code == 302
    assert Location.objects.get(pk=milan.pk).name == "Milano Duomo"
    assert still_a_shop(milan)


def test_a_shop_becomes_a_warehouse_once_its_drawer_is_closed_and_pickups_collected(
    hq, milan, associate
):
    register = Register.objects.create(location=milan, name="Till 1")
    session = open_till(register=register, counts=FLOAT, actor=associate)
    order = ready_order(store=milan, lines=[(stocked(milan, 1), 1)])
    close_till(session=session, counts=FLOAT, actor=associate)
    collect_order(order=order, actor=associate, code=order.pickup_code, location=milan)

    response = change(hq, milan, kind=LocationKind.WAREHOUSE, sells_in_store=None)

    assert response.status_code == 302
    moved = Location.objects.get(pk=milan.pk)
    assert (moved.kind, moved.sells_in_store) == (LocationKind.WAREHOUSE, False)
