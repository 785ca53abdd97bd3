"""Transactional outbox: ``enqueue`` inside the business transaction, ``drain`` after.

Handlers register per topic with ``@handler("orders.email")``, which delivers one
payload, or ``@batch_handler("orders.placed")``, which delivers a list of payloads (in
id order) with a fixed number of queries, so the worker's cost per drained batch does
not grow with the number of messages. A handler must be idempotent: a row is marked
processed only after its handler returns.

``drain`` reads the pending rows in id order and hands each run of consecutive rows of
one batch topic to its batch handler at once, so messages of different topics still
leave in the order they were written. A batch that raises is rolled back and its
messages are delivered one at a time, so one bad message is retried with back-off
while the others go out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from itertools import groupby

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .db import insert_unless_duplicate
from .models import OutboxMessage

logger = logging.getLogger(__name__)
_HANDLERS: dict[str, Callable[[dict], object]] = {}
_BATCH_HANDLERS: dict[str, Callable[[list[dict]], object]] = {}
MAX_ATTEMPTS = 8


class Retry:
    """Returned (not raised) by a handler whose own bookkeeping must be kept while the
    message is retried later, e.g. a webhook attempt that the subscriber refused."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"Retry({self.reason!r})"


def handler(topic: str):
    """Register ``func(payload)``: returns None when delivered, or a ``Retry``."""

    def register(func):
        _BATCH_HANDLERS.pop(topic, None)
        _HANDLERS[topic] = func
        return func

    return register


def batch_handler(topic: str):
    """Register ``func(payloads)`` for a run of messages of ``topic``, oldest first.

    It returns None when every message was delivered, or one outcome per payload (None
    or a ``Retry``): a handler whose side effects cannot be rolled back (a sent email)
    says which messages went out, so only the others are retried and none is sent
    twice. When it raises, what it wrote is rolled back and each message of the run
    is delivered alone (a batch of one).
    """

    def register(func):
        _HANDLERS.pop(topic, None)
        _BATCH_HANDLERS[topic] = func
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
# the web request skips publishing to the broker). The drain starts
# OMNISTORE_OUTBOX_DRAIN_DELAY seconds after the kick, so the rows committed meanwhile
# leave in the same batch (the worker's cost is per batch, not per row). The expiry
# re-arms the kick if that task is lost; the periodic drain covers the rest.
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
    try:
        client = _redis()
        if client is None or client.set(KICK_KEY, 1, nx=True, px=KICK_EXPIRY_MS):
            drain_outbox.apply_async(countdown=settings.OMNISTORE_OUTBOX_DRAIN_DELAY)
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


def _outcomes(func, payloads: list[dict]) -> Sequence[object]:
    """The batch handler's outcome per payload, inside one savepoint."""
    with transaction.atomic():
        outcomes = func(payloads)
        if outcomes is None:
            return [None] * len(payloads)
        outcomes = list(outcomes)
        if len(outcomes) != len(payloads):
            raise ValueError(
                f"{len(outcomes)} outcomes for a batch of {len(payloads)} messages"
            )
        return outcomes


def _deliver_alone(message: OutboxMessage) -> object:
    try:
        batch = _BATCH_HANDLERS.get(message.topic)
        if batch is not None:
            return _outcomes(batch, [message.payload])[0]
        func = _HANDLERS.get(message.topic)
        if func is None:
            raise LookupError(f"no handler for topic {message.topic!r}")
        with transaction.atomic():
            return func(message.payload)
    except Exception as exc:  # recorded and retried with back-off
        logger.exception("outbox: %s failed", message)
        return Retry(repr(exc))


def _deliver_run(run: list[OutboxMessage]) -> Sequence[object]:
    batch = _BATCH_HANDLERS.get(run[0].topic)
    if batch is not None and len(run) > 1:
        try:
            return _outcomes(batch, [message.payload for message in run])
        except Exception:
            logger.exception(
                "outbox: a batch of %d %r messages failed, delivering them one by one",
                len(run),
                run[0].topic,
            )
    return [_deliver_alone(message) for message in run]


def _runs(rows: list[OutboxMessage]):
    """Consecutive rows of one batch topic together; every other row alone."""
    for topic, group in groupby(rows, key=lambda message: message.topic):
        if topic in _BATCH_HANDLERS:
            yield list(group)
        else:
            yield from ([message] for message in group)


def drain(*, limit: int = 200) -> int:
    """Deliver pending messages; returns how many were delivered.

    The batch is one transaction: what the handlers wrote and the rows marked
    processed (by one UPDATE at the end) commit together. Each handler call has a
    savepoint of its own, so a failed one leaves nothing behind.
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
        for run in _runs(rows):
            for message, outcome in zip(run, _deliver_run(run), strict=True):
                if isinstance(outcome, Retry):
                    message.attempts += 1
                    message.last_error = outcome.reason[:2000]
                    message.available_at = now + timedelta(
                        seconds=30 * 2**message.attempts
                    )
                    message.save(
                        update_fields=["attempts", "last_error", "available_at"]
                    )
                    continue
                delivered.append(message.pk)
        if delivered:
            OutboxMessage.objects.filter(pk__in=delivered).update(
                attempts=F("attempts") + 1, processed_at=timezone.now()
            )
    return len(delivered)


@shared_task(name="omnistore.core.tasks.drain_outbox", ignore_result=True)
def drain_outbox() -> int:
    """The worker's side of the kick: it lives with ``drain`` so that queuing it after a
    commit needs nothing above the outbox. Celery finds it through ``core.tasks``."""
    return drain()
