"""Database helpers shared by the apps' services."""

from __future__ import annotations

from django.db import connections, models, router


def insert_unless_duplicate(instance: models.Model) -> bool:
    """Insert ``instance`` unless a row with the same unique key exists; True when it
    went in (its ``pk`` is then set).

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: the database skips the
    duplicate in the same statement, so the caller's transaction needs no savepoint
    around the insert to survive an ``IntegrityError``. A parallel insert of the same
    key waits for the first one and is then skipped, or goes in if that rolled back.
    Only unique keys are forgiven this way; other constraints still raise.
    """
    model = type(instance)
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    values = [
        f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields
    ]
    sql = (
        f"INSERT INTO {quote(opts.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(opts.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return True
