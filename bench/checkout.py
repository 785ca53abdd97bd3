"""Checkout benchmark on a durable PostgreSQL (fsync on), through gunicorn on loopback.

    PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/checkout.py

1. seeds a catalogue, shops, stock, customers and order history;
2. counts, in this process, the SQL statements and commits of one storefront flow
   (new cart, add two lines, checkout) by wrapping the connection;
3. starts gunicorn (sync workers, production settings, DEBUG off, no throttling) and,
   when redis-server is installed, Redis and the Celery worker, webhook worker and beat
   as docs/operations.md runs them (``nice -n 10``, info logging);
4. measures the floor: a bench-only Django endpoint doing one guarded UPDATE and one
   INSERT (omnistore/urls_bench.py), before and after the flows; every rate is
   printed next to it, as this machine's speed changes from day to day;
5. drives the friendly flow (returning customers collecting at a shop) at 1, 8 and 32
   clients, then — a webhook subscriber registered and the automations on — the
   realistic one at 8 clients (30 % new guests, half the orders delivered); the two
   are compared over eight blocks in the order F R R F F R R F (friendly,
   realistic; the subscriber and the automations off for the friendly ones), so a
   drift of the machine's speed during the run weighs on both alike
   (BENCH_COMPARE_GROUPS: how many F R R F groups, default 2);
6. measures the rest at 8 clients: buy now (one request, realistic mix), one SKU's
   availability across 500 shops through the API, and the staff stock lookup by one
   associate while 8 realistic buyers check out;
7. runs the same reservation + order transaction as raw SQL (psycopg) for comparison;
8. prints PASS/MISS against the targets. It only reads the clock; nothing here asserts.

Environment: BENCH_SECONDS (per run, default 15), BENCH_VARIANTS (default 100000),
BENCH_SHOPS (300), BENCH_CUSTOMERS (100000), BENCH_ORDERS (300000), BENCH_WORKERS (4),
BENCH_WORKER_CLASS (sync; gthread with BENCH_THREADS), BENCH_THREADS (1),
BENCH_CONCURRENCY (the friendly flow's client counts, default 1,8,32; 8 is needed for
the targets), BENCH_WARMUP (seconds of load at 8 clients before anything is measured,
default 10), BENCH_NEW_GUESTS (0.3), BENCH_DELIVERY (0.5), BENCH_AVAILABILITY_SHOPS
(500), BENCH_WORKER_NICE (10).
"""

from __future__ import annotations

import os
import secrets
import sys

import checkout_requests as requests
from checkout_config import (
    COMPARE_GROUPS,
    CONCURRENCY,
    N_WORKERS,
    SECONDS,
    THREADS,
    WARMUP,
    WORKER_CLASS,
    WORKER_NICE,
)
from checkout_flow import count_statements
from checkout_load import beside_requests, combined, drive, drive_requests
from checkout_rawsql import raw_sql
from checkout_realism import (
    automations_on,
    availability_probe,
    realistic_day,
    received,
    staff_session,
    start_receiver,
    subscribe,
)
from checkout_report import report
from checkout_report_realistic import report_realistic
from checkout_seed import seed
from common import ROOT
from processes import start_broker, start_gunicorn, start_worker, stop_children

sys.path.insert(0, str(ROOT))

if "DATABASE_URL" not in os.environ or not os.environ["DATABASE_URL"].startswith(
    "postgres"
):
    sys.exit(
        "Run on PostgreSQL: PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/checkout.py"
    )

ENV = {
    "DJANGO_SETTINGS_MODULE": "omnistore.settings.bench",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SECURE_SSL_REDIRECT": "0",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "THROTTLE_ANON": "1000000/second",
    "THROTTLE_USER": "1000000/second",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "LOG_LEVEL": "ERROR",
    "DB_CONN_MAX_AGE": "600",
    # the subscriber listens on loopback, over plain HTTP
    "OMNISTORE_WEBHOOK_ALLOW_HTTP": "1",
    "OMNISTORE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
}
WEBHOOK_TTL = 5.0  # OMNISTORE_WEBHOOK_ENDPOINTS_TTL as deployed (its default)
os.environ.update(ENV)


def main() -> None:
    import django

    broker = start_broker()
    if broker:
        os.environ["REDIS_URL"] = broker
    django.setup()
    data = seed()
    env = {**os.environ}
    if broker:
        start_worker(env, WORKER_NICE)
    counts = count_statements(data)
    associate = staff_session(data["shops"][0])
    from django.db import connection

    connection.close()

    port = start_gunicorn(env, N_WORKERS, WORKER_CLASS, THREADS)
    print(
        f"gunicorn: {N_WORKERS} {WORKER_CLASS} workers"
        f"{f' x {THREADS} threads' if THREADS > 1 else ''} on 127.0.0.1:{port}; "
        f"{'Redis, Celery worker + webhook worker + beat as docs/operations.md runs them' if broker else 'eager Celery'}"
        f" (nice {WORKER_NICE}); {os.cpu_count()} CPU cores; fsync on"
    )
    drive(port, data, 8, WARMUP)  # warm-up: connections, caches, database buffers
    floors = [drive_requests(port, requests.floor(data), 8, SECONDS)]
    results = [drive(port, data, clients, SECONDS) for clients in CONCURRENCY]
    # the friendly block just before the realistic ones (8 clients)
    first = results[-1] if CONCURRENCY[-1] == 8 else drive(port, data, 8, SECONDS)
    # The realistic day: a subscriber for every event, the automations on; the two
    # flows compared block by block (``compared_blocks``).
    endpoint = subscribe(start_receiver(), WEBHOOK_TTL)
    automations = automations_on()
    realistic_counts = count_statements(data, realistic=True)
    connection.close()
    sequence = compared_blocks(port, data, first, endpoint)
    friendly = combined([b for b in sequence if not b["realistic"]])
    realistic = combined([b for b in sequence if b["realistic"]])
    connection.close()
    lookup: dict = {}
    under_load = drive(
        port,
        data,
        8,
        SECONDS,
        realistic=True,
        beside=beside_requests(port, requests.stock_lookup(data, associate), lookup),
    )
    buy_now = drive_requests(
        port, requests.buy_now(data), 8, SECONDS, writes_orders=True
    )
    product, variant, shops = availability_probe(data)
    availability = drive_requests(
        port, requests.availability(product, variant), 8, SECONDS
    )
    floors.append(drive_requests(port, requests.floor(data), 8, SECONDS))
    raw = raw_sql(data, 8, min(SECONDS, 10))
    report(counts, results, raw)
    if os.environ.get("BENCH_CPU_JSON"):  # every process's CPU per run, closer
        runs = {"friendly": friendly, "realistic": realistic}
        dump_cpu(
            os.environ["BENCH_CPU_JSON"],
            {**runs, "buy_now": buy_now, "floor": floors[0]},
        )
    report_realistic(
        {
            "floors": floors,
            "friendly": friendly,
            "realistic": realistic,
            "realistic_counts": realistic_counts,
            "under_load": under_load,
            "lookup": lookup,
            "buy_now": buy_now,
            "availability": availability,
            "availability_shops": shops,
            "automations": automations,
            "sequence": sequence,
            "webhooks_received": received(),
        }
    )


def dump_cpu(path: str, runs: dict[str, dict]) -> None:
    """Write each run's CPU by process, elapsed time and count done as JSON."""
    import json

    summary = {
        name: {
            "cpu": run["cpu"],
            "elapsed": run["elapsed"],
            "done": len(run.get("flows") or run.get("latencies")),
        }
        for name, run in runs.items()
    }
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)


def compared_blocks(port, data, first: dict, endpoint: int) -> list[dict]:
    """The friendly and realistic blocks in the order F R R F, COMPARE_GROUPS times
    (F R R F F R R F for two): a drift of the machine's speed during the run, steady
    or turning, weighs on both flows alike. ``first`` is the friendly block just
    measured; the realistic day (subscriber, automations) is on when this starts and
    when it returns."""
    sequence, on = [first], True
    for kind in (("F", "R", "R", "F") * COMPARE_GROUPS)[1:]:  # F: ``first``
        realistic = kind == "R"
        if realistic != on:
            realistic_day(endpoint, realistic, WEBHOOK_TTL)
            on = realistic
        sequence.append(drive(port, data, 8, SECONDS, realistic=realistic))
    if not on:
        realistic_day(endpoint, True, WEBHOOK_TTL)
    return sequence


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_children()
