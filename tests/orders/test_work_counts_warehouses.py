"""The dashboard's count of orders to pick: this shop's, and, for whoever works
warehouses (HQ: every one; staff given a warehouse: theirs), the orders with a part
still to pick or ship there, each order once."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from orders.selectors.work import work_counts
from orders.services.fulfilment import mark_picked, ship_order
from orders.staff.views.access import warehouses_worked
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.factories import delivery_order, pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def duomo():
    return LocationFactory(code="MI01", name="Milano Duomo")


@pytest.fixture
def piacenza():
    return WarehouseFactory(code="WH01", name="Piacenza DC")


@pytest.fixture
def verona():
    return WarehouseFactory(code="WH02", name="Verona Quadrante")


@pytest.fixture
def work(duomo, piacenza, verona):
    """At Duomo one pickup to pick; at Piacenza one delivery to pick, one picked
    waiting to ship, one shipped; at Verona one to pick."""
    item = VariantFactory(price=Decimal("30.00"))
    stock(item, duomo, 5)
    stock(item, piacenza, 5)
    pickup_order(store=duomo, lines=[(item, 1)])
    to_pick = delivery_order(lines=[(item, 1)])
    picked = delivery_order(lines=[(item, 1)])
    mark_picked(order=picked)
    gone = delivery_order(lines=[(item, 1)])
    mark_picked(order=gone)
    ship_order(order=gone)
    coat = VariantFactory(price=Decimal("90.00"))
    stock(coat, verona, 1)
    at_verona = delivery_order(lines=[(coat, 1)])
    assert {
        to_pick.fulfilments.get().location,
        at_verona.fulfilments.get().location,
    } == {
        piacenza,
        verona,
    }


def to_pick(user, store) -> int:
    counts = work_counts(location=store, warehouse_ids=warehouses_worked(user, store))
    return counts["orders_to_pick"]


def test_hq_counts_every_warehouses_parts_with_the_shops(work, duomo):
    hq = UserFactory(username="hq", role=Role.HQ)
    assert to_pick(hq, duomo) == 1 + 3  # the pickup; two at Piacenza, one at Verona


def test_staff_given_a_warehouse_count_its_parts_only(work, duomo, piacenza):
    picker = StaffFactory(username="picker", store=duomo)
    assign_role(user=picker, role=Role.ASSOCIATE, shops=[duomo, piacenza], home=duomo)
    assert to_pick(picker, duomo) == 1 + 2


def test_staff_without_a_warehouse_count_their_shop_only(work, duomo):
    assert to_pick(StaffFactory(store=duomo), duomo) == 1
    assert work_counts(location=duomo)["orders_to_pick"] == 1


def test_an_order_at_the_shop_and_a_warehouse_counts_once(duomo, piacenza):
    shirt = VariantFactory(price=Decimal("40.00"))
    stock(shirt, piacenza, 1)
    stock(shirt, duomo, 1)
    duomo.ships_online_orders = True
    duomo.save(update_fields=["ships_online_orders"])
    order = delivery_order(lines=[(shirt, 2)])
    assert {f.location for f in order.fulfilments.all()} == {duomo, piacenza}

    hq = UserFactory(username="hq", role=Role.HQ)
    assert to_pick(hq, duomo) == 1


def test_hqs_dashboard_counts_the_warehouse_parts(client, work, duomo):
    hq = UserFactory(username="hq", role=Role.HQ, is_staff=True)
    client.force_login(hq)  # the only shop, Duomo, is HQ's first
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 200
    assert response.context["order_work"]["orders_to_pick"] == 1 + 3
    assert b"here and at the warehouses" in response.content


def test_a_shops_dashboard_counts_its_own_picks_and_says_so(client, work, duomo):
    giulia = UserFactory(username="giulia", role=Role.ASSOCIATE, store=duomo)
    client.force_login(giulia)
    response = client.get(reverse("staff:dashboard"))
    assert response.context["order_work"]["orders_to_pick"] == 1
    assert b"here and at the warehouses" not in response.content
