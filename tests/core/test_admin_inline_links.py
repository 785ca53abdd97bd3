"""On an admin page's inlines a related object links to its page only for who may
open that very page: a shop's manager reads the warehouse shipping their shop's
order by name, and follows the links to their own shop and the transfer. The check
costs one query per model linked, however many rows point at it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from orders.services.common import note_in_history
from tests.factories import (
    LocationFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def piacenza():
    return WarehouseFactory(code="PC01", name="Piacenza distribution centre")


@pytest.fixture
def order(milano, piacenza):
    """Picked up at Milano, its goods sent there from Piacenza."""
    coat = VariantFactory(price="120.00")
    stock(coat, piacenza, 3)
    return pickup_order(store=milano, lines=[(coat, 1)])


def location_page(location) -> str:
    return reverse("admin:inventory_location_change", args=[location.pk])


def order_page(client, user, order) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_store_manager_reads_the_warehouse_shipping_their_order_by_name(
    client, milano, piacenza, order
):
    fulfilment = order.fulfilments.get()
    assert (fulfilment.location, fulfilment.pickup_location) == (piacenza, milano)
    marco = UserFactory(username="marco", role=Role.STORE_MANAGER, store=milano)

    html = order_page(client, marco, order)

    assert "Piacenza distribution centre" in html
    assert location_page(piacenza) not in html
    assert f'<a href="{location_page(milano)}">{milano}</a>' in html
    transfer = reverse("admin:inventory_transfer_change", args=[fulfilment.transfer_id])
    assert f'<a href="{transfer}">' in html
    assert client.get(location_page(piacenza)).status_code == 404
    elena = UserFactory(username="elena", role=Role.HQ, is_staff=True)
    linked = f'<a href="{location_page(piacenza)}">{piacenza}</a>'
    assert linked in order_page(client, elena, order)  # HQ opens every location


def queries(client, user, order) -> int:
    order_page(client, user, order)  # the first page fills Django's caches
    with CaptureQueriesContext(connection) as captured:
        order_page(client, user, order)
    return len(captured)


def test_the_order_page_costs_the_same_however_many_shops_its_history_names(
    client, milano, order
):
    lucia = UserFactory(username="lucia", role=Role.AREA_MANAGER, store=milano)
    shops = [LocationFactory(name=f"Shop {n}") for n in range(6)]
    lucia.shops.add(*shops[:3])
    note_in_history(order, "Asked at the desk", at=timezone.now(), location=shops[0])
    note_in_history(order, "Asked again", at=timezone.now(), location=shops[3])
    few = queries(client, lucia, order)

    for shop in shops[1:3] + shops[4:]:
        note_in_history(order, "Asked there", at=timezone.now(), location=shop)
    html = order_page(client, lucia, order)

    assert queries(client, lucia, order) == few
    for shop in shops[:3]:
        assert f'<a href="{location_page(shop)}">{shop}</a>' in html
    for shop in shops[3:]:
        assert str(shop) in html and location_page(shop) not in html
