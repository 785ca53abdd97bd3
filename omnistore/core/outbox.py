"""Transactional outbox: ``enqueue`` inside the business transaction, ``drain`` after.

Handlers register per topic with ``@handler("orders.email")``. A handler must be
idempotent: a row is marked processed only after its handler returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .db import insert_unless_duplicate
from .models import OutboxMessage

logger = logging.getLogger(__name__)
_HANDLERS: dict[str, Callable[[dict], None]] = {}
MAX_ATTEMPTS = 8


class Retry:
    """Returned (not raised) by a handler whose own bookkeeping must be kept while the
    message is retried later, e.g. a webhook attempt that the subscriber refused."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"Retry({self.reason!r})"


def handler(topic: str):
    def register(func):
        _HANDLERS[topic] = func
        return func

    return register


def enqueue(
    topic: str, payload: dict, *, dedupe_key: str | None = None
) -> OutboxMessage | None:
    """Write a side effect; returns None when ``dedupe_key`` was already enqueued."""
    message = OutboxMessage(topic=topic, payload=payload, dedupe_key=dedupe_key)
    if dedupe_key is None:
        message.save(force_insert=True)
    elif not insert_unless_duplicate(message):
        return None
    transaction.on_commit(_kick)
    return message


# At most one drain task waits in the broker: a commit queues one only when it sets
# this key, and a drain clears the key before it reads the table, so a row committed
# before a refused ``SET NX`` is read by the drain that is still waiting. Under load
# one task then delivers many rows instead of each checkout queueing its own task (and
# the web request skips publishing to the broker). The expiry re-arms the kick if that
# task is lost; the periodic drain covers the rest.
KICK_KEY = "omnistore:outbox:kick"
KICK_EXPIRY_MS = 5000
_redis_client = None


def _redis():
    global _redis_client
    if not settings.REDIS_URL:
        return None
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
    return _redis_client


def _kick() -> None:
    from .tasks import drain_outbox

    try:
        client = _redis()
        if client is None or client.set(KICK_KEY, 1, nx=True, px=KICK_EXPIRY_MS):
            drain_outbox.delay()
    except Exception:  # broker down: the periodic drain picks the row up later
        logger.warning(
            "outbox: broker unavailable, message left for the periodic drain"
        )


def _rearm_kick() -> None:
    try:
        client = _redis()
        if client is not None:
            client.delete(KICK_KEY)
    except Exception:  # the key expires by itself
        logger.warning("outbox: could not clear the drain flag")


def drain(*, limit: int = 200) -> int:
    """Deliver pending messages; returns how many were delivered.

    The batch is one transaction: what the handlers wrote and the rows marked
    processed (by one UPDATE at the end) commit together.
    """
    _rearm_kick()
    delivered: list[int] = []
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .exclude(available_at__gt=now)
            .order_by("id")[:limit]
        )
        if len(rows) == limit:  # more may wait behind this batch
            transaction.on_commit(_kick)
        for message in rows:
            func = _HANDLERS.get(message.topic)
            try:
                if func is None:
                    raise LookupError(f"no handler for topic {message.topic!r}")
                with transaction.atomic():
                    outcome = func(message.payload)
            except Exception as exc:  # recorded and retried with back-off
                outcome = Retry(repr(exc))
                logger.exception("outbox: %s failed", message)
            if isinstance(outcome, Retry):
                message.attempts += 1
                message.last_error = outcome.reason[:2000]
                message.available_at = now + timedelta(seconds=30 * 2**message.attempts)
                message.save(update_fields=["attempts", "last_error", "available_at"])
                continue
            delivered.append(message.pk)
        if delivered:
            OutboxMessage.objects.filter(pk__in=delivered).update(
                attempts=F("attempts") + 1, processed_at=timezone.now()
            )
    return len(delivered)
