"""Checkout benchmark on a durable PostgreSQL (fsync on), through gunicorn on loopback.

    PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/checkout.py

1. seeds a catalogue, hundreds of shops, stock, customers and order history;
2. counts, in this process, the SQL statements and commits of one storefront flow
   (new cart, add two lines, checkout) by wrapping the connection;
3. starts gunicorn (sync workers, production settings, DEBUG off, no throttling) and, when
   redis-server is installed, Redis and one Celery worker so emails and points leave
   the request as in production;
4. drives the flow at 1, 8 and 32 concurrent clients for a bounded time, printing flows
   and requests per second with p50/p99 latency;
5. runs the same reservation + order transaction as raw SQL (psycopg) for comparison;
6. prints PASS/MISS against the targets. It only reads the clock; nothing here asserts.

Environment: BENCH_SECONDS (per concurrency, default 15), BENCH_VARIANTS (default 100000),
BENCH_SHOPS (300), BENCH_CUSTOMERS (100000), BENCH_ORDERS (300000), BENCH_WORKERS (4),
BENCH_WORKER_CLASS (sync; gthread with BENCH_THREADS), BENCH_THREADS (1),
BENCH_CONCURRENCY (the client counts to run, default 1,8,32; 8 is needed for the targets),
BENCH_WARMUP (seconds of load at 8 clients before anything is measured, default 10).
"""

from __future__ import annotations

import os
import secrets
import sys

from checkout_config import (
    CONCURRENCY,
    N_WORKERS,
    SECONDS,
    THREADS,
    WARMUP,
    WORKER_CLASS,
    WORKER_NICE,
)
from checkout_flow import count_statements
from checkout_load import drive
from checkout_rawsql import raw_sql
from checkout_report import report
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
}
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
    from django.db import connection

    connection.close()

    port = start_gunicorn(env, N_WORKERS, WORKER_CLASS, THREADS)
    print(
        f"gunicorn: {N_WORKERS} {WORKER_CLASS} workers"
        f"{f' x {THREADS} threads' if THREADS > 1 else ''} on 127.0.0.1:{port}; "
        f"{'Redis + 1 Celery worker' if broker else 'eager Celery'}; "
        f"{os.cpu_count()} CPU cores; fsync on"
    )
    drive(port, data, 8, WARMUP)  # warm-up: connections, caches, database buffers
    results = [drive(port, data, clients, SECONDS) for clients in CONCURRENCY]
    raw = raw_sql(data, 8, min(SECONDS, 10))
    report(counts, results, raw)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_children()
