"""Reads that may come from a streaming replica, and the rules that keep them honest.

A replica lags the primary by a moment, so only reads that can show a slightly old
picture go there: catalog and availability listings, reports, segment previews. They
say so in one place each, with ``reads_from_replica`` on the view or ``on_replica``
around a call; every other read, and every write, stays on the primary (the router
sends nothing to the replica outside those scopes, nor inside a transaction).

- **Read your writes.** A client that has just written (any non-safe request) is
  pinned to the primary for ``OMNISTORE_REPLICA_PIN_SECONDS``: a signed cookie for
  browsers and cookie-keeping clients, and a cache key per signed-in user for token
  clients, so the order they just placed and the stock it took show at once.
- **A replica that fails is skipped.** A connection error inside a replica scope runs
  the same read again on the primary, and this process leaves the replica alone for
  ``OMNISTORE_REPLICA_RETRY_SECONDS`` before trying it again.

Without a replica (``OMNISTORE_READ_REPLICA`` empty, no ``DATABASE_REPLICA_URL``)
nothing here costs a query, a cache call or a cookie.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.template.response import TemplateResponse

from .cache import unavailable as cache_unavailable

logger = logging.getLogger(__name__)

PIN_COOKIE = "omnistore_primary"
PIN_SALT = "omnistore.core.replica.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass
class _Scope:
    """One replica scope: whether reads may go there, and whether one did."""

    allowed: bool
    used: bool = field(default=False)


_scope: ContextVar[_Scope | None] = ContextVar("omnistore_replica_scope", default=None)
_request: ContextVar[object | None] = ContextVar(
    "omnistore_replica_request", default=None
)
_down_until = 0.0  # this process skips the replica until then (time.monotonic)


def replica_alias() -> str:
    """The replica's database alias, or "" when reads all go to the primary."""
    alias = settings.OMNISTORE_READ_REPLICA
    return alias if alias and alias in settings.DATABASES else ""


def _user_key(user_id) -> str:
    return f"replica-pin:{user_id}"


def _pinned(request) -> bool:
    """Whether ``request`` comes from a client that wrote within the pin window."""
    if request is None:
        return False
    cached = getattr(request, "_omnistore_pinned", None)
    if cached is not None:
        return cached
    window = settings.OMNISTORE_REPLICA_PIN_SECONDS
    pinned = (
        request.get_signed_cookie(PIN_COOKIE, None, salt=PIN_SALT, max_age=window)
        is not None
    )
    user = getattr(request, "user", None)
    if not pinned and user is not None and user.is_authenticated:
        # Without the cache, whether this client just wrote is unknown: primary.
        pinned = bool(cache.get(_user_key(user.pk))) or cache_unavailable()
    request._omnistore_pinned = pinned
    return pinned


class PrimaryReplicaRouter:
    """Writes, migrations and transactions on the primary; reads on the replica only
    inside a replica scope, for a client not pinned, while the replica answers."""

    def db_for_read(self, model, **hints):
        scope = _scope.get()
        if scope is None or not scope.allowed:
            return None
        alias = replica_alias()
        if not alias or time.monotonic() < _down_until:
            return None
        if connections["default"].in_atomic_block:
            return None  # a read inside a write transaction sees that transaction
        scope.used = True
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, **hints):
        return None if db == "default" else False


def _mark_down(error: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + settings.OMNISTORE_REPLICA_RETRY_SECONDS
    logger.warning("Replica unavailable, reading from the primary: %s", error)
    with contextlib.suppress(DatabaseError):  # a broken connection may not close
        connections[replica_alias()].close()


def on_replica(func, /, *args, **kwargs):
    """Run ``func`` with its reads allowed on the replica (unless the current client
    is pinned to the primary); if the replica fails, run it again on the primary.
    ``func`` must only read: it may run twice."""
    if not replica_alias():
        return func(*args, **kwargs)
    scope = _Scope(allowed=not _pinned(_request.get()))
    token = _scope.set(scope)
    try:
        return func(*args, **kwargs)
    except (OperationalError, InterfaceError) as error:
        if not scope.used:
            raise
        _mark_down(error)
    finally:
        _scope.reset(token)
    return func(*args, **kwargs)


def reads_from_replica(view):
    """Mark a view (a function view or a view method) whose reads may come from the
    replica. A template response is rendered inside the scope, so the queries its
    template runs go to the same database; the request does not pin its client."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request = _find_request(args)
        if request is not None:
            request._omnistore_reads_only = True

        def run():
            response = view(*args, **kwargs)
            if isinstance(response, TemplateResponse) and not response.is_rendered:
                response.render()
            return response

        return on_replica(run)

    return wrapped


def _find_request(args):
    """The HttpRequest among a view's arguments (``self`` comes first on methods);
    DRF's Request wraps it as ``_request``."""
    for arg in args[:2]:
        if hasattr(arg, "META"):
            return getattr(arg, "_request", arg)
        request = getattr(arg, "request", None)
        if request is not None and hasattr(request, "META"):
            return getattr(request, "_request", request)
    return None


class ReadYourWritesMiddleware:
    """Remember the request for the replica scopes it runs, and pin a client that
    wrote to the primary for the next ``OMNISTORE_REPLICA_PIN_SECONDS``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_alias():
            return self.get_response(request)
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if request.method not in SAFE_METHODS and not getattr(
            request, "_omnistore_reads_only", False
        ):
            self._pin(request, response)
        return response

    def _pin(self, request, response) -> None:
        window = settings.OMNISTORE_REPLICA_PIN_SECONDS
        response.set_signed_cookie(
            PIN_COOKIE,
            "1",
            salt=PIN_SALT,
            max_age=window,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            cache.set(_user_key(user.pk), 1, timeout=window)
