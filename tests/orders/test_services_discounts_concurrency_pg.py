"""Real threads, real connections, real row locks: a discount code's last use under
contention. Every checkout is held at the code's row until all of them wait there, so
each one really races for the claim inside its order's transaction."""

import threading
import time

import pytest
from django.db import connection, transaction

from customers.services.matching import match_customer
from inventory.models import Reservation, StockLevel
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import DiscountCode, DiscountRedemption, Order, Payment
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import pickup_order, shop, stocked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting_on_locks() -> int:
    """Sessions of this test database waiting for a lock; the activity snapshot is
    cleared first, as it is otherwise kept for the whole transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race_for(code: DiscountCode, jobs):
    """Run every job on its own thread and connection while this connection holds the
    code's row; let go once every job waits on it, then collect what each got."""
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            results[index] = job()
        except Exception as exc:  # collected and asserted by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)
    ]
    with transaction.atomic():
        DiscountCode.objects.select_for_update().get(pk=code.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while _waiting_on_locks() < len(jobs):
            assert time.monotonic() < deadline, "the checkouts never reached the code"
            time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=60)
    return results


def customers(count: int):
    return [
        match_customer(email=f"c{i}@example.com", channel="web") for i in range(count)
    ]


@pytest.mark.parametrize("buyers", [2, 10])
def test_a_code_with_one_use_left_gives_exactly_one_order(buyers):
    store = shop()
    item = stocked(store, 50)
    code = discount_code("LASTONE", "fixed", "5", max_uses=1)

    results = race_for(
        code,
        [
            (
                lambda c=c: pickup_order(
                    store=store, lines=[(item, 2)], customer=c, discount_code="LASTONE"
                )
            )
            for c in customers(buyers)
        ],
    )

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(orders) == 1, results
    assert len(refused) == buyers - 1, results
    assert {(r.code, r.status) for r in refused} == {("discount_used_up", 409)}
    assert all(
        r.extra == {"discount_code": ["This code has been used up."]} for r in refused
    )
    code.refresh_from_db()
    assert code.times_used == 1
    assert DiscountRedemption.objects.get().order_id == orders[0].pk
    # The refused checkouts rolled back whole: no order, no payment, no stock held.
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    level = StockLevel.objects.get(variant=item, location=store)
    assert (level.on_hand, level.reserved) == (50, 2)
    assert Reservation.objects.filter(status="active").count() == 1
    assert ledger_discrepancies() == []


def test_one_customer_racing_a_once_per_customer_code_gets_it_once():
    store = shop()
    item = stocked(store, 50)
    code = discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    (ada,) = customers(1)

    results = race_for(
        code,
        [
            (
                lambda: pickup_order(
                    store=store,
                    lines=[(item, 1)],
                    customer=ada,
                    discount_code="WELCOME",
                )
            )
            for _ in range(5)
        ],
    )

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(orders) == 1, results
    assert {r.code for r in refused} == {"discount_already_used"}
    assert len(refused) == 4
    code.refresh_from_db()
    assert code.times_used == 1  # the refused claims rolled back with their orders
    assert StockLevel.objects.get(variant=item, location=store).reserved == 1
    assert ledger_discrepancies() == []
