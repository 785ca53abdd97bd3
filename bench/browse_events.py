"""Browse-event benchmark: bursts of product views through gunicorn, then the drain.

    PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/browse_events.py

1. seeds products (one variant each) and signed-in customers who consented to
   personalisation (a token each);
2. counts, in this process, the SQL statements of one 50-view request (the buffer
   is Redis: none of them may write);
3. starts Redis and gunicorn (production settings, the checkout benchmark's helpers:
   sync workers, DEBUG off, the rate limits out of reach);
4. sends batches of ``BENCH_BATCH`` views (50) from ``BENCH_CLIENTS`` concurrent
   clients (8) for ``BENCH_SECONDS`` (15), each request on a new connection, two thirds
   signed in, one third anonymous devices with consent; prints views accepted per
   second with request p50/p99 (the target: 2,000 views/s);
5. drains the buffer in this process as the beat task does (batches of
   ``OMNISTORE_BROWSE_DRAIN_BATCH``) and prints the drain rate and that every accepted
   view was stored once.

It only reads the clock; nothing here asserts. BENCH_PRODUCTS (20000), BENCH_CUSTOMERS
(2000), BENCH_WORKERS (4) change the data and the server.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from common import ROOT, pct, verdict
from loadgen import request, run_threads
from machine import busy_since, cpu_by_command, cpu_since, machine_busy
from processes import start_broker, start_gunicorn, stop_children
from sqlcount import Counter

sys.path.insert(0, str(ROOT))

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit(
        "Run on PostgreSQL: PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python "
        "bench/browse_events.py"
    )

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
BATCH = int(os.environ.get("BENCH_BATCH", "50"))
N_PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "20000"))
N_CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2000"))
N_WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "5"))
TARGET_EVENTS_PER_S = 2000

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "omnistore.settings.bench",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "THROTTLE_ANON": "1000000/second",
        "THROTTLE_USER": "1000000/second",
        "THROTTLE_BROWSE": "1000000/second",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "ERROR",
        "DB_CONN_MAX_AGE": "600",
        # beat is not running: the drain below is timed on its own
        "OMNISTORE_BROWSE_DRAIN_EVERY": "3600",
    }
)


def seed() -> dict:
    """Products and consenting customers with tokens; returns the ids and tokens."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from customers.models import Consent, Customer
    from inventory.models import Variant
    from omnistore.accounts.models import User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO inventory_category (name, slug, parent_id) VALUES "
            "('Shirts', 'shirts', NULL)"
        )
        cur.execute(
            "INSERT INTO inventory_product (name, description, brand, category_id,"
            " active, created_at, tax_class) SELECT 'Product ' || g, '', 'Omni',"
            " (SELECT min(id) FROM inventory_category), true, now(), 'standard'"
            " FROM generate_series(1, %s) g",
            [N_PRODUCTS],
        )
        cur.execute(
            "INSERT INTO inventory_variant (product_id, sku, barcode, size, colour,"
            " attributes, price, weight_grams, active) SELECT id, 'SKU-' || id, NULL,"
            " 'M', 'Blue', '{}', 49.90, 300, true FROM inventory_product"
        )
        users = User.objects.bulk_create(
            User(username=f"shopper{i}@example.com", role="customer")
            for i in range(N_CUSTOMERS)
        )
        customers = Customer.objects.bulk_create(
            Customer(
                user=user,
                first_name="Shopper",
                last_name=f"N{i}",
                loyalty_number=f"9{i:011d}",
                created_channel="web",
            )
            for i, user in enumerate(users)
        )
        Consent.objects.bulk_create(
            Consent(customer=c, channel="tracking", granted=True, source_channel="web")
            for c in customers
        )
        tokens = Token.objects.bulk_create(
            Token(key=secrets.token_hex(20), user=user) for user in users
        )
        cur.execute("ANALYZE")
    products = list(Variant.objects.values_list("product_id", "pk"))
    print(
        f"seeded {N_PRODUCTS} products and {N_CUSTOMERS} consenting customers in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return {"products": products, "tokens": [t.key for t in tokens]}


def batch(rng: random.Random, products, n: int) -> list[dict]:
    now = datetime.now(UTC)
    events = []
    for i in range(n):
        product, variant = rng.choice(products)
        events.append(
            {
                "id": secrets.token_hex(8),
                "product": product,
                "variant": variant,
                "occurred_at": (now - timedelta(seconds=n - i)).isoformat(),
                "channel": "app" if i % 3 == 0 else "web",
                "session_id": "s-" + secrets.token_hex(4),
            }
        )
    return events


def body_and_headers(rng, data, n):
    if rng.random() < 2 / 3:
        token = rng.choice(data["tokens"])
        return {"events": batch(rng, data["products"], n)}, {
            "Authorization": f"Token {token}"
        }
    device = f"device-{rng.getrandbits(64):016x}"
    return {
        "events": batch(rng, data["products"], n),
        "device_id": device,
        "consent": True,
    }, {}


def count_statements(data) -> list[str]:
    """The statements of one signed-in 50-view request, served in this process."""
    from django.test import Client

    client = Client()
    body, headers = body_and_headers(random.Random(1), data, BATCH)
    while "Authorization" not in headers:
        body, headers = body_and_headers(
            random.Random(secrets.randbits(32)), data, BATCH
        )
    seen: list[str] = []

    def log(execute, sql, params, many, context):
        seen.append(sql.split()[0].upper())
        return execute(sql, params, many, context)

    from django.db import connection

    with Counter() as counter, connection.execute_wrapper(log):
        response = client.post(
            "/api/v1/events/",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=headers["Authorization"],
        )
    assert response.status_code == 202, response.content
    print(
        f"one signed-in request of {BATCH} views: {counter.statements} SQL statements"
        f" ({', '.join(seen)}), {counter.commits} commits"
    )
    return seen


def server_cpu(port: int) -> float:
    """CPU seconds used so far by this benchmark's gunicorn (master and workers):
    the machine is shared, so the server's own cost per view is the figure that does
    not depend on what else runs."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        stats[entry] = (fields[1], int(fields[11]) + int(fields[12]), cmdline)
    masters = {
        pid for pid, (_, _, cmd) in stats.items() if f"127.0.0.1:{port}".encode() in cmd
    }
    ours = masters | {pid for pid, (ppid, _, _) in stats.items() if ppid in masters}
    return sum(stats[pid][1] for pid in ours) / tick


def wait_until_served(port, data, seconds: float = 180.0) -> None:
    """gunicorn listens before its workers have loaded Django (on a busy machine, tens
    of seconds): send single views until every worker could have answered."""
    rng = random.Random(0)
    deadline = time.perf_counter() + seconds
    answered = 0
    while answered < 4 * N_WORKERS and time.perf_counter() < deadline:
        body, headers = body_and_headers(rng, data, 1)
        try:
            status, _ = request(port, "POST", "/api/v1/events/", body, headers)
        except OSError:
            time.sleep(0.5)
            continue
        answered += status == 202


def drive(port, data, seconds: float = SECONDS) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    accepted = [0]
    errors: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    def client(seed):
        rng = random.Random(seed)
        while time.perf_counter() < stop:
            body, headers = body_and_headers(rng, data, BATCH)
            t0 = time.perf_counter()
            try:
                status, raw = request(port, "POST", "/api/v1/events/", body, headers)
            except OSError:  # a timeout or a refused connection
                status, raw = 0, b""
            took = time.perf_counter() - t0
            with lock:
                if status == 202:
                    latencies.append(took)
                    accepted[0] += json.loads(raw)["accepted"]
                else:
                    errors[status] = errors.get(status, 0) + 1

    cpu_before, busy_before = cpu_by_command(), machine_busy()
    server_before = server_cpu(port)
    load = os.getloadavg()[0]
    elapsed = run_threads(client, CLIENTS)
    return {
        "server_cpu": server_cpu(port) - server_before,
        "elapsed": elapsed,
        "latencies": latencies,
        "accepted": accepted[0],
        "errors": errors,
        "cpu": cpu_since(cpu_before),
        "busy": busy_since(busy_before),
        "load": load,
    }


def drain() -> tuple[int, float, float, int]:
    """Views waiting as the load stops, seconds (and CPU seconds of this process) to
    store them, rows in the table."""
    from customers.models import BrowseEvent
    from customers.services import browse_buffer
    from customers.services.browsing import drain_browse_events

    waiting = browse_buffer.waiting()
    started, cpu = time.perf_counter(), time.process_time()
    drain_browse_events()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    return waiting, took, cpu, BrowseEvent.objects.count()


def main() -> None:
    import django

    broker = start_broker()
    if not broker:
        sys.exit("redis-server is needed: the views wait in Redis")
    os.environ["REDIS_URL"] = broker
    os.environ["OMNISTORE_BROWSE_BUFFER_URL"] = broker
    django.setup()
    data = seed()
    count_statements(data)
    from django.db import connection

    from customers.services.browsing import drain_browse_events

    drain_browse_events()  # the counted request's views
    connection.close()
    port = start_gunicorn({**os.environ}, N_WORKERS, "sync", 1)
    print(
        f"gunicorn: {N_WORKERS} sync workers on 127.0.0.1:{port}; Redis buffer; "
        f"{os.cpu_count()} CPU cores; {CLIENTS} clients, {BATCH} views a request"
    )
    from customers.models import BrowseEvent

    wait_until_served(port, data)
    drive(port, data, WARMUP)  # connections, caches and buffers warm up
    drain_browse_events()
    before = BrowseEvent.objects.count()
    run = drive(port, data)
    waiting, took, drain_cpu, stored = drain()
    rate = run["accepted"] / run["elapsed"]
    requests = len(run["latencies"])
    cpu = run["cpu"]
    top = sorted(cpu.items(), key=lambda kv: -kv[1])[:4]
    print(
        f"\naccepted {run['accepted']} views in {requests} requests over "
        f"{run['elapsed']:.1f} s: {rate:,.0f} views/s ({requests / run['elapsed']:.0f}"
        f" requests/s), p50 {pct(run['latencies'], 50):.1f} ms, p99 "
        f"{pct(run['latencies'], 99):.1f} ms; errors {run['errors'] or 'none'}"
    )
    print(
        f"machine busy {run['busy']:.0%} (load {run['load']:.2f} as the run started);"
        f" CPU s: " + ", ".join(f"{name} {secs:.1f}" for name, secs in top)
    )
    per_view = run["server_cpu"] / max(run["accepted"], 1)
    print(
        f"gunicorn CPU: {run['server_cpu']:.2f} s = {per_view * 1e6:.0f} µs a view, "
        f"{run['server_cpu'] / max(requests, 1) * 1000:.1f} ms a request; on two "
        f"free cores that is {2 / per_view if per_view else 0:,.0f} views/s"
    )
    print(
        f"drain: {waiting} views waiting, stored in {took:.2f} s = "
        f"{waiting / took if took else 0:,.0f} views/s ({drain_cpu:.2f} s of CPU in "
        f"this process: {waiting / drain_cpu if drain_cpu else 0:,.0f} views per CPU "
        f"second); table holds {stored - before} new rows for {run['accepted']} "
        f"accepted"
    )
    print(
        f"\n{verdict(rate >= TARGET_EVENTS_PER_S)}: >= {TARGET_EVENTS_PER_S:,} views/s"
        f" accepted ({rate:,.0f})"
    )
    print(
        f"{verdict(stored - before == run['accepted'])}: every accepted view stored "
        f"once ({stored - before} of {run['accepted']})"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_children()
