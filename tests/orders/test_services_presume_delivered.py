"""Deliveries nobody marked delivered are taken as delivered
``OMNISTORE_PRESUME_DELIVERED_DAYS`` after they shipped, by the hourly periodic task:
only those, on that day, with no one as the actor and a note saying so; a second run
changes nothing more."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from orders.models import FulfilmentStatus, Order, OrderStatus
from orders.services import delivery
from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
from orders.tasks import presume_deliveries
from tests.orders.factories import (
    deliver_outbox,
    delivery_order,
    ready_order,
    shop,
    stocked,
    warehouse,
)
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return warehouse(name="Piacenza DC")


def shipped(source, days: float, *, customer=None, email="ada@example.com") -> Order:
    """A delivery from ``source`` shipped ``days`` ago."""
    order = delivery_order(
        lines=[(stocked(source, 2, price="80.00"), 1)], customer=customer, email=email
    )
    mark_picked(order=order)
    return ship_order(order=order, now=timezone.now() - timedelta(days=days))


def statuses(*orders) -> list[str]:
    return [Order.objects.get(pk=order.pk).status for order in orders]


def test_only_deliveries_shipped_more_than_the_days_ago_are_taken_as_delivered(
    source, settings
):
    settings.OMNISTORE_PRESUME_DELIVERED_DAYS = 7
    old = shipped(source, 8)
    older = shipped(source, 30, email="bea@example.com")
    recent = shipped(source, 6, email="cai@example.com")
    confirmed = shipped(source, 9, email="dan@example.com")
    mark_delivered(order=confirmed, now=timezone.now() - timedelta(days=8))
    store = shop()
    waiting = ready_order(store=store, lines=[(stocked(store, 1), 1)])

    assert presume_deliveries() == 2

    assert statuses(old, older, recent, confirmed, waiting) == [
        OrderStatus.DELIVERED,
        OrderStatus.DELIVERED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.READY,
    ]
    old.refresh_from_db()
    assert old.delivered_at == old.shipped_at + timedelta(days=7)
    step = old.history.get(to_status=OrderStatus.DELIVERED)
    assert step.actor is None
    day = f"{timezone.localdate(old.delivered_at):%d %b %Y}"
    presumed = "Presumed delivered 7 days after shipping"
    assert step.note == f"Delivered on {day} · {presumed}"
    assert set(old.fulfilments.values_list("status", flat=True)) == {
        FulfilmentStatus.DELIVERED
    }
    confirmed.refresh_from_db()
    assert confirmed.history.get(to_status=OrderStatus.DELIVERED).note == ""


def test_running_twice_changes_nothing_more(source):
    order = shipped(source, 10)
    assert delivery.presume_delivered() == [order.number]
    history = list(order.history.values_list("pk", "to_status"))
    order.refresh_from_db()
    delivered_at = order.delivered_at

    assert presume_deliveries() == 0

    order.refresh_from_db()
    assert order.delivered_at == delivered_at
    assert list(order.history.values_list("pk", "to_status")) == history


def test_a_backlog_is_worked_through_in_batches(source, monkeypatch):
    monkeypatch.setattr(delivery, "PRESUME_BATCH", 2)
    orders = [shipped(source, 8, email=f"c{n}@example.com") for n in range(5)]

    assert sorted(delivery.presume_delivered()) == sorted(o.number for o in orders)
    assert set(statuses(*orders)) == {OrderStatus.DELIVERED}


def test_the_days_are_a_setting(source, settings):
    settings.OMNISTORE_PRESUME_DELIVERED_DAYS = 3
    order = shipped(source, 4)

    assert delivery.presume_delivered() == [order.number]
    order.refresh_from_db()
    assert order.delivered_at == order.shipped_at + timedelta(days=3)
    day = f"{timezone.localdate(order.delivered_at):%d %b %Y}"
    assert order.history.get(to_status=OrderStatus.DELIVERED).note == (
        f"Delivered on {day} · Presumed delivered 3 days after shipping"
    )


def test_the_points_of_a_delivery_taken_as_delivered_can_be_spent(source):
    user, customer = shopper()
    order = shipped(source, 8, customer=customer)
    deliver_outbox()  # the order's points are credited
    client = api_client_for(user)
    assert client.get("/api/v1/me/loyalty/").json()["points_spendable"] == 0

    presume_deliveries()

    body = client.get("/api/v1/me/loyalty/").json()
    assert body["points_spendable"] == body["points_balance"] == 80
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_beat_runs_it_hourly():
    assert django_settings.CELERY_BEAT_SCHEDULE["orders-presume-deliveries"] == {
        "task": "orders.tasks.presume_deliveries",
        "schedule": 3600.0,
    }
