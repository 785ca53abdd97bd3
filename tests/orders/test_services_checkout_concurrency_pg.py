"""Real threads, real connections, real row locks: checkout under contention."""

import pytest

from customers.services.matching import match_customer
from inventory.models import Reservation, StockLevel
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import InsufficientStock
from orders.models import Order, Payment
from tests.concurrency import run_parallel
from tests.factories import stock
from tests.orders.factories import (
    delivery_order,
    pickup_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_checkouts_for_the_last_five_units_make_exactly_five_orders():
    store = shop()
    item = stocked(store, 5)
    customers = [
        match_customer(email=f"c{i}@example.com", channel="web") for i in range(20)
    ]

    results = run_parallel(
        [
            (lambda c=c: pickup_order(store=store, lines=[(item, 1)], customer=c))
            for c in customers
        ]
    )

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(orders) == 5, results
    assert len(refused) == 15, results
    assert Order.objects.count() == 5
    assert Payment.objects.count() == 5
    level = StockLevel.objects.get(variant=item, location=store)
    assert (level.on_hand, level.reserved) == (5, 5)
    assert Reservation.objects.filter(status="active").count() == 5
    assert ledger_discrepancies() == []


def test_the_same_idempotency_key_sent_twice_at_once_makes_one_order():
    store = shop()
    item = stocked(store, 10)

    def attempt():
        return pickup_order(
            store=store, lines=[(item, 2)], email="new.guest@example.com", key="dup-1"
        )

    results = run_parallel([attempt, attempt])

    assert all(isinstance(r, Order) for r in results), results
    assert results[0].number == results[1].number
    assert sorted(getattr(r, "idempotent_replay", False) for r in results) == [
        False,
        True,
    ]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=item, location=store).reserved == 2
    assert Payment.objects.count() == 1
    assert ledger_discrepancies() == []


def test_checkouts_at_once_never_sell_the_safety_stock_and_lose_no_sale():
    """Two warehouses with 3 units each beyond a safety stock of 2: twelve
    deliveries of one unit at once, then one by one until refused, sell exactly the
    six free units; the safety stock stays on the shelves."""
    first, second = warehouse(), warehouse()
    item = stocked(first, 5)
    stock(item, second, 5)
    StockLevel.objects.filter(variant=item).update(safety_stock=2)

    def buy(n):
        return delivery_order(lines=[(item, 1)], email=f"d{n}@example.com")

    results = run_parallel([(lambda n=n: buy(n)) for n in range(12)])
    assert all(isinstance(r, (Order, InsufficientStock)) for r in results), results
    while True:
        try:
            buy(99)
        except InsufficientStock:
            break

    assert Order.objects.count() == 6
    for level in StockLevel.objects.filter(variant=item):
        assert (level.on_hand, level.reserved) == (5, 3)
    assert ledger_discrepancies() == []
