"""Database failures a client can retry, answered the same way everywhere.

A row locked longer than ``lock_timeout``, a statement past ``statement_timeout``, a
serialization failure or a deadlock, a connection lost (the database restarting):
none is the client's fault and each may succeed a moment later. The API answers
them as a JSON 503 with ``Retry-After`` (storefront writes carry an
``Idempotency-Key``, so a retry never doubles an order) instead of Django's HTML 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, transaction

T = TypeVar("T")

RETRY_AFTER_SECONDS = 1

# SQLSTATEs: lock_not_available, query_canceled (statement_timeout),
# serialization_failure, deadlock_detected, idle_in_transaction_session_timeout.
_BUSY = {"55P03", "57014", "40001", "40P01", "25P03"}
# Chosen as the victim of a deadlock, or a serialization failure: the transaction
# was rolled back whole and may simply run again.
_VICTIM = {"40001", "40P01"}
# The server going away: admin_shutdown (a restart, pg_terminate_backend),
# crash_shutdown, cannot_connect_now; class 08 is a lost connection.
_GONE = {"57P01", "57P02", "57P03"}


def retryable(exc: BaseException) -> str | None:
    """The error code to answer with, or None when ``exc`` is not worth a retry."""
    if not isinstance(exc, DatabaseError):
        return None
    sqlstate = _sqlstate(exc)
    if sqlstate in _BUSY:
        return "busy"
    if sqlstate in _GONE or (sqlstate or "").startswith("08"):
        return "database_unavailable"
    if isinstance(exc, InterfaceError | OperationalError) and sqlstate is None:
        return "database_unavailable"  # connection lost or refused
    return None


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def run_again_if_victim(work: Callable[[], T], *, attempts: int = 3) -> T:
    """Run ``work`` (one transaction of its own) again when the database rolled it
    back as a deadlock's victim or for a serialization failure, up to ``attempts``
    times. Inside a caller's transaction it runs once: that transaction is lost
    with it, and only its owner may start over."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DatabaseError as exc:
            last = attempt == attempts
            nested = transaction.get_connection().in_atomic_block
            if last or nested or _sqlstate(exc) not in _VICTIM:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises
