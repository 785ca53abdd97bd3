#!/usr/bin/env python
"""Segments and sends at scale, on PostgreSQL.

    PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/segments.py \
        --customers 1000000 --orders 3000000

Seeds a fresh database (customers and consents with COPY, orders and order lines with
one INSERT ... SELECT over generate_series each), runs ANALYZE, then measures:

1. a complex segment counted through the rule compiler (the ORM) against the same
   question written by hand in SQL — both counts must agree; target < 2 s and the ORM
   within 1.5x of the hand-written query;
2. a send of 10k and of 100k recipients into the in-memory SMS backend, each in a
   fresh process so their peaks are separate: messages per second (target >= 2,000/s)
   and peak RSS (VmHWM), which must not grow with the number of recipients.

Smaller runs: ``--customers 200000 --orders 600000 --sends 10000,50000``. Loopback
only, bounded, stops by itself. Prints PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnistore.settings.test")

CITIES = [
    "Milano",
    "Roma",
    "Torino",
    "Napoli",
    "Bologna",
    "Firenze",
    "Genova",
    "Verona",
    "Bari",
    "Palermo",
]
FIRST = ["Giulia", "Marco", "Sara", "Luca", "Anna", "Paolo", "Elena", "Davide", "Marta"]
LAST = ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno"]
SHOPS = 50
PARENT_CATEGORIES = 10
PRODUCTS = 2000
VARIANTS_PER_PRODUCT = 2
SEGMENT_TARGET_S = 2.0
SEGMENT_RATIO = 1.5
SEND_TARGET = 2000.0

COMPLEX_SEGMENT = {
    "all": [
        {"field": "consent.email", "op": "is_true"},
        {"field": "bought_in_store_within_days", "op": "is_true", "value": 90},
        {"field": "bought_online_within_days", "op": "is_false", "value": 365},
        {
            "field": "preferred_store_city",
            "op": "in",
            "value": ["Milano", "Roma", "Torino"],
        },
        {
            "any": [
                {"field": "total_spent", "op": "gte", "value": "300"},
                {"field": "orders_count", "op": "gte", "value": 3, "days": 365},
            ]
        },
        {"field": "bought_category", "op": "in", "value": ["dept-1", "dept-2"]},
    ]
}

# The same question as a person would write it: candidates first (cheap conditions),
# the aggregates on the candidates only.
HAND_SQL = """
WITH candidates AS MATERIALIZED (
  SELECT c.id
    FROM customers_customer c
    JOIN inventory_location l ON l.id = c.preferred_store_id
   WHERE c.merged_into_id IS NULL
     AND NOT c.is_anonymised
     AND upper(l.city) IN ('MILANO', 'ROMA', 'TORINO')
     AND EXISTS (SELECT 1 FROM customers_consent k
                  WHERE k.customer_id = c.id AND k.channel = 'email' AND k.granted)
     AND EXISTS (SELECT 1 FROM orders_order o
                  WHERE o.customer_id = c.id AND o.channel = 'store'
                    AND o.status <> 'cancelled' AND o.created_at >= %(d90)s)
     AND NOT EXISTS (SELECT 1 FROM orders_order o
                      WHERE o.customer_id = c.id AND o.channel IN ('web', 'app')
                        AND o.status <> 'cancelled' AND o.created_at >= %(d365)s)
     AND EXISTS (SELECT 1
                   FROM orders_orderline ol
                   JOIN orders_order o ON o.id = ol.order_id
                   JOIN inventory_variant v ON v.id = ol.variant_id
                   JOIN inventory_product p ON p.id = v.product_id
                   JOIN inventory_category cat ON cat.id = p.category_id
                   LEFT JOIN inventory_category parent ON parent.id = cat.parent_id
                  WHERE o.customer_id = c.id AND o.status <> 'cancelled'
                    AND (cat.slug IN ('dept-1', 'dept-2')
                         OR parent.slug IN ('dept-1', 'dept-2')))
)
SELECT count(*)
  FROM candidates c
 WHERE (SELECT coalesce(sum(o.total), 0) FROM orders_order o
         WHERE o.customer_id = c.id AND o.status <> 'cancelled') >= 300
    OR (SELECT count(*) FROM orders_order o
         WHERE o.customer_id = c.id AND o.status <> 'cancelled'
           AND o.created_at >= %(d365)s) >= 3
"""


# The same question written flat, as a first draft would: the aggregates are then
# evaluated for every customer the first join lets through (shown for information).
FLAT_SQL = """
SELECT count(*)
  FROM customers_customer c
  JOIN inventory_location l ON l.id = c.preferred_store_id
 WHERE c.merged_into_id IS NULL
   AND NOT c.is_anonymised
   AND upper(l.city) IN ('MILANO', 'ROMA', 'TORINO')
   AND EXISTS (SELECT 1 FROM customers_consent k
                WHERE k.customer_id = c.id AND k.channel = 'email' AND k.granted)
   AND EXISTS (SELECT 1 FROM orders_order o
                WHERE o.customer_id = c.id AND o.channel = 'store'
                  AND o.status <> 'cancelled' AND o.created_at >= %(d90)s)
   AND NOT EXISTS (SELECT 1 FROM orders_order o
                    WHERE o.customer_id = c.id AND o.channel IN ('web', 'app')
                      AND o.status <> 'cancelled' AND o.created_at >= %(d365)s)
   AND EXISTS (SELECT 1
                 FROM orders_orderline ol
                 JOIN orders_order o ON o.id = ol.order_id
                 JOIN inventory_variant v ON v.id = ol.variant_id
                 JOIN inventory_product p ON p.id = v.product_id
                 JOIN inventory_category cat ON cat.id = p.category_id
                 LEFT JOIN inventory_category parent ON parent.id = cat.parent_id
                WHERE o.customer_id = c.id AND o.status <> 'cancelled'
                  AND (cat.slug IN ('dept-1', 'dept-2')
                       OR parent.slug IN ('dept-1', 'dept-2')))
   AND (  (SELECT coalesce(sum(o.total), 0) FROM orders_order o
            WHERE o.customer_id = c.id AND o.status <> 'cancelled') >= 300
       OR (SELECT count(*) FROM orders_order o
            WHERE o.customer_id = c.id AND o.status <> 'cancelled'
              AND o.created_at >= %(d365)s) >= 3)
"""


def setup(keep: int = 1000) -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    settings.OMNISTORE_PUSH_BACKEND = "campaigns.backends.MemoryBackend"
    settings.OMNISTORE_MEMORY_BACKEND_KEEP = keep


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# --- Seeding --------------------------------------------------------------------------


def defaults_for(model, given: set[str]) -> dict[str, object]:
    """Values for the columns a seed does not set: NULL, the field default, or ''.

    Reading the model keeps the seed working when a column is added later."""
    from django.db import models

    out = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in given:
            continue
        if field.null:
            continue
        if field.has_default():
            value = field.get_default()
            out[field.column] = (
                json.dumps(value) if isinstance(value, dict | list) else value
            )
        elif isinstance(field, models.CharField | models.TextField):
            out[field.column] = ""
        else:
            raise SystemExit(f"seed: no value for {model.__name__}.{field.column}")
    return out


def seed_catalog() -> tuple[list[int], int, int]:
    from decimal import Decimal

    from inventory.models import Category, Location, LocationKind, Product, Variant

    shops = Location.objects.bulk_create(
        [
            Location(
                code=f"B{i:03d}",
                name=f"{CITIES[i % len(CITIES)]} {i}",
                kind=LocationKind.SHOP,
                city=CITIES[i % len(CITIES)],
                latitude=Decimal("45.0"),
                longitude=Decimal("9.0"),
                sells_in_store=True,
                click_and_collect=True,
            )
            for i in range(SHOPS)
        ]
        + [
            Location(
                code=f"BWH{i}",
                name=f"Warehouse {i}",
                kind=LocationKind.WAREHOUSE,
                latitude=Decimal("45.0"),
                longitude=Decimal("9.0"),
                ships_online_orders=True,
            )
            for i in range(2)
        ]
    )
    parents = Category.objects.bulk_create(
        [
            Category(name=f"Department {i}", slug=f"dept-{i}")
            for i in range(PARENT_CATEGORIES)
        ]
    )
    children = Category.objects.bulk_create(
        [
            Category(name=f"Line {p.pk}-{j}", slug=f"line-{p.pk}-{j}", parent=p)
            for p in parents
            for j in range(3)
        ]
    )
    products = Product.objects.bulk_create(
        [
            Product(name=f"Product {i}", category=children[i % len(children)])
            for i in range(PRODUCTS)
        ]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(
                product=p,
                sku=f"BS-{p.pk}-{k}",
                size="M",
                price=Decimal(19 + (p.pk % 80)),
            )
            for p in products
            for k in range(VARIANTS_PER_PRODUCT)
        ]
    )
    shop_ids = [s.pk for s in shops if s.kind == LocationKind.SHOP]
    return shop_ids, min(v.pk for v in variants), len(variants)


def seed_customers(n: int, shop_ids: list[int], sms_consents: int) -> int:
    """COPY ``n`` customers; returns the first id."""
    from django.db import connection
    from django.utils import timezone

    from customers.models import Customer

    rng = random.Random(42)
    now = timezone.now()
    columns = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "birthday",
        "preferred_store_id",
        "loyalty_number",
        "created_channel",
        "created_at",
        "updated_at",
    ]
    extra = defaults_for(Customer, set(columns))
    names = list(extra)
    fixed = tuple(extra.values())
    sql = f"COPY customers_customer ({', '.join(columns + names)}) FROM STDIN"
    channels = ["web", "web", "app", "store", "store", "phone"]
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for i in range(n):
            created = now - timedelta(days=rng.random() * 1500)
            copy.write_row(
                (
                    FIRST[i % len(FIRST)],
                    f"{LAST[i % len(LAST)]}{i}",
                    f"c{i}@example.com" if rng.random() < 0.9 else "",
                    f"+39333{i:07d}" if i < sms_consents or rng.random() < 0.7 else "",
                    date(1960 + i % 45, 1 + i % 12, 1 + i % 28) if i % 5 < 3 else None,
                    shop_ids[i % len(shop_ids)] if rng.random() < 0.75 else None,
                    f"8{i:011d}",
                    channels[i % len(channels)],
                    created,
                    created,
                )
                + fixed
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM customers_customer")
        first = cursor.fetchone()[0]
        # A few profiles were merged into another one: never in a segment.
        cursor.execute(
            "UPDATE customers_customer SET merged_into_id = id - 1 "
            "WHERE id %% 200 = 0 AND id > %s",
            [first],
        )
    return first


def seed_consents(first: int, n: int, sms_consents: int) -> int:
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(7)
    now = timezone.now()
    count = 0
    sql = (
        "COPY customers_consent (customer_id, channel, granted, source_channel, "
        "updated_at) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for i in range(n):
            pk = first + i
            roll = rng.random()
            if roll < 0.65:
                copy.write_row((pk, "email", roll < 0.55, "web", now))
                count += 1
            if i < sms_consents:
                copy.write_row((pk, "sms", True, "store", now))
                count += 1
    return count


def seed_orders(
    first: int, customers: int, orders: int, shop_ids, first_variant, variants
):
    """Orders and lines generated by the server: one INSERT ... SELECT each."""
    from django.db import connection

    from orders.models import Order, OrderLine

    order_cols = {
        "number": "'B' || lpad(g::text, 12, '0')",
        # 13 in 20 customers buy; the others never do.
        "customer_id": ("%(first)s + (x.k - x.k %% 20) + (x.k %% 20) %% 13"),
        "channel": (
            "CASE WHEN x.r1 < 0.55 THEN 'web' WHEN x.r1 < 0.70 THEN 'app' "
            "WHEN x.r1 < 0.95 THEN 'store' ELSE 'phone' END"
        ),
        "placing_location_id": (
            "CASE WHEN x.r1 >= 0.70 THEN %(shop0)s + floor(x.r4 * %(shops)s)::int END"
        ),
        "status": (
            "CASE WHEN x.r3 < 0.03 THEN 'cancelled' WHEN x.r1 >= 0.70 AND x.r1 < 0.95 "
            "THEN 'completed' ELSE 'delivered' END"
        ),
        "fulfilment_method": (
            "CASE WHEN x.r1 >= 0.70 AND x.r1 < 0.95 THEN 'carry_out' ELSE 'delivery' END"
        ),
        "currency": "'EUR'",
        "subtotal": "round((10 + x.r4 * 290)::numeric, 2)",
        "total": "round((10 + x.r4 * 290)::numeric, 2)",
        "created_at": "now() - x.r2 * interval '730 days'",
        "updated_at": "now() - x.r2 * interval '730 days'",
    }
    rest = defaults_for(Order, set(order_cols))
    columns = list(order_cols) + list(rest)
    values = list(order_cols.values()) + [f"%(d_{c})s" for c in rest]
    params = {
        "first": first,
        "customers": customers,
        "shop0": min(shop_ids),
        "shops": len(shop_ids),
        "orders": orders,
        **{f"d_{c}": v for c, v in rest.items()},
    }
    sql = f"""
        INSERT INTO orders_order ({", ".join(columns)})
        SELECT {", ".join(values)}
          FROM generate_series(1, %(orders)s) AS g,
               LATERAL (SELECT floor(random() * %(customers)s)::bigint + 0 * g AS k,
                               random() + 0 * g AS r1, random() + 0 * g AS r2,
                               random() + 0 * g AS r3, random() + 0 * g AS r4) AS x
    """
    line_cols = {
        "order_id": "o.id",
        "variant_id": "v.id",
        "sku": "v.sku",
        "name": "'Item'",
        "quantity": "1 + (o.id %% 3)",
        "unit_price": "v.price",
        "line_total": "v.price * (1 + (o.id %% 3))",
    }
    line_rest = defaults_for(OrderLine, set(line_cols))
    line_columns = list(line_cols) + list(line_rest)
    line_values = list(line_cols.values()) + [f"%(d_{c})s" for c in line_rest]
    line_params = {
        "v0": first_variant,
        "variants": variants,
        **{f"d_{c}": v for c, v in line_rest.items()},
    }
    lines_sql = f"""
        INSERT INTO orders_orderline ({", ".join(line_columns)})
        SELECT {", ".join(line_values)}
          FROM orders_order o
          CROSS JOIN generate_series(1, 2) AS n
          JOIN inventory_variant v
            ON v.id = %(v0)s + ((o.id * (7 + 6 * n)) %% %(variants)s)
         WHERE n = 1 OR o.id %% 2 = 0
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(sql, params)
        cursor.execute(lines_sql, line_params)
        cursor.execute("SELECT count(*) FROM orders_orderline")
        return cursor.fetchone()[0]


def seed(args) -> None:
    from django.db import connection, transaction

    started = time.perf_counter()
    sms = min(max(args.sends), args.customers)
    with transaction.atomic():
        shop_ids, first_variant, variants = seed_catalog()
        first = seed_customers(args.customers, shop_ids, sms)
        t_customers = time.perf_counter()
        consents = seed_consents(first, args.customers, sms)
        t_consents = time.perf_counter()
        lines = seed_orders(
            first, args.customers, args.orders, shop_ids, first_variant, variants
        )
        t_orders = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    done = time.perf_counter()
    print(
        f"seeded {args.customers:,} customers ({t_customers - started:.1f} s, COPY), "
        f"{consents:,} consents ({t_consents - t_customers:.1f} s, COPY), "
        f"{args.orders:,} orders + {lines:,} lines "
        f"({t_orders - t_consents:.1f} s, INSERT ... SELECT), "
        f"ANALYZE {done - t_orders:.1f} s"
    )


# --- Measurements -------------------------------------------------------------------


def interleaved(funcs, repeat: int) -> list[tuple[float, object]]:
    """Median time of each function, run in turns so load on the machine falls on
    all of them alike."""
    times: list[list[float]] = [[] for _ in funcs]
    results: list[object] = [None] * len(funcs)
    for _ in range(repeat):
        for index, func in enumerate(funcs):
            start = time.perf_counter()
            results[index] = func()
            times[index].append(time.perf_counter() - start)
    return [(statistics.median(t), r) for t, r in zip(times, results, strict=True)]


def bench_segment(repeat: int) -> bool:
    from django.db import connection
    from django.utils import timezone

    from campaigns.segments import compile_rules

    def orm():
        return compile_rules(COMPLEX_SEGMENT).count()

    def run_sql(sql):
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {"d90": now - timedelta(days=90), "d365": now - timedelta(days=365)},
            )
            return cursor.fetchone()[0]

    def hand():
        return run_sql(HAND_SQL)

    def flat():
        return run_sql(FLAT_SQL)

    orm()  # warm the cache the same way for both
    hand()
    (orm_s, orm_count), (hand_s, hand_count) = interleaved([orm, hand], repeat)
    [(flat_s, flat_count)] = interleaved([flat], max(repeat // 2, 1))
    ratio = orm_s / hand_s if hand_s else float("inf")
    print(
        f"complex segment: {orm_count:,} customers (hand-written SQL: {hand_count:,})"
    )
    print(f"  ORM compiler  {orm_s * 1000:8.1f} ms  (median of {repeat})")
    print(f"  hand SQL      {hand_s * 1000:8.1f} ms")
    print(f"  ratio         {ratio:8.2f}x")
    print(
        f"  (for information: the flat query, aggregates on every candidate row, "
        f"{flat_s * 1000:.1f} ms, {flat_count:,} customers)"
    )
    ok_time = orm_s < SEGMENT_TARGET_S
    ok_ratio = ratio <= SEGMENT_RATIO
    print(f"  {verdict(ok_time)} segment count < {SEGMENT_TARGET_S:.0f} s")
    print(f"  {verdict(ok_ratio)} ORM within {SEGMENT_RATIO}x of hand-written SQL")
    if not orm_count == hand_count == flat_count:
        print("  MISS the queries disagree")
        return False
    return ok_time and ok_ratio


def send_child(recipients: int, batch_size: int | None) -> None:
    """One send in this (fresh) process; prints a JSON line with the figures."""
    setup()
    from django.db import connection
    from django.utils import timezone

    from campaigns import selectors, services
    from campaigns.backends import MemoryBackend
    from campaigns.models import Campaign, MessageTemplate

    # The audience is exactly the first ``recipients`` customers: those given a push
    # consent here (untimed); the send itself goes out by SMS.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_consent WHERE channel = 'push'")
        cursor.execute(
            "INSERT INTO customers_consent "
            "(customer_id, channel, granted, source_channel, updated_at) "
            "SELECT id, 'push', true, 'app', now() FROM customers_customer "
            "ORDER BY id LIMIT %s",
            [recipients],
        )
        cursor.execute("ANALYZE customers_consent")
    segment = services.create_segment(
        name=f"Bench {recipients} {timezone.now().isoformat()}",
        rules={
            "all": [
                {"field": "consent.push", "op": "is_true"},
                {"field": "consent.sms", "op": "is_true"},
            ]
        },
    )
    campaign = Campaign.objects.create(
        name=f"Bench send {recipients}", segment=segment, channels=["sms"]
    )
    MessageTemplate.objects.create(
        campaign=campaign,
        channel="sms",
        body=(
            "Hi {{ first_name }}, new arrivals at "
            "{{ store.name|default:'our shops' }}: https://shop.example.com/new"
        ),
    )
    send_at = timezone.now() + timedelta(seconds=1)
    services.schedule_campaign(campaign=campaign, send_at=send_at)
    audience = selectors.campaign_audience(campaign).count()
    MemoryBackend.reset()
    rss_before = _status("VmRSS")
    start = time.perf_counter()
    result = services.send_campaign(
        campaign=campaign, now=send_at, batch_size=batch_size
    )
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "recipients": recipients,
                "audience": audience,
                "sent": result.sent,
                "backend": MemoryBackend.sent_count,
                "seconds": elapsed,
                "rss_before_kb": rss_before,
                "hwm_kb": _status("VmHWM"),
                "finished": result.finished,
            }
        )
    )


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def bench_sends(sizes: list[int], batch_size: int | None) -> bool:
    ok = True
    peaks = []
    for size in sizes:
        command = [sys.executable, __file__, "--send-child", str(size)]
        if batch_size:
            command += ["--batch-size", str(batch_size)]
        run = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        if run.returncode != 0:
            print(run.stdout, run.stderr)
            raise SystemExit(f"send of {size} failed")
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        rate = figures["sent"] / figures["seconds"]
        peaks.append(figures["hwm_kb"])
        once = figures["sent"] == figures["audience"] == figures["backend"]
        good = rate >= SEND_TARGET and once and figures["finished"]
        ok &= good
        print(
            f"send to {size:,} customers ({figures['audience']:,} reachable, merged "
            f"profiles left out): {figures['sent']:,} sent in "
            f"{figures['seconds']:.1f} s = {rate:,.0f} messages/s; peak RSS "
            f"{figures['hwm_kb'] / 1024:.0f} MiB (RSS before the send "
            f"{figures['rss_before_kb'] / 1024:.0f} MiB)"
        )
        print(
            f"  {verdict(good)} >= {SEND_TARGET:,.0f} messages/s, every one sent once"
        )
    if len(peaks) > 1:
        growth = peaks[-1] / peaks[0]
        bounded = growth < 1.5
        ok &= bounded
        print(
            f"  {verdict(bounded)} memory bounded: peak at {sizes[-1]:,} is "
            f"{growth:.2f}x the peak at {sizes[0]:,}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=600_000)
    parser.add_argument(
        "--sends",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[10_000, 100_000],
        help="recipients per send, comma separated (default 10000,100000)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--send-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send_child:
        send_child(args.send_child, args.batch_size)
        return 0

    setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/segments.py runs on PostgreSQL (see its docstring)")
    args.sends = [min(s, args.customers) for s in args.sends]
    call_command("migrate", verbosity=0)
    from customers.models import Customer

    if Customer.objects.exists():
        print("database already seeded: reusing it")
    else:
        seed(args)
    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"PostgreSQL: fsync={fsync}, synchronous_commit={sync}, "
        f"cpus={os.cpu_count()}, load average {load}"
    )
    ok = bench_segment(args.repeat)
    ok &= bench_sends(args.sends, args.batch_size)
    print("ALL PASS" if ok else "SOME MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
