"""No oversell under real concurrency on PostgreSQL.

Each worker is a thread with its own database connection; all of them wait at a barrier
with their connection open, then hit the same rows at once.
"""

import threading

import pytest
from django.db import connection

from inventory import selectors
from inventory.models import Reservation, ReservationStatus, StockLevel
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock, sell_stock
from omnistore.core.exceptions import InsufficientStock
from tests.factories import LocationFactory, VariantFactory, WarehouseFactory, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls):
    """Run every callable in its own thread, released at once; returns per call
    ``("ok", result)``, ``("short", InsufficientStock)`` or ``("error", exception)``."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(i, call):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[i] = ("ok", call())
        except InsufficientStock as exc:
            outcomes[i] = ("short", exc)
        except Exception as exc:  # a deadlock or a broken barrier must fail the test
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes


def kinds(outcomes) -> dict[str, int]:
    counts = {"ok": 0, "short": 0, "error": 0}
    for kind, _ in outcomes:
        counts[kind] += 1
    return counts


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def reserve_call(lines, ref):
    def call():
        return reserve_stock(
            requests=[StockRequest(v.pk, loc.pk, q) for v, loc, q in lines],
            reference_type="order",
            reference_id=ref,
        )

    return call


def sell_call(lines, ref):
    def call():
        return sell_stock(
            requests=[StockRequest(v.pk, loc.pk, q) for v, loc, q in lines],
            reference_type="order",
            reference_id=ref,
        )

    return call


def test_fifty_buyers_for_ten_units_give_exactly_ten_reservations():
    shop, variant = LocationFactory(), VariantFactory(sku="LAST-TEN")
    stock(variant, shop, 10)

    outcomes = run_together(
        [reserve_call([(variant, shop, 1)], f"order-{i}") for i in range(50)]
    )

    assert kinds(outcomes) == {"ok": 10, "short": 40, "error": 0}, outcomes
    for kind, exc in outcomes:
        if kind == "short":
            assert [(s["sku"], s["available"]) for s in exc.lines] == [("LAST-TEN", 0)]
    lvl = level(variant, shop)
    assert (lvl.on_hand, lvl.reserved) == (10, 10)
    active = Reservation.objects.filter(status=ReservationStatus.ACTIVE)
    assert active.count() == 10
    assert sum(r.quantity for r in active) == 10
    assert selectors.ledger_discrepancies() == []


def test_multi_line_requests_in_opposite_orders_do_not_deadlock():
    warehouse, shop = WarehouseFactory(), LocationFactory()
    coat, scarf = VariantFactory(sku="COAT"), VariantFactory(sku="SCARF")
    stock(coat, warehouse, 15)
    stock(scarf, shop, 15)
    forward = [(coat, warehouse, 1), (scarf, shop, 1)]
    backward = list(reversed(forward))

    outcomes = run_together(
        [reserve_call(forward if i % 2 else backward, f"order-{i}") for i in range(40)]
    )

    assert kinds(outcomes) == {"ok": 15, "short": 25, "error": 0}, outcomes
    coat_level, scarf_level = level(coat, warehouse), level(scarf, shop)
    # All or nothing: every success holds both lines, every refusal neither.
    assert coat_level.reserved == scarf_level.reserved == 15
    assert coat_level.reserved <= coat_level.on_hand
    assert scarf_level.reserved <= scarf_level.on_hand
    assert Reservation.objects.count() == 30
    assert selectors.ledger_discrepancies() == []


def test_first_requests_for_never_stocked_items_in_opposite_orders_all_end_cleanly():
    """The missing levels are created in lock order, so even the inserts cannot
    deadlock; every request is short and nothing is held."""
    shop = LocationFactory()
    hat, gloves, belt = VariantFactory.create_batch(3)
    stock(belt, shop, 1)
    lines = [(hat, shop, 1), (gloves, shop, 1), (belt, shop, 1)]

    outcomes = run_together(
        [
            reserve_call(lines if i % 2 else list(reversed(lines)), f"order-{i}")
            for i in range(30)
        ]
    )

    assert kinds(outcomes) == {"ok": 0, "short": 30, "error": 0}, outcomes
    assert StockLevel.objects.filter(reserved__gt=0).count() == 0
    assert not Reservation.objects.exists()
    assert selectors.ledger_discrepancies() == []


def test_concurrent_sales_of_the_last_units_never_sell_more_than_on_hand():
    shop, variant = LocationFactory(), VariantFactory(sku="LAST-THREE")
    stock(variant, shop, 3)

    outcomes = run_together(
        [sell_call([(variant, shop, 1)], f"sale-{i}") for i in range(20)]
    )

    assert kinds(outcomes) == {"ok": 3, "short": 17, "error": 0}, outcomes
    assert level(variant, shop).on_hand == 0
    assert selectors.ledger_discrepancies() == []


def test_sales_and_reservations_competing_for_the_same_units_never_oversell():
    shop, variant = LocationFactory(), VariantFactory(sku="CONTESTED")
    stock(variant, shop, 6)
    calls = [
        sell_call([(variant, shop, 1)], f"sale-{i}")
        if i % 2
        else reserve_call([(variant, shop, 1)], f"order-{i}")
        for i in range(30)
    ]

    outcomes = run_together(calls)

    assert kinds(outcomes) == {"ok": 6, "short": 24, "error": 0}, outcomes
    lvl = level(variant, shop)
    sold = sum(1 for i, (kind, _) in enumerate(outcomes) if kind == "ok" and i % 2)
    assert lvl.on_hand == 6 - sold
    assert lvl.reserved == 6 - sold
    assert lvl.available == 0
    assert selectors.ledger_discrepancies() == []
