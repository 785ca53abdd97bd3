"""The Cancel button on an order's own admin page, and finding an order by part of its
number."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import OrderStatus
from tests.factories import LocationFactory, UserFactory, VariantFactory, stock
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def order(shop):
    shirt = VariantFactory(price="40.00")
    stock(shirt, shop, 5)
    return pickup_order(store=shop, lines=[(shirt, 2)])


@pytest.fixture
def manager(client, shop):
    user = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    client.force_login(user)
    return user


def test_the_order_page_shows_cancel_while_the_order_may_be_cancelled(
    client, manager, order
):
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    cancel_url = reverse("admin:orders_order_cancel", args=[order.pk])
    assert cancel_url in page.content.decode()
    response = client.post(cancel_url, {"reason": "customer rang to cancel"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    last = order.history.order_by("-id").first()
    assert last.actor == manager and "customer rang to cancel" in last.note
    again = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert cancel_url not in again.content.decode()  # ORDER_MOVES: no way back
    # once cancelled, the page sends back to the order saying why; nothing changes
    twice = client.post(cancel_url, {"reason": "twice"}, follow=True)
    assert twice.redirect_chain[-1][0] == reverse(
        "admin:orders_order_change", args=[order.pk]
    )
    assert "can no longer be cancelled: it is cancelled" in twice.content.decode()
    assert order.history.filter(note__contains="twice").count() == 0


def test_cancel_asks_for_a_reason(client, manager, order):
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 422
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_no_cancel_button_without_the_right(client, shop, order):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.shops.add(shop)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200
    assert "cancel-order" not in page.content.decode()
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403


def test_an_order_is_found_by_part_of_its_number(client, manager, order):
    part = order.number[3:8]
    response = client.get(reverse("admin:orders_order_changelist"), {"q": part})
    assert [o.number for o in response.context["cl"].result_list] == [order.number]


def test_the_manager_of_a_shop_only_sending_stock_does_not_cancel_the_order(
    client, shop
):
    """A pickup at Milano sourced by a transfer from Torino: Torino's manager sees
    the order it sends goods for, but cancelling it is Milano's."""
    torino = LocationFactory(code="TO01", name="Torino", ships_online_orders=True)
    coat = VariantFactory(price="120.00")
    stock(coat, torino, 3)
    order = pickup_order(store=shop, lines=[(coat, 1)])
    assert order.fulfilments.get().transfer_id is not None
    client.force_login(
        UserFactory(username="tm", role=Role.STORE_MANAGER, store=torino)
    )
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    assert page.status_code == 200 and url not in page.content.decode()
    assert client.post(url, {"reason": "not ours"}).status_code == 403
    action = client.post(
        reverse("admin:orders_order_changelist"),
        {
            "action": "cancel_orders",
            "_selected_action": [order.pk],
            "confirm": "1",
            "reason": "not ours",
        },
        follow=True,
    )
    assert "not by a shop that only sends it stock" in action.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_an_orders_history_page_shows_what_happened_to_it(client, manager, order):
    """The admin's History button leads to the order's status changes (orders are
    not edited in the admin, so its own log is empty)."""
    client.post(
        reverse("admin:orders_order_cancel", args=[order.pk]),
        {"reason": "customer rang to cancel"},
    )
    page = client.get(reverse("admin:orders_order_history", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="order-status-history"' in html
    assert "customer rang to cancel" in html and "Cancelled" in html
    other = LocationFactory(code="RM01", name="Roma")
    stranger = UserFactory(username="rm", role=Role.STORE_MANAGER, store=other)
    client.force_login(stranger)
    assert (
        client.get(reverse("admin:orders_order_history", args=[order.pk])).status_code
        == 404
    )
