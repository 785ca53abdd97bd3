"""Transactional outbox: ``enqueue`` inside the business transaction, ``drain`` after.

Handlers register per topic with ``@handler("orders.email")``. A handler must be
idempotent: a row is marked processed only after its handler returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

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
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                topic=topic, payload=payload, dedupe_key=dedupe_key
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    transaction.on_commit(_kick)
    return message


def _kick() -> None:
    from .tasks import drain_outbox

    try:
        drain_outbox.delay()
    except Exception:  # broker down: the periodic drain picks the row up later
        logger.warning(
            "outbox: broker unavailable, message left for the periodic drain"
        )


def drain(*, limit: int = 200) -> int:
    """Deliver pending messages; returns how many were delivered."""
    delivered = 0
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .exclude(available_at__gt=now)
            .order_by("id")[:limit]
        )
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
            message.attempts += 1
            message.processed_at = timezone.now()
            message.save(update_fields=["attempts", "processed_at"])
            delivered += 1
    return delivered
