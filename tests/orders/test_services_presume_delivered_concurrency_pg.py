"""Two runs of the periodic delivery task at once (a beat restarted, a task sent
twice): each order is taken as delivered once, with one history row."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus, OrderStatusChange
from orders.services.delivery import presume_delivered
from orders.services.fulfilment import mark_picked, ship_order
from tests.concurrency import run_parallel
from tests.orders.factories import delivery_order, stocked, warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_deliver_each_order_once():
    source = warehouse()
    orders = []
    for n in range(6):
        order = delivery_order(
            lines=[(stocked(source, 1), 1)], email=f"c{n}@example.com"
        )
        mark_picked(order=order)
        orders.append(ship_order(order=order, now=timezone.now() - timedelta(days=10)))

    first, second = run_parallel([presume_delivered, presume_delivered])

    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    assert sorted(first + second) == sorted(o.number for o in orders)
    assert set(
        Order.objects.filter(pk__in=[o.pk for o in orders]).values_list(
            "status", flat=True
        )
    ) == {OrderStatus.DELIVERED}
    assert (
        OrderStatusChange.objects.filter(to_status=OrderStatus.DELIVERED).count() == 6
    )
