"""Database failures a client can retry, answered the same way everywhere.

A row locked longer than ``lock_timeout``, a statement past ``statement_timeout``, a
serialization failure or a deadlock, a connection lost (the database restarting):
none is the client's fault and each may succeed a moment later. The API answers
them as a JSON 503 with ``Retry-After`` (storefront writes carry an
``Idempotency-Key``, so a retry never doubles an order) instead of Django's HTML 500.
"""

from __future__ import annotations

from django.db import DatabaseError, InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 1

# SQLSTATEs: lock_not_available, query_canceled (statement_timeout),
# serialization_failure, deadlock_detected, idle_in_transaction_session_timeout.
_BUSY = {"55P03", "57014", "40001", "40P01", "25P03"}
# The server going away: admin_shutdown (a restart, pg_terminate_backend),
# crash_shutdown, cannot_connect_now; class 08 is a lost connection.
_GONE = {"57P01", "57P02", "57P03"}


def retryable(exc: BaseException) -> str | None:
    """The error code to answer with, or None when ``exc`` is not worth a retry."""
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in _BUSY:
        return "busy"
    if sqlstate in _GONE or (sqlstate or "").startswith("08"):
        return "database_unavailable"
    if isinstance(exc, InterfaceError | OperationalError) and sqlstate is None:
        return "database_unavailable"  # connection lost or refused
    return None
