"""Database helpers shared by the apps' services.

The hot paths (cart, checkout) write through ``insert_rows`` and read through
``fetch`` and ``load``: the SQL of each statement shape is built once per process and
kept; values go through the model fields' own adaptation (``get_db_prep_save``) and
converters (``from_db_value`` and the backend's), so what is written and read is
exactly what the ORM would write and read, on PostgreSQL and SQLite alike. The ORM's
query building and compilation costs 0.2 to 0.4 ms of Python per statement; a kept
statement costs what the driver costs.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.functions import Round

BATCH = 100  # rows per INSERT: bounded statements, and as many kept shapes at most
_STATEMENTS: dict[tuple, str] = {}
_CONVERTERS: dict[tuple, list] = {}


def moved_by(field: str, amount, places: int = 2) -> models.Func:
    """The new value of a money column moved by ``amount``, for an ``UPDATE``: kept
    to its ``places``. Exact on PostgreSQL already; SQLite adds in binary floating
    point (59.90 - 49.10 is a hair under 10.80 there), and a balance stored so would
    refuse its own last cents."""
    return Round(models.F(field) + amount, places)


def connection_for(model: type[models.Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def _insert_sql(
    connection, model, fields, rows: int, conflict: str, keys, updates, adds=()
) -> str:
    # ``fields`` follow from the model (every concrete field but the key): left out of
    # the key, which is then hashed without hashing each field again.
    key = (connection.alias, model, rows, conflict, keys, updates, adds)
    sql = _STATEMENTS.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        opts = model._meta
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = (
            f"INSERT INTO {quote(opts.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join([row] * rows)}"
        )
        columns = [opts.get_field(name).column for name in keys]
        if conflict == "ignore":
            sql += " ON CONFLICT DO NOTHING"
        elif conflict == "update":
            table = quote(opts.db_table)
            sets = ", ".join(
                [
                    f"{quote(column)} = EXCLUDED.{quote(column)}"
                    for column in (opts.get_field(name).column for name in updates)
                ]
                + [
                    f"{quote(column)} = {table}.{quote(column)} + "
                    f"EXCLUDED.{quote(column)}"
                    for column in (opts.get_field(name).column for name in adds)
                ]
            )
            sql += (
                f" ON CONFLICT ({', '.join(quote(c) for c in columns)})"
                f" DO UPDATE SET {sets}"
            )
            columns = [opts.get_field(name).column for name in adds]
        returning = [opts.pk.column, *columns]
        sql += f" RETURNING {', '.join(quote(c) for c in returning)}"
        _STATEMENTS[key] = sql
    return sql


def insert_rows(
    objs: Sequence[models.Model],
    *,
    ignore_duplicates: bool = False,
    key: Sequence[str] = (),
    update_on: Sequence[str] = (),
    update_fields: Sequence[str] = (),
    add_fields: Sequence[str] = (),
) -> list[models.Model]:
    """Insert new instances of one model with ``INSERT ... RETURNING`` (up to
    ``BATCH`` rows a statement) and set their primary keys; returns the instances
    that went in, in the order given.

    Like ``bulk_create``: ``save()`` is not called and no model signal is sent.

    - ``update_on`` (the fields of a unique key): a row that exists has
      ``update_fields`` overwritten instead (an upsert); the instance gets its key.
      ``add_fields`` (numbers) are added to the row's instead, in the statement, so
      two requests adding at once both count; the instance gets the sum.
    - ``ignore_duplicates``: a row that breaks a unique key is skipped by the database
      in the same statement, so the caller needs no savepoint to survive it. Several
      instances need ``key``, the fields of the unique key that decides what is a
      duplicate (text or integer columns, not repeated among the instances): the
      database returns the inserted rows in no set order, so they are matched back by
      it. Only unique keys are forgiven this way; other constraints still raise.
    """
    if not objs:
        return []
    model = type(objs[0])
    if ignore_duplicates and len(objs) > 1 and not key:
        raise ValueError("name the unique key that several skipped rows are matched by")
    connection = connection_for(model)
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    conflict = "ignore" if ignore_duplicates else ("update" if update_on else "")
    key_fields = [opts.get_field(name) for name in key] if ignore_duplicates else []
    by_key = _by_key(objs, key_fields, connection)
    inserted: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            batch = objs[start : start + BATCH]
            cursor.execute(
                _insert_sql(
                    connection,
                    model,
                    fields,
                    len(batch),
                    conflict,
                    tuple(key) if key_fields else tuple(update_on),
                    tuple(update_fields),
                    tuple(add_fields) if update_on else (),
                ),
                [
                    f.get_db_prep_save(f.pre_save(obj, True), connection)
                    for obj in batch
                    for f in fields
                ],
            )
            rows = cursor.fetchall()
            if conflict != "ignore":  # every row comes back, in the order sent
                pairs = zip(batch, (row[0] for row in rows), strict=True)
                for obj, row in zip(batch, rows, strict=True):
                    for name, value in zip(add_fields, row[1:], strict=False):
                        setattr(obj, name, value)
            elif key_fields:
                pairs = ((by_key[tuple(values)], pk) for pk, *values in rows)
            else:
                pairs = zip(batch, (row[0] for row in rows), strict=False)
            for obj, pk in pairs:
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
                inserted.add(id(obj))
    return [obj for obj in objs if id(obj) in inserted]


def _by_key(objs, key_fields, connection) -> dict[tuple, models.Model]:
    """The instances by their values of ``key_fields`` as the database returns them."""
    by_key: dict[tuple, models.Model] = {}
    for obj in objs if key_fields else ():
        found = tuple(
            db_value(f, getattr(obj, f.attname), connection) for f in key_fields
        )
        if found in by_key:
            raise ValueError(f"two instances with the key {found!r}")
        by_key[found] = obj
    return by_key


def insert_unless_duplicate(instance: models.Model) -> bool:
    """Insert ``instance`` unless a row with the same unique key exists; True when it
    went in (its ``pk`` is then set).

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: the database skips the
    duplicate in the same statement, so the caller's transaction needs no savepoint
    around the insert to survive an ``IntegrityError``. A parallel insert of the same
    key waits for the first one and is then skipped, or goes in if that rolled back.
    Only unique keys are forgiven this way; other constraints still raise.
    """
    return bool(insert_rows([instance], ignore_duplicates=True))


LARGEST_KEY = 2**63 - 1  # a bigint; SQLite cannot even bind a larger number


def is_key_value(field: models.Field, value) -> bool:
    """Whether ``value`` (as posted) is a value of the key ``field``: the field takes
    it, and a number fits a bigint."""
    try:
        key = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(key, int):
        return -LARGEST_KEY <= key <= LARGEST_KEY
    return key not in (None, "")


def db_value(field: models.Field, value, connection: BaseDatabaseWrapper):
    """``value`` as ``field`` hands it to the database (datetimes, decimals, JSON)."""
    return field.get_db_prep_save(value, connection)


def _converters(connection, sql: str, fields) -> list:
    # Kept by statement: the SQL names its columns, and a string keeps its hash (a
    # tuple of fields would hash every field again on every call).
    key = (connection.alias, sql)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for index, field in enumerate(fields):
            if field is None:
                continue
            column = field.get_col(field.model._meta.db_table)
            funcs = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            if funcs:
                found.append((index, column, funcs))
        _CONVERTERS[key] = found
    return found


def fetch(
    connection: BaseDatabaseWrapper,
    sql: str,
    params: Sequence,
    fields: Sequence[models.Field | None],
) -> list[list]:
    """Rows of hand-written SQL whose columns are ``fields`` in order, each value
    converted as the ORM converts that field's column (``None``: taken as it comes)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(connection, sql, fields)
    if not converters:
        return [list(row) for row in rows]
    result = []
    for raw in rows:
        row = list(raw)
        for index, column, funcs in converters:
            value = row[index]
            for func in funcs:
                value = func(value, column, connection)
            row[index] = value
        result.append(row)
    return result


_SELECTS: dict[tuple, tuple[str, list]] = {}


def load(
    joined: Sequence[tuple[type[models.Model], str]], tail: str, params: Sequence
) -> list[tuple[models.Model, ...]]:
    """Whole instances of several joined models from one hand-written query.

    ``joined`` names each model with its alias in ``tail`` (the ``FROM ... WHERE ...``
    part); every concrete column of each is selected, so nothing is deferred. Returns
    one tuple of instances per row, in ``joined`` order; relations are not linked.
    """
    connection = connection_for(joined[0][0])
    key = (connection.alias, tuple(joined), tail)
    found = _SELECTS.get(key)
    if found is None:
        quote = connection.ops.quote_name
        columns, fields = [], []
        for model, alias in joined:
            for f in model._meta.concrete_fields:
                columns.append(f"{alias}.{quote(f.column)}")
                fields.append(f)
        found = (f"SELECT {', '.join(columns)} {tail}", fields)
        _SELECTS[key] = found
    sql, fields = found
    result = []
    for row in fetch(connection, sql, params, fields):
        start, built = 0, []
        for model, _ in joined:
            concrete = model._meta.concrete_fields
            end = start + len(concrete)
            built.append(
                model.from_db(
                    connection.alias, [f.attname for f in concrete], row[start:end]
                )
            )
            start = end
        result.append(tuple(built))
    return result
