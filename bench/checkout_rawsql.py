"""The checkout's writes (order, fulfilment, lines, reservations, ledger, payment,
status, timeline, outbox) as hand-written SQL in one transaction, for comparison."""

from __future__ import annotations

import os
import random
import secrets
import threading
import time
import uuid

from checkout_config import N_CUSTOMERS
from loadgen import run_threads

STATEMENTS = 12


def raw_sql(data, clients: int, seconds: float) -> dict:
    """The checkout's writes as hand-written SQL in one transaction, for comparison."""
    import psycopg

    dsn = os.environ["DATABASE_URL"]
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(seed):
        rng = random.Random(seed)
        with psycopg.connect(dsn) as conn:
            cur = conn.cursor()
            cur.execute("SELECT min(id) FROM customers_customer")
            first_customer = cur.fetchone()[0]
            conn.commit()
            while time.perf_counter() < stop:
                a, b = sorted(rng.sample(data["hot"], 2))
                shop = rng.choice(data["shops"])
                customer = first_customer + rng.randrange(N_CUSTOMERS)
                number = "OS-R" + secrets.token_hex(5).upper()
                t0 = time.perf_counter()
                with conn.transaction():
                    write_order(cur, number, customer, shop, (a, b))
                with lock:
                    latencies.append(time.perf_counter() - t0)

    elapsed = run_threads(worker, clients)
    return {"elapsed": elapsed, "latencies": latencies, "statements": STATEMENTS}


def write_order(cur, number: str, customer: int, shop: int, variants) -> None:
    """The order with one unit of each of two variants, reserved at ``shop``."""
    order_id = insert_order(cur, number, customer)
    cur.execute(
        "INSERT INTO orders_fulfilment (order_id, method, status, location_id,"
        " pickup_location_id, address, ready_date, tracking_reference,"
        " created_at) VALUES (%s, 'pickup', 'pending', %s, %s, '{}',"
        " current_date, '', now()) RETURNING id",
        [order_id, shop, shop],
    )
    fulfilment_id = cur.fetchone()[0]
    a, b = variants
    cur.execute(
        "INSERT INTO orders_orderline (order_id, fulfilment_id, variant_id, sku,"
        " name, quantity, unit_price, discount, line_total) VALUES"
        " (%s, %s, %s, 'A', 'A', 1, 10, 0, 10), (%s, %s, %s, 'B', 'B', 1, 10, 0, 10)",
        [order_id, fulfilment_id, a, order_id, fulfilment_id, b],
    )
    reserve(cur, number, shop, variants)
    record_placement(cur, order_id, number, customer)


def insert_order(cur, number: str, customer: int) -> int:
    cur.execute(
        "INSERT INTO orders_order (number, customer_id, channel, status,"
        " fulfilment_method, currency, subtotal, discount_total, total, email,"
        " phone, idempotency_scope, idempotency_key, idempotency_fingerprint,"
        " discount_code, loyalty_points, created_at, updated_at, pickup_code)"
        " VALUES (%s, %s, 'web', 'placed', 'pickup', 'EUR', 20, 0, 20, '', '',"
        " %s, %s, '', '', 0, now(), now(), '') RETURNING id",
        [number, customer, f"customer:{customer}", str(uuid.uuid4())],
    )
    return cur.fetchone()[0]


def reserve(cur, number: str, shop: int, variants) -> None:
    """One conditional UPDATE per stock row, then the reservations and their ledger."""
    a, b = variants
    for variant in (a, b):
        cur.execute(
            "UPDATE inventory_stocklevel SET reserved = reserved + 1,"
            " updated_at = now() WHERE variant_id = %s AND location_id = %s"
            " AND on_hand >= reserved + 1",
            [variant, shop],
        )
    cur.execute(
        "INSERT INTO inventory_reservation (variant_id, location_id, quantity,"
        " status, reference_type, reference_id, created_at, updated_at)"
        " VALUES (%s, %s, 1, 'active', 'order', %s, now(), now()),"
        " (%s, %s, 1, 'active', 'order', %s, now(), now())",
        [a, shop, number, b, shop, number],
    )
    cur.execute(
        "INSERT INTO inventory_stockmovement (variant_id, location_id,"
        " delta_on_hand, delta_reserved, reason, reference_type, reference_id,"
        " note, created_at) VALUES (%s, %s, 0, 1, 'reservation', 'order', %s,"
        " '', now()), (%s, %s, 0, 1, 'reservation', 'order', %s, '', now())",
        [a, shop, number, b, shop, number],
    )


def record_placement(cur, order_id: int, number: str, customer: int) -> None:
    """Payment, status history, the customer's timeline and an outbox row."""
    cur.execute(
        "INSERT INTO orders_payment (order_id, method, amount, refunded_amount,"
        " currency, provider, provider_reference, status, created_at) VALUES"
        " (%s, 'card_online', 20, 0, 'EUR', 'raw', %s, 'captured', now())",
        [order_id, number],
    )
    cur.execute(
        "INSERT INTO orders_orderstatuschange (order_id, from_status, to_status,"
        " at, note) VALUES (%s, '', 'placed', now(), '')",
        [order_id],
    )
    cur.execute(
        "INSERT INTO customers_customerevent (customer_id, kind, summary,"
        " channel, data, reference_type, reference_id, occurred_at) VALUES"
        " (%s, 'order_placed', 'raw', 'web', '{}', 'order', %s, now())",
        [customer, number],
    )
    cur.execute(
        "INSERT INTO core_outboxmessage (topic, payload, dedupe_key, created_at,"
        " attempts, last_error, processed_at) VALUES ('bench.raw', '{}', NULL,"
        " now(), 0, '', now())"
    )
