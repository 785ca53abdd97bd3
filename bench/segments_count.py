"""The complex segment counted through the rule compiler (the ORM) against the same
question written by hand in SQL, and written flat for information."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from common import verdict

SEGMENT_TARGET_S = 2.0
SEGMENT_RATIO = 1.5

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


# Customers who pass the cheap conditions: what both hand-written queries start from.
_CANDIDATES = """
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
                         OR parent.slug IN ('dept-1', 'dept-2')))"""

# The aggregates: 300 spent in all, or three orders within the year.
_SPENT_OR_FREQUENT = """(SELECT coalesce(sum(o.total), 0) FROM orders_order o
         WHERE o.customer_id = c.id AND o.status <> 'cancelled') >= 300
    OR (SELECT count(*) FROM orders_order o
         WHERE o.customer_id = c.id AND o.status <> 'cancelled'
           AND o.created_at >= %(d365)s) >= 3"""

# The same question as a person would write it: candidates first (cheap conditions),
# the aggregates on the candidates only.
HAND_SQL = f"""
WITH candidates AS MATERIALIZED (
  SELECT c.id{_CANDIDATES}
)
SELECT count(*)
  FROM candidates c
 WHERE {_SPENT_OR_FREQUENT}
"""

# The same question written flat, as a first draft would: the aggregates are then
# evaluated for every customer the first join lets through (shown for information).
FLAT_SQL = f"""
SELECT count(*){_CANDIDATES}
     AND ({_SPENT_OR_FREQUENT})
"""


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

    from campaigns.segments.compiler import compile_rules

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
