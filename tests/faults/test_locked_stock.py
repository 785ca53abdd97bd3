"""Findings 2 and 9: a stock row locked by another connection fails the checkouts
that need it fast, as a JSON 503 with Retry-After, while the other requests go on;
a database connection killed under a web worker is answered as JSON too."""

import threading

import psycopg
import pytest
from django.db import connection

from inventory.models import StockLevel
from inventory.selectors import ledger_discrepancies
from orders.models import Order
from tests.faults.shop import call, cart_intent, check_out, open_cart, stocked_warehouse
from tests.faults.stack import database_url

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def test_a_locked_stock_row_fails_its_checkouts_fast_and_stalls_nothing_else(
    stack, fake_stripe
):
    stack.env["DB_LOCK_TIMEOUT_MS"] = "1000"
    place, item = stocked_warehouse(10)
    stack.web(workers=4)
    carts = [open_cart(stack, item) for _ in range(4)]
    intents = [cart_intent(fake_stripe, token, 3000) for token in carts]
    level = StockLevel.objects.get(variant=item, location=place)
    answers, others = [None] * 4, []

    def checkout(n):
        answers[n] = check_out(stack, carts[n], intents[n], f"c{n}@example.com")

    with psycopg.connect(database_url(), autocommit=False) as other:  # a long lock
        other.execute(
            "SELECT id FROM inventory_stocklevel WHERE id = %s FOR UPDATE", [level.pk]
        )
        threads = [threading.Thread(target=checkout, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for _ in range(4):  # meanwhile the rest of the shop answers
            others.append(call(stack.url("/api/v1/cart/")))
        for thread in threads:
            thread.join()
        other.rollback()

    print(
        "\nFAULT lock: checkouts of a locked SKU answered "
        + ", ".join(f"{a.status} in {a.seconds:.2f} s" for a in answers)
        + "; POST /cart/ meanwhile: "
        + ", ".join(f"{a.status} in {a.seconds:.2f} s" for a in others)
    )
    for answer in answers:
        assert answer.status == 503, answer.body
        assert answer.body["code"] == "busy"
        assert answer.headers["Retry-After"] == "1"
        assert answer.seconds < 10  # the lock timeout, not gunicorn's 30 s
    assert [a.status for a in others] == [201] * 4
    assert not Order.objects.exists()
    # The lock gone, the same carts check out: one order each, stock and ledger agree.
    retried = [
        check_out(stack, carts[n], intents[n], f"c{n}@example.com") for n in range(4)
    ]
    assert [a.status for a in retried] == [201] * 4
    assert Order.objects.count() == 4
    level.refresh_from_db()
    assert level.on_hand - level.reserved == 6
    assert not ledger_discrepancies()


def test_a_database_connection_killed_under_a_web_worker_is_answered_as_json(
    stack, fake_stripe
):
    stack.env["DB_HEALTH_CHECK_AFTER_IDLE"] = "60"  # use the kept connection as is
    _, item = stocked_warehouse()
    stack.web(workers=1)
    token = open_cart(stack, item)  # the worker connects and keeps its connection

    def add_a_line():
        return call(
            stack.url("/api/v1/cart/lines/"),
            {"lines": [{"variant": item.pk, "quantity": 1}]},
            {"X-Cart-Token": token},
        )

    with connection.cursor() as cursor:  # the test's own connection stays
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    with psycopg.connect(database_url(), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND pid <> %s",
            [mine],
        ).fetchone()[0]

    answer = add_a_line()
    after = add_a_line()

    print(
        f"\nFAULT db connection: {killed} backend(s) killed; next API answer "
        f"{answer.status} {answer.headers.get('Content-Type')} {answer.body}; "
        f"then {after.status}"
    )
    assert killed >= 1
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.status == 503 and answer.body["code"] == "database_unavailable"
    assert answer.headers["Retry-After"] == "1"
    assert after.status == 201  # the worker reconnected by itself
