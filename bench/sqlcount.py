"""Counting the SQL statements and commits a request costs, in this process."""

from __future__ import annotations


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
