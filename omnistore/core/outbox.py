"""Transactional outbox: ``enqueue`` inside the business transaction, ``drain`` after.

Handlers register per topic with ``@handler("orders.email")``, which delivers one
payload, or ``@batch_handler("orders.placed")``, which handles a list of payloads (in
id order) with a fixed number of queries, so the worker's cost per drained batch does
not grow with the number of messages. A handler must be idempotent: a row is marked
processed only after its handler returns, in the handler's transaction.

``drain`` claims the pending rows in id order, then delivers each in a short
transaction of its own; a run of consecutive rows of one batch topic goes to its batch
handler at once. Batch handlers only write to the database: what must leave the
process (an email, an HTTP call) is enqueued as rows of its own and sent one per
transaction, the send last, so a crash sends at most the one message in flight again.
A batch that raises is rolled back and its messages are delivered one at a time, so
one bad message is retried with back-off while the others go out. Functions registered
with ``@on_drain`` run at the start of every drain: a queue whose durable rows live
in a table of their own (webhook deliveries) is woken there, with no outbox row of its
own, by the drain its transaction's commit kicked.

A handler that sends registers with ``prefetch``: ``@handler(topic, prefetch=load)``
reads what every row of the topic in one claim needs at once (``load(payloads)``,
outside any transaction, before the first send), and each row is then delivered with
``func(payload, loaded)`` in its own transaction as before: one send and one commit
per row, without the reads of each row. A prefetch that raises is dropped; each row
then loads alone (``load([payload])``), so one bad row fails alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from itertools import groupby

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .db import insert_unless_duplicate
from .models import OutboxMessage
from .pause import Pause

logger = logging.getLogger(__name__)
_HANDLERS: dict[str, Callable[[dict], object]] = {}
_BATCH_HANDLERS: dict[str, Callable[[list[dict]], object]] = {}
_PREFETCH: dict[str, Callable[[list[dict]], object]] = {}
_ON_DRAIN: list[Callable[[], None]] = []
# A failed delivery is tried again 30 s × 2ⁿ later, at most an hour apart, 30 times
# in all: about a day, so a mail relay down overnight loses nothing. After that a row
# waits for someone to send it again (the admin's "Send again").
MAX_ATTEMPTS = 30
MAX_RETRY_DELAY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """How long a delivery that failed ``attempts`` times waits for its next try."""
    if attempts >= 7:  # 30 s × 2⁷ is past the hour already
        return MAX_RETRY_DELAY
    return min(timedelta(seconds=30 * 2**attempts), MAX_RETRY_DELAY)


def send_again(rows) -> int:
    """Rows not delivered (given up, or waiting for their next try) are due now,
    with a fresh count of attempts, and a drain is started; returns how many."""
    count = rows.filter(processed_at__isnull=True).update(attempts=0, available_at=None)
    if count:
        kick_after_commit()
    return count


class Retry:
    """Returned (not raised) by a handler whose own bookkeeping must be kept while the
    message is retried later, e.g. a webhook attempt that the subscriber refused."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"Retry({self.reason!r})"


def handler(topic: str, *, prefetch: Callable[[list[dict]], object] | None = None):
    """Register ``func(payload)``: returns None when delivered, or a ``Retry``. With
    ``prefetch``, ``func(payload, prefetch(payloads))``: the rows of one claim read
    together, each still delivered in a transaction of its own."""

    def register(func):
        _BATCH_HANDLERS.pop(topic, None)
        _HANDLERS[topic] = func
        if prefetch is None:
            _PREFETCH.pop(topic, None)
        else:
            _PREFETCH[topic] = prefetch
        return func

    return register


def batch_handler(topic: str):
    """Register ``func(payloads)`` for a run of messages of ``topic``, oldest first.

    It only writes to the database (its transaction may be lost with the worker) and
    returns None when every message was handled, or one outcome per payload (None or
    a ``Retry``). When it raises, what it wrote is rolled back and each message of
    the run is delivered alone (a batch of one).
    """

    def register(func):
        _HANDLERS.pop(topic, None)
        _PREFETCH.pop(topic, None)
        _BATCH_HANDLERS[topic] = func
        return func

    return register


def on_drain(func: Callable[[], None]) -> Callable[[], None]:
    """Register ``func()`` to run at the start of every drain, outside any
    transaction, before the drain delivers anything (its failure is logged and ends
    nothing else)."""
    if func not in _ON_DRAIN:
        _ON_DRAIN.append(func)
    return func


def enqueue(
    topic: str, payload: dict, *, dedupe_key: str | None = None
) -> OutboxMessage | None:
    """Write a side effect; returns None when ``dedupe_key`` was already enqueued."""
    message = OutboxMessage(topic=topic, payload=payload, dedupe_key=dedupe_key)
    if dedupe_key is None:
        message.save(force_insert=True)
    elif not insert_unless_duplicate(message):
        return None
    kick_after_commit()
    return message


def kick_after_commit() -> None:
    """A drain started once the caller's transaction commits (at once outside one).
    One kick per commit, however many rows the transaction wrote: each kick is a
    Redis round trip, and a hung Redis costs its timeout per kick."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        isinstance(func, _KickAfterCommit) and not func.done
        for _, func, *_ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_KickAfterCommit())


class _KickAfterCommit:
    """The kick a transaction registered; ``done`` once it ran."""

    done = False

    def __call__(self) -> None:
        self.done = True
        _kick()


# At most one drain task waits in the broker: a commit queues one only when it sets
# this key, and a drain clears the key before it reads the table, so a row committed
# before a refused ``SET NX`` is read by the drain that is still waiting. Under load
# one task then delivers many rows instead of each checkout queueing its own task (and
# the web request skips publishing to the broker). The drain starts
# OMNISTORE_OUTBOX_DRAIN_DELAY seconds after the kick, so the rows committed meanwhile
# leave in the same batch (the worker's cost is per batch, not per row). The expiry
# re-arms the kick if that task is lost; the periodic drain covers the rest.
# A broker that does not answer within KICK_TIMEOUT seconds is left alone for
# KICK_PAUSE seconds: the commits meanwhile skip the kick (the periodic drain delivers
# their rows), so a hung Redis costs one request a fraction of a second, not every
# request a timeout.
KICK_KEY = "omnistore:outbox:kick"
KICK_EXPIRY_MS = 5000
KICK_TIMEOUT = 0.25
KICK_PAUSE = 5.0
_redis_client = None
_broker_pause = Pause(KICK_PAUSE)


def _redis():
    global _redis_client
    if not settings.REDIS_URL:
        return None
    if _redis_client is None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=KICK_TIMEOUT,
            socket_connect_timeout=KICK_TIMEOUT,
            retry=Retry(NoBackoff(), 0),  # no retry: the periodic drain is the retry
        )
    return _redis_client


def _kick() -> None:
    if _broker_pause.running:
        return
    try:
        client = _redis()
        if client is None or client.set(KICK_KEY, 1, nx=True, px=KICK_EXPIRY_MS):
            drain_outbox.apply_async(countdown=settings.OMNISTORE_OUTBOX_DRAIN_DELAY)
    except Exception:  # broker down: the periodic drain picks the row up later
        _broker_pause.start()
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


def _claim(limit: int) -> list[OutboxMessage]:
    """Take up to ``limit`` due rows in one short transaction: locked with SKIP LOCKED
    (two drains never take the same row) and hidden from other drains for
    ``OMNISTORE_OUTBOX_CLAIM_SECONDS`` by moving ``available_at`` (time enough to
    deliver them; when the worker dies, the rows it had not delivered come back to
    the next drain after that); nothing is delivered while the rows are locked."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .exclude(available_at__gt=now)
            .order_by("id")[:limit]
        )
        if rows:
            OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
                available_at=now
                + timedelta(seconds=settings.OMNISTORE_OUTBOX_CLAIM_SECONDS)
            )
    return rows


def _mark_delivered(pks: list[int]) -> None:
    OutboxMessage.objects.filter(pk__in=pks).update(
        attempts=F("attempts") + 1, processed_at=timezone.now(), available_at=None
    )


def _mark_retry(message: OutboxMessage, outcome: Retry) -> None:
    message.attempts += 1
    message.last_error = outcome.reason[:2000]
    message.available_at = timezone.now() + retry_delay(message.attempts)
    message.save(update_fields=["attempts", "last_error", "available_at"])


def _call(message: OutboxMessage, loaded: dict | None = None) -> object:
    batch = _BATCH_HANDLERS.get(message.topic)
    if batch is not None:
        outcomes = batch([message.payload])
        return None if outcomes is None else list(outcomes)[0]
    func = _HANDLERS.get(message.topic)
    if func is None:
        raise LookupError(f"no handler for topic {message.topic!r}")
    prefetch = _PREFETCH.get(message.topic)
    if prefetch is None:
        return func(message.payload)
    if loaded is None or message.topic not in loaded:
        return func(message.payload, prefetch([message.payload]))
    return func(message.payload, loaded[message.topic])


def _prefetch(rows: list[OutboxMessage]) -> dict:
    """What the rows of each prefetching topic of one claim need, read at once, by
    topic; a topic whose read fails is left out (its rows then load alone)."""
    loaded = {}
    for topic, prefetch in _PREFETCH.items():
        payloads = [m.payload for m in rows if m.topic == topic]
        if len(payloads) < 2:
            continue
        try:
            loaded[topic] = prefetch(payloads)
        except Exception:
            logger.warning(
                "outbox: prefetch of %d %r rows failed", len(payloads), topic
            )
    return loaded


def _deliver_alone(message: OutboxMessage, loaded: dict | None = None) -> bool:
    """Deliver one row and mark it in one short transaction: what the handler wrote
    and the row marked processed commit together. A handler sends last (after its
    own writes), so only a crash between its send and this commit sends twice."""
    try:
        with transaction.atomic():
            outcome = _call(message, loaded)
            if isinstance(outcome, Retry):  # the handler's bookkeeping is kept
                _mark_retry(message, outcome)
                return False
            _mark_delivered([message.pk])
            return True
    except Exception as exc:  # rolled back; recorded and retried with back-off
        logger.exception("outbox: %s failed", message)
        _mark_retry(message, Retry(repr(exc)))
        return False


def _deliver_batch(run: list[OutboxMessage]) -> int:
    """A run of a batch topic in one transaction. Batch handlers only write to the
    database (what they must send, they enqueue), so nothing leaves twice when the
    transaction is lost. When the batch raises, each row is delivered alone."""
    func = _BATCH_HANDLERS[run[0].topic]
    try:
        with transaction.atomic():
            outcomes = func([message.payload for message in run])
            outcomes = [None] * len(run) if outcomes is None else list(outcomes)
            if len(outcomes) != len(run):
                raise ValueError(
                    f"{len(outcomes)} outcomes for a batch of {len(run)} messages"
                )
            done = [m.pk for m, o in zip(run, outcomes, strict=True) if o is None]
            _mark_delivered(done)
            for message, outcome in zip(run, outcomes, strict=True):
                if isinstance(outcome, Retry):
                    _mark_retry(message, outcome)
            return len(done)
    except Exception:
        logger.exception(
            "outbox: a batch of %d %r messages failed, delivering them one by one",
            len(run),
            run[0].topic,
        )
    return sum(_deliver_alone(message) for message in run)


def _runs(rows: list[OutboxMessage]):
    """Consecutive rows of one batch topic together, every other row alone."""
    for topic, group in groupby(rows, key=lambda message: message.topic):
        if topic in _BATCH_HANDLERS:
            yield list(group)
        else:
            yield from ([message] for message in group)


def drain(*, limit: int = 200) -> int:
    """Deliver up to ``limit`` pending messages; returns how many were delivered.

    Rows are claimed in a short transaction, then each is delivered and marked in a
    short transaction of its own (a run of a batch topic together), so no email or
    HTTP call happens while a long transaction holds rows, and a worker killed
    mid-drain has sent at most the one message in flight without marking it. Rows
    the delivered ones enqueued (a receipt after ``orders.placed``) are claimed in
    the same call.
    """
    _rearm_kick()
    _run_drain_hooks()
    delivered = taken = 0
    while taken < limit:
        rows = _claim(limit - taken)
        if not rows:
            break
        taken += len(rows)
        loaded = _prefetch(rows)
        for run in _runs(rows):
            if len(run) > 1:
                delivered += _deliver_batch(run)
            else:
                delivered += _deliver_alone(run[0], loaded)
    if taken >= limit:  # more may wait behind this batch
        _kick()
    return delivered


def _run_drain_hooks() -> None:
    # At the start, once the kick is re-armed: what committed before this drain is
    # there to see, what commits later kicks a drain of its own (which may wait
    # behind this one, with beat's periodic run behind it), and a long or failing
    # delivery below delays nothing the hooks start.
    for func in _ON_DRAIN:
        try:
            func()
        except Exception:
            logger.exception("outbox: %s failed in a drain", func.__name__)


@shared_task(name="omnistore.core.tasks.drain_outbox", ignore_result=True)
def drain_outbox() -> int:
    """The worker's side of the kick: it lives with ``drain`` so that queuing it after a
    commit needs nothing above the outbox. Celery finds it through ``core.tasks``."""
    return drain()
