"""Real threads and row locks: a drain crediting a batch of orders and a cancel of one
of them see each other, whichever takes the order's lock first."""

import threading
import time

import pytest
from django.db import connection, transaction

from customers.models import Customer, LoyaltyTransaction
from omnistore.core import outbox
from omnistore.core.models import OutboxMessage
from orders.models import Order, OrderStatus
from orders.services.fulfilment import cancel_order
from tests.orders.factories import pickup_order, shop, stocked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_down(settings):
    """Orders stay in the outbox after commit, as when the broker is unreachable."""
    from omnistore.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.task_always_eager = True
    app.conf.broker_url = "memory://"


def hold_then(first, second):
    """Run ``first`` in a transaction kept open for a moment while ``second`` starts
    on another connection (and waits for the rows ``first`` locked)."""
    locked, errors = threading.Event(), []

    def run(job, hold):
        try:
            with transaction.atomic():
                job()
                if hold:
                    locked.set()
                    time.sleep(0.5)
        except Exception as exc:  # asserted below
            errors.append(exc)
            locked.set()
        finally:
            connection.close()

    holder = threading.Thread(target=run, args=(first, True))
    holder.start()
    assert locked.wait(30)
    waiter = threading.Thread(target=run, args=(second, False))
    waiter.start()
    holder.join(60)
    waiter.join(60)
    assert errors == []


@pytest.mark.parametrize("cancel_first", [True, False])
def test_a_drain_and_a_cancel_of_the_same_order_leave_its_points_at_zero(
    broker_down, cancel_first
):
    store = shop()
    item = stocked(store, 5, price="30.00")
    cancelled = pickup_order(store=store, lines=[(item, 1)])
    kept = pickup_order(store=store, lines=[(item, 1)])
    assert OutboxMessage.objects.filter(processed_at__isnull=True).count() == 2

    def cancel():
        cancel_order(order=cancelled.pk, reason="Changed mind")

    if cancel_first:
        hold_then(cancel, outbox.drain)
    else:
        hold_then(outbox.drain, cancel)

    cancelled.refresh_from_db()
    kept.refresh_from_db()
    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.loyalty_points == 0
    assert kept.loyalty_points == 30
    customer = Customer.objects.get(pk=kept.customer_id)
    assert customer.points_balance == 30
    ledger = LoyaltyTransaction.objects.filter(reference_id=cancelled.number)
    # Credited then reversed by the cancel, or never credited at all.
    assert sorted(ledger.values_list("points", flat=True)) == (
        [] if cancel_first else [-30, 30]
    )
    assert Order.objects.filter(loyalty_points__gt=0).count() == 1
