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

import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "10"))
N_VARIANTS = int(os.environ.get("BENCH_VARIANTS", "100000"))
N_SHOPS = int(os.environ.get("BENCH_SHOPS", "300"))
N_CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "100000"))
N_ORDERS = int(os.environ.get("BENCH_ORDERS", "300000"))
N_WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
HOT = 2000  # variants every shop stocks
CONCURRENCY = tuple(
    int(n) for n in os.environ.get("BENCH_CONCURRENCY", "1,8,32").split(",")
)
TARGET_FLOWS_PER_S = 130
TARGET_P99_MS = 100
TARGET_STATEMENTS = 30
TARGET_COMMITS = 3

if "DATABASE_URL" not in os.environ or not os.environ["DATABASE_URL"].startswith(
    "postgres"
):
    sys.exit(
        "Run on PostgreSQL: PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/checkout.py"
    )

ENV = {
    "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- services: Redis + a Celery worker ----------------------------------------------

# The Celery worker yields the CPU to the web workers when both want it (the outbox
# check below shows it keeps up): BENCH_WORKER_NICE, 0 to run it as a peer.
WORKER_NICE = int(os.environ.get("BENCH_WORKER_NICE", "10"))
NICE_WORKER = ["nice", "-n", str(WORKER_NICE)] if WORKER_NICE else []

_children: list[subprocess.Popen] = []
_cleanup: list = []


def start_broker() -> str:
    if not shutil.which("redis-server"):
        print("redis-server not found: outbox drains run in the request (eager Celery)")
        return ""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    redis = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    _children.append(redis)
    _cleanup.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/0"


def start_worker(env) -> None:
    worker = subprocess.Popen(
        [
            *NICE_WORKER,
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "omnistore",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=ERROR",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _children.append(worker)


def start_gunicorn(env) -> int:
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "omnistore.wsgi",
            "--workers",
            str(N_WORKERS),
            "--worker-class",
            WORKER_CLASS,
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
            "--backlog",
            "256",
            "--worker-tmp-dir",
            "/dev/shm",
        ],
        cwd=ROOT,
        env=env,
    )
    _children.append(server)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def stop_children() -> None:
    for child in reversed(_children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in reversed(_children):
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    for step in _cleanup:
        step()


# --- seeding ------------------------------------------------------------------------


def seed() -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from customers.models import Customer, CustomerIdentity

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    n_products = max(N_VARIANTS // 5, 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO inventory_category (name, slug, parent_id) "
            "SELECT 'Category ' || g, 'category-' || g, NULL FROM generate_series(1, 40) g"
        )
        cur.execute(
            "INSERT INTO inventory_product (name, description, brand, category_id, active,"
            " created_at) SELECT 'Product ' || g, '', 'Omni',"
            " (SELECT min(id) FROM inventory_category) + g %% 40, true, now()"
            " FROM generate_series(1, %s) g",
            [n_products],
        )
        cur.execute(
            "INSERT INTO inventory_variant (product_id, sku, barcode, size, colour, attributes,"
            " price, weight_grams, active)"
            " SELECT p.id, 'SKU-' || lpad((p.id * 5 + s)::text, 8, '0'),"
            " '2' || lpad((p.id * 5 + s)::text, 12, '0'), (ARRAY['XS','S','M','L','XL'])[s + 1],"
            " 'Blue', '{}', 9.90 + (p.id % 90), 300, true"
            " FROM inventory_product p CROSS JOIN generate_series(0, 4) s"
        )
        cur.execute(
            "INSERT INTO inventory_location (code, name, kind, address, city, postcode, country,"
            " latitude, longitude, opening_hours, phone, sells_in_store, click_and_collect,"
            " ships_online_orders, active)"
            " SELECT 'WH' || g, 'Warehouse ' || g, 'warehouse', '', 'Hub', '', 'IT',"
            " 41 + g, 9 + g, '', '', false, false, true, true FROM generate_series(1, 3) g"
        )
        cur.execute(
            "INSERT INTO inventory_location (code, name, kind, address, city, postcode, country,"
            " latitude, longitude, opening_hours, phone, sells_in_store, click_and_collect,"
            " ships_online_orders, active)"
            " SELECT 'S' || lpad(g::text, 4, '0'), 'Shop ' || g, 'shop', 'Via Roma ' || g,"
            " 'City ' || g, '', 'IT', 38 + (g %% 70) * 0.1, 8 + (g %% 90) * 0.1, '9-19', '',"
            " true, true, g %% 10 = 0, true FROM generate_series(1, %s) g",
            [N_SHOPS],
        )
        # Warehouses hold everything; every shop holds the best sellers.
        cur.execute(
            "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved,"
            " safety_stock, low_stock_threshold, updated_at)"
            " SELECT v.id, l.id, 100000, 0, 0, 3, now() FROM inventory_variant v"
            " CROSS JOIN inventory_location l WHERE l.kind = 'warehouse'"
        )
        cur.execute(
            "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved,"
            " safety_stock, low_stock_threshold, updated_at)"
            " SELECT v.id, l.id, 100000, 0, 1, 3, now()"
            " FROM (SELECT id FROM inventory_variant ORDER BY id LIMIT %s) v"
            " CROSS JOIN inventory_location l WHERE l.kind = 'shop'",
            [HOT],
        )
        cur.execute(
            "INSERT INTO inventory_stockmovement (variant_id, location_id, delta_on_hand,"
            " delta_reserved, reason, reference_type, reference_id, note, actor_id, created_at)"
            " SELECT variant_id, location_id, on_hand, 0, 'receipt', '', '', 'seed', NULL, now()"
            " FROM inventory_stocklevel"
        )
    batch = 10000
    for start in range(0, N_CUSTOMERS, batch):
        rows = [
            Customer(
                first_name="Guest",
                last_name=f"N{i}",
                email=f"customer{i}@example.com",
                loyalty_number=f"9{i:011d}",
                created_channel="web" if i % 2 else "store",
            )
            for i in range(start, min(start + batch, N_CUSTOMERS))
        ]
        Customer.objects.bulk_create(rows)
        CustomerIdentity.objects.bulk_create(
            [CustomerIdentity(customer=c, kind="email", value=c.email) for c in rows]
            + [
                CustomerIdentity(customer=c, kind="loyalty", value=c.loyalty_number)
                for c in rows
            ]
        )
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO orders_order (number, customer_id, channel, placing_location_id,"
            " staff_member_id, status, fulfilment_method, currency, subtotal, discount_total,"
            " total, email, phone, idempotency_scope, idempotency_key, discount_code,"
            " attributed_campaign_id, loyalty_points, created_at, updated_at, pickup_code,"
            " ready_at, pickup_expires_at, reminder_sent_at, collected_at, shipped_at,"
            " delivered_at, cancelled_at)"
            " SELECT 'OS-H' || lpad(g::text, 9, '0'), c.min + g %% %s, 'web', NULL, NULL,"
            " 'collected', 'pickup', 'EUR', 59.80, 0, 59.80, '', '', '', '', '', NULL, 59,"
            " now() - (g %% 700) * interval '1 day', now(), 'SEED01', now(), now(), NULL,"
            " now(), NULL, NULL, NULL"
            " FROM generate_series(1, %s) g, (SELECT min(id) FROM customers_customer) c",
            [N_CUSTOMERS, N_ORDERS],
        )
        cur.execute(
            "INSERT INTO orders_orderline (order_id, fulfilment_id, variant_id, sku, name,"
            " quantity, unit_price, discount, line_total)"
            " SELECT o.id, NULL, v.min + (o.id * 7 + s) %% %s, 'SKU', 'Seeded item', 1, 29.90,"
            " 0, 29.90 FROM orders_order o CROSS JOIN generate_series(0, 1) s,"
            " (SELECT min(id) FROM inventory_variant) v",
            [N_VARIANTS],
        )
    # A steady-state database: hint bits set, statistics fresh, dirty pages flushed, so
    # the timed runs do not race the autovacuum and checkpoint that a bulk load triggers.
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
        cur.execute("CHECKPOINT")
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM inventory_location WHERE kind = 'shop' ORDER BY id")
        shops = [row[0] for row in cur.fetchall()]
        cur.execute(f"SELECT id FROM inventory_variant ORDER BY id LIMIT {HOT}")
        hot = [row[0] for row in cur.fetchall()]
    print(
        f"seeded {N_VARIANTS} variants, {N_SHOPS} shops + 3 warehouses, {N_CUSTOMERS} "
        f"customers, {N_ORDERS} past orders in {time.perf_counter() - started:.0f} s"
    )
    return {"shops": shops, "hot": hot}


# --- the flow -----------------------------------------------------------------------


def flow_requests(data, rng: random.Random):
    """The three storefront requests of one purchase (bodies and headers)."""
    a, b = rng.sample(data["hot"], 2)
    shop = rng.choice(data["shops"])
    email = f"customer{rng.randrange(N_CUSTOMERS)}@example.com"
    lines = {"lines": [{"variant": a, "quantity": 1}, {"variant": b, "quantity": 1}]}
    checkout = {
        "fulfilment": "pickup",
        "store": shop,
        "email": email,
        "payment": {"method": "card_online", "token": "tok_visa"},
    }
    return lines, checkout


class Counter:
    """SQL statements and commits of this process's default connection, counted over
    one request as gunicorn serves it: the kept connection's health check (a
    ``SELECT 1`` sent past Django's cursor wrappers) counts as a statement."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.statements = 0
        self.commits = 0

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        if not self.connection.in_atomic_block and sql.lstrip()[:6].upper() in {
            "INSERT",
            "UPDATE",
            "DELETE",
        }:
            self.commits += 1  # autocommit: the statement is its own transaction
        return execute(sql, params, many, context)

    def __enter__(self):
        conn = self.connection
        conn.ensure_connection()
        original = conn.commit
        usable = conn.is_usable

        def commit():
            self.commits += 1
            return original()

        def is_usable():
            self.statements += 1
            return usable()

        conn.commit = commit
        conn.is_usable = is_usable
        # What request_started does (the test client leaves it out): a kept
        # connection is checked again on its first use in the request.
        conn.close_if_unusable_or_obsolete()
        self._wrap = conn.execute_wrapper(self)
        self._wrap.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrap.__exit__(*exc)
        del self.connection.commit  # the class's methods again
        del self.connection.is_usable


def count_statements(data) -> dict:
    from django.test import Client

    rng = random.Random(7)
    client = Client()
    counts = {}
    for _ in range(3):  # warm caches; the last run is the one reported
        lines, checkout = flow_requests(data, rng)
        with Counter() as c:
            r = client.post("/api/v1/cart/", content_type="application/json")
        counts["new cart"] = (c.statements, c.commits)
        token = r.json()["token"]
        with Counter() as c:
            r = client.post(
                "/api/v1/cart/lines/",
                lines,
                content_type="application/json",
                HTTP_X_CART_TOKEN=token,
            )
        assert r.status_code == 201, r.content
        counts["add 2 lines"] = (c.statements, c.commits)
        with Counter() as c:
            r = client.post(
                "/api/v1/checkout/",
                checkout,
                content_type="application/json",
                HTTP_X_CART_TOKEN=token,
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
        assert r.status_code == 201, r.content
        counts["checkout"] = (c.statements, c.commits)
    return counts


# --- load ---------------------------------------------------------------------------


def request(port, method, path, body=None, headers=None):
    """One HTTP/1.1 request on a new connection, as a browser's fetch would make it.

    Written on the socket rather than through ``http.client`` (whose header parsing
    costs the load generator, on the same two cores as the server, about three times
    as much CPU); gunicorn's sync workers close the connection after each response.
    """
    payload = json.dumps(body).encode() if body is not None else b""
    head = "".join(
        [
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n",
            "Content-Type: application/json\r\nAccept: application/json\r\n",
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n",
            *(f"{name}: {value}\r\n" for name, value in (headers or {}).items()),
            "\r\n",
        ]
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode() + payload)
        response = b""
        while b"\r\n\r\n" not in response:
            data = sock.recv(65536)
            if not data:
                break
            response += data
        header, _, raw = response.partition(b"\r\n\r\n")
        lowered = header.lower()
        if b"transfer-encoding: chunked" in lowered:  # not sent by Django's JSON
            raise RuntimeError("chunked responses are not read here")
        found = re.search(rb"\r\ncontent-length: *(\d+)", lowered)
        length = int(found.group(1)) if found else None
        # As a browser does: the body read to its length, the socket closed (without
        # a length, read until the server closes)
        while (length is None or len(raw) < length) and (data := sock.recv(65536)):
            raw += data
    return int(header.split(b" ", 2)[1]), raw


def cpu_by_command() -> dict[str, float]:
    """CPU seconds used so far by every process on the machine, summed per command."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        if entry == str(os.getpid()):
            name = "load generator"
        fields = raw[raw.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        totals[name] = totals.get(name, 0.0) + used
    return totals


def machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def outbox_backlog(timeout: float = 120.0) -> tuple[int, float]:
    """Outbox rows still pending as a run's load stops, and how long the Celery worker
    then took to deliver them: the measured rate counts only if the worker keeps up."""
    from django.db import connection

    from omnistore.core.models import OutboxMessage

    pending = OutboxMessage.objects.filter(processed_at__isnull=True)
    backlog, started = pending.count(), time.perf_counter()
    while pending.exists() and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    waited = time.perf_counter() - started
    drained_in = waited if not pending.exists() else float("inf")
    connection.close()
    return backlog, drained_in


def sustained(run: dict) -> float:
    """Flows per second over the load and the delivery of its outbox rows after it."""
    return len(run["flows"]) / (run["elapsed"] + run["drained_in"])


def drive(port, data, clients: int, seconds: float) -> dict:
    load = os.getloadavg()[0]  # the 1-minute load average as the run starts
    cpu_before, busy_before = cpu_by_command(), machine_busy()
    stop = time.perf_counter() + seconds
    flows: list[float] = []
    per_request: dict[str, list[float]] = {
        "new cart": [],
        "add 2 lines": [],
        "checkout": [],
    }
    errors: dict[int, int] = {}
    lock = threading.Lock()

    def client(seed):
        rng = random.Random(seed)
        while time.perf_counter() < stop:
            lines, checkout = flow_requests(data, rng)
            t0 = time.perf_counter()
            s1, raw = request(port, "POST", "/api/v1/cart/")
            t1 = time.perf_counter()
            if s1 != 201:
                with lock:
                    errors[s1] = errors.get(s1, 0) + 1
                continue
            token = json.loads(raw)["token"]
            s2, _ = request(
                port, "POST", "/api/v1/cart/lines/", lines, {"X-Cart-Token": token}
            )
            t2 = time.perf_counter()
            s3, _ = request(
                port,
                "POST",
                "/api/v1/checkout/",
                checkout,
                {"X-Cart-Token": token, "Idempotency-Key": str(uuid.uuid4())},
            )
            t3 = time.perf_counter()
            with lock:
                if s2 != 201 or s3 != 201:
                    bad = s2 if s2 != 201 else s3
                    errors[bad] = errors.get(bad, 0) + 1
                    continue
                flows.append(t3 - t0)
                per_request["new cart"].append(t1 - t0)
                per_request["add 2 lines"].append(t2 - t1)
                per_request["checkout"].append(t3 - t2)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    # the orders' side effects are part of the run: CPU is counted until the worker
    # has delivered them, and the sustained rate spreads the flows over that time too
    backlog, drained_in = outbox_backlog()
    cpu_after, busy_after = cpu_by_command(), machine_busy()
    cpu = {
        name: cpu_after[name] - cpu_before.get(name, 0.0)
        for name in cpu_after
        if cpu_after[name] - cpu_before.get(name, 0.0) > 0
    }
    busy = (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1)
    return {
        "backlog": backlog,
        "drained_in": drained_in,
        "clients": clients,
        "elapsed": elapsed,
        "flows": flows,
        "per_request": per_request,
        "errors": errors,
        "cpu": cpu,
        "busy": busy,
        "load": load,
    }


def pct(values, q) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index] * 1000


# --- raw SQL comparison -------------------------------------------------------------


def raw_sql(data, clients: int, seconds: float) -> dict:
    """The checkout's writes as hand-written SQL in one transaction, for comparison."""
    import psycopg

    dsn = os.environ["DATABASE_URL"]
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()
    statements = 12

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
                    cur.execute(
                        "INSERT INTO orders_order (number, customer_id, channel, status,"
                        " fulfilment_method, currency, subtotal, discount_total, total, email,"
                        " phone, idempotency_scope, idempotency_key, discount_code,"
                        " loyalty_points, created_at, updated_at, pickup_code)"
                        " VALUES (%s, %s, 'web', 'placed', 'pickup', 'EUR', 20, 0, 20, '', '',"
                        " %s, %s, '', 0, now(), now(), '') RETURNING id",
                        [number, customer, f"customer:{customer}", str(uuid.uuid4())],
                    )
                    order_id = cur.fetchone()[0]
                    cur.execute(
                        "INSERT INTO orders_fulfilment (order_id, method, status, location_id,"
                        " pickup_location_id, address, ready_date, tracking_reference,"
                        " created_at) VALUES (%s, 'pickup', 'pending', %s, %s, '{}',"
                        " current_date, '', now()) RETURNING id",
                        [order_id, shop, shop],
                    )
                    fulfilment_id = cur.fetchone()[0]
                    cur.execute(
                        "INSERT INTO orders_orderline (order_id, fulfilment_id, variant_id, sku,"
                        " name, quantity, unit_price, discount, line_total) VALUES"
                        " (%s, %s, %s, 'A', 'A', 1, 10, 0, 10), (%s, %s, %s, 'B', 'B', 1, 10, 0, 10)",
                        [order_id, fulfilment_id, a, order_id, fulfilment_id, b],
                    )
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
                with lock:
                    latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "elapsed": time.perf_counter() - started,
        "latencies": latencies,
        "statements": statements,
    }


# --- main ---------------------------------------------------------------------------


def main() -> None:
    import django

    broker = start_broker()
    if broker:
        os.environ["REDIS_URL"] = broker
    django.setup()
    data = seed()
    env = {**os.environ}
    if broker:
        start_worker(env)
    counts = count_statements(data)
    from django.db import connection

    connection.close()

    port = start_gunicorn(env)
    print(
        f"gunicorn: {N_WORKERS} {WORKER_CLASS} workers"
        f"{f' x {THREADS} threads' if THREADS > 1 else ''} on 127.0.0.1:{port}; "
        f"{'Redis + 1 Celery worker' if broker else 'eager Celery'}; "
        f"{os.cpu_count()} CPU cores; fsync on"
    )
    drive(port, data, 8, WARMUP)  # warm-up: connections, caches, database buffers
    results = [drive(port, data, clients, SECONDS) for clients in CONCURRENCY]
    raw = raw_sql(data, 8, min(SECONDS, 10))

    print()
    print(
        "Statements and commits per request (one in-process flow, connection wrapped):"
    )
    total_statements = total_commits = 0
    for name, (statements, commits) in counts.items():
        print(f"  {name:<12} {statements:>3} SQL statements  {commits} commit(s)")
        total_statements += statements
        total_commits += commits
    print(
        f"  {'whole flow':<12} {total_statements:>3} SQL statements  {total_commits} commit(s)"
    )
    print()
    print("Flow = new cart + add 2 lines + checkout (3 HTTP requests):")
    print(
        f"  {'clients':>7} {'flows/s':>8} {'sustained':>9} {'req/s':>7} {'p50 ms':>7}"
        f" {'p99 ms':>7} {'checkout p50':>12} {'checkout p99':>12} {'errors':>7}"
    )
    for r in results:
        rate = len(r["flows"]) / r["elapsed"]
        print(
            f"  {r['clients']:>7} {rate:>8.1f} {sustained(r):>9.1f} {rate * 3:>7.1f}"
            f" {pct(r['flows'], 50):>7.1f}"
            f" {pct(r['flows'], 99):>7.1f} {pct(r['per_request']['checkout'], 50):>12.1f}"
            f" {pct(r['per_request']['checkout'], 99):>12.1f} {sum(r['errors'].values()):>7}"
            + (f"  {r['errors']}" if r["errors"] else "")
        )
    print()
    print("CPU per flow by process (ms; the machine has 2 cores shared by everything):")
    groups = ("gunicorn", "postgres", "celery", "load generator")
    for r in results:
        n = max(len(r["flows"]), 1)
        parts = {g: r["cpu"].get(g, 0.0) for g in groups}
        other = sum(v for k, v in r["cpu"].items() if k not in groups)
        print(
            f"  {r['clients']:>3} clients: "
            + "  ".join(f"{g} {parts[g] / n * 1000:.1f}" for g in groups)
            + f"  other processes {other / n * 1000:.1f}"
            + f"  | machine busy {r['busy'] * 100:.0f}%, load {r['load']:.1f}"
        )
    print("  (other = processes on the machine that are not part of this benchmark)")
    print(
        "  (CPU counted until the outbox rows of the run were delivered; sustained ="
        " flows over the load plus that delivery time)"
    )
    print()
    print("Outbox (receipts, points, timeline) as each run's load stopped:")
    for r in results:
        print(
            f"  {r['clients']:>3} clients: {r['backlog']} rows pending,"
            f" delivered {r['drained_in']:.1f} s later"
        )
    raw_rate = len(raw["latencies"]) / raw["elapsed"]
    print()
    print(
        f"Raw SQL (psycopg, same order + reservation writes, {raw['statements']} statements,"
        f" 1 commit), 8 clients: {raw_rate:.1f} tx/s, p50 {pct(raw['latencies'], 50):.1f} ms,"
        f" p99 {pct(raw['latencies'], 99):.1f} ms"
    )

    at8 = next(r for r in results if r["clients"] == 8)
    rate8 = sustained(at8)
    checkout_statements, checkout_commits = counts["checkout"]
    print()
    print("Targets at 8 clients:")
    checks = [
        (
            f"sustained flows/s >= {TARGET_FLOWS_PER_S}",
            rate8 >= TARGET_FLOWS_PER_S,
            f"{rate8:.1f}",
        ),
        (
            f"flow p99 < {TARGET_P99_MS} ms",
            pct(at8["flows"], 99) < TARGET_P99_MS,
            f"{pct(at8['flows'], 99):.1f} ms",
        ),
        (
            f"checkout p99 < {TARGET_P99_MS} ms",
            pct(at8["per_request"]["checkout"], 99) < TARGET_P99_MS,
            f"{pct(at8['per_request']['checkout'], 99):.1f} ms",
        ),
        (
            f"checkout <= {TARGET_STATEMENTS} SQL statements",
            checkout_statements <= TARGET_STATEMENTS,
            str(checkout_statements),
        ),
        (
            f"whole flow <= {TARGET_STATEMENTS} SQL statements",
            total_statements <= TARGET_STATEMENTS,
            str(total_statements),
        ),
        (
            f"whole flow <= {TARGET_COMMITS} commits",
            total_commits <= TARGET_COMMITS,
            str(total_commits),
        ),
        ("checkout = 1 commit", checkout_commits == 1, str(checkout_commits)),
        (
            "outbox delivered within 2 s of the load",
            at8["drained_in"] <= 2.0,
            f"{at8['drained_in']:.1f} s ({at8['backlog']} rows pending)",
        ),
    ]
    for label, ok, value in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {label:<38} measured {value}")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_children()
