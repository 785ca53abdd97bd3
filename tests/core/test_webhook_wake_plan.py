"""The wake-up count at the start of every drain reads the partial index of pending
deliveries even under a prepared statement's generic plan (psycopg prepares a query
it has run a few times): the status is written into the SQL, not bound."""

import pytest
from django.db import connection

from omnistore.core import webhooks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _generic_plan(sql: str, types: str, args: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE wake_count({types}) AS {sql}")
        try:
            cursor.execute(f"EXPLAIN EXECUTE wake_count({args})")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE wake_count")


def _numbered(sql: str) -> str:
    return sql.replace("%s", "$1", 1).replace("%s", "$2", 1)


def test_the_generic_plan_of_the_wake_count_uses_the_pending_index():
    sql = _numbered(webhooks.count_due_sql(connection))
    plan = _generic_plan(sql, "timestamptz, int", "now(), 400")
    assert "webhook_delivery_pending_idx" in plan


def test_with_the_status_bound_the_generic_plan_could_not():
    """The same count with the status as a parameter (as the ORM writes it): the
    index's condition cannot be proved for a generic plan."""
    sql = _numbered(webhooks.count_due_sql(connection)).replace("'pending'", "$3")
    plan = _generic_plan(sql, "timestamptz, int, varchar", "now(), 400, 'pending'")
    assert "webhook_delivery_pending_idx" not in plan
