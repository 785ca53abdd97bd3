"""Events out: signed webhooks, written as delivery rows in the transaction that raised
them, so they survive a broker outage, and retried with back-off when the subscriber
fails.

The body is JSON ``{"id", "type", "created_at", "data"}``; the signature header is
``X-Omnistore-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` so a
subscriber can reject replays and forgeries.

Each attempt carries ``Idempotency-Key: omnistore-webhook-<delivery id>`` (the same on
every attempt), so a subscriber can drop a repeat. Deliveries leave from a queue of
their own (``webhooks``), never inside a database transaction.

Endpoints are called only at public addresses (``omnistore.core.netguard``), checked
when the URL is saved and again at each delivery, with no redirect followed and a cap
on the time and size of the answer; an endpoint switched off gets nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from . import netguard, outbox
from .db import connection_for, db_value, load
from .models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

_endpoints: tuple[float, list[WebhookEndpoint]] | None = None
_changing = threading.local()


def active_endpoints() -> list[WebhookEndpoint]:
    """The active endpoints, kept by each process for
    ``OMNISTORE_WEBHOOK_ENDPOINTS_TTL`` seconds (0: read every time).

    Every batch of stock movements asks, and endpoints change rarely: reading them once
    per batch was one query per checkout. The copy only names candidates: deliveries
    are inserted for those still active at that moment, so deactivating or deleting
    an endpoint counts at once everywhere. A new endpoint (or a change of its event
    types) reaches other processes within the TTL; events raised meanwhile follow
    the list as it was. A save or delete in this process drops the copy at once, and
    the thread that made it reads fresh until its transaction commits, so an
    uncommitted endpoint is never kept.
    """
    global _endpoints
    ttl = settings.OMNISTORE_WEBHOOK_ENDPOINTS_TTL
    if ttl <= 0 or getattr(_changing, "active", False):
        return list(WebhookEndpoint.objects.filter(active=True))
    now = time.monotonic()
    kept = _endpoints
    if kept is None or now - kept[0] >= ttl:
        kept = (now, list(WebhookEndpoint.objects.filter(active=True)))
        _endpoints = kept
    return kept[1]


@receiver(post_save, sender=WebhookEndpoint, dispatch_uid="webhooks.endpoint_saved")
@receiver(post_delete, sender=WebhookEndpoint, dispatch_uid="webhooks.endpoint_deleted")
def _endpoints_changed(**kwargs) -> None:
    global _endpoints
    _endpoints = None
    _changing.active = True
    transaction.on_commit(_endpoints_committed)


def _endpoints_committed() -> None:
    forget_endpoints()


def forget_endpoints() -> None:
    """Drop this process's copy: the next event reads the endpoints again."""
    global _endpoints
    _endpoints = None
    _changing.active = False


def emit(event_type: str, data: dict) -> int:
    """Queue ``event_type`` for every active endpoint that wants it, in the caller's
    transaction (inside ``gathered``, when its block ends); returns how many
    deliveries were queued."""
    candidates = [e.pk for e in active_endpoints() if e.wants(event_type)]
    if not candidates:
        return 0
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    events = getattr(_gathering, "events", None)
    if events is not None:
        marker = _Raised()
        transaction.on_commit(marker)  # dropped if a savepoint around it rolls back
        events.append((marker, (candidates, event_type, payload)))
        return len(candidates)
    deliveries = _insert_deliveries([(candidates, event_type, payload)])
    if deliveries:
        _wake_after_commit(deliveries)
    return len(deliveries)


_gathering = threading.local()


class _Raised:
    """Marks an event gathered in a transaction: gone from the transaction's commit
    callbacks once a savepoint around it rolled back."""

    def __call__(self) -> None:
        pass


@contextmanager
def gathered():
    """Inside the caller's transaction, the events raised in the block are queued
    together as it ends: one ``INSERT`` for all of them instead of one per event (a
    checkout raises two or three). Those raised in a savepoint that was rolled back
    are dropped with it. Outside a transaction, or inside another such block, events
    are queued as they are raised (or by the outer block)."""
    connection = transaction.get_connection()
    if getattr(_gathering, "events", None) is not None or not (
        connection.in_atomic_block
    ):
        yield
        return
    _gathering.events = []
    try:
        yield
        raised = {id(func) for _, func, *_ in connection.run_on_commit}
        events = [event for marker, event in _gathering.events if id(marker) in raised]
    finally:
        _gathering.events = None
    deliveries = _insert_deliveries(events) if events else []
    if deliveries:
        _wake_after_commit(deliveries)


def _wake_after_commit(deliveries: list[int]) -> None:
    """The webhook worker is woken by the drain the commit kicks (once per commit,
    whatever else the transaction queued): no outbox row of its own, the delivery
    rows are the durable state. Should the kick or the task be lost, the periodic
    ``deliver_webhooks`` makes the calls."""
    outbox.kick_after_commit()


def _insert_deliveries(events: list[tuple[list[int], str, object]]) -> list[int]:
    """One ``INSERT ... SELECT`` of the deliveries of ``events`` (endpoint ids, type,
    payload), in their order, over the endpoints that are active now: the kept list
    only names candidates, so an endpoint deactivated or deleted by another process
    meanwhile gets nothing (and a deleted one cannot fail the caller's commit)."""
    connection = connections[router.db_for_write(WebhookDelivery)]
    quote = connection.ops.quote_name
    delivery, endpoint = WebhookDelivery._meta, WebhookEndpoint._meta
    column = {
        name: quote(delivery.get_field(name).column)
        for name in ("endpoint", "event_type", "payload", "status", "attempts")
        + ("last_error", "created_at")
    }
    prepare = delivery.get_field("payload").get_db_prep_save
    pk, active = quote(endpoint.pk.column), quote(endpoint.get_field("active").column)
    arms, params = [], []
    for position, (endpoint_ids, event_type, payload) in enumerate(events):
        arms.append(
            f"SELECT {position} AS pos, {pk} AS endpoint, %s AS event_type, "
            f"%s AS payload FROM {quote(endpoint.db_table)} "
            f"WHERE {pk} IN ({', '.join(['%s'] * len(endpoint_ids))}) AND {active} = %s"
        )
        params += [event_type, prepare(payload, connection), *endpoint_ids, True]
    sql = (
        f"INSERT INTO {quote(delivery.db_table)} ({', '.join(column.values())}) "
        "SELECT endpoint, event_type, payload, %s, 0, '', %s "
        f"FROM ({' UNION ALL '.join(arms)}) AS raised ORDER BY pos, endpoint "
        f"RETURNING {quote(delivery.pk.column)}"
    )
    stamp = delivery.get_field("created_at").get_db_prep_save
    params = [
        WebhookDelivery.Status.PENDING.value,
        stamp(timezone.now(), connection),
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """What a subscriber does with the header (used by the tests and documented)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


def _request(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    """The signed body and headers of one attempt."""
    body = json.dumps(
        {
            "id": delivery.pk,
            "type": delivery.event_type,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Omnistore-Webhooks/1",
        "X-Omnistore-Event": delivery.event_type,
        "X-Omnistore-Delivery": str(delivery.pk),
        # The same on every attempt of one delivery: a subscriber that saw it drops
        # the repeat (an attempt whose answer was lost is sent again).
        "Idempotency-Key": f"omnistore-webhook-{delivery.pk}",
        "X-Omnistore-Signature": sign(delivery.endpoint.secret, body, int(time.time())),
    }
    return body, headers


def _give_up(delivery: WebhookDelivery, reason: str) -> None:
    """Record a delivery that must not be retried (endpoint switched off, address
    refused): nothing is called."""
    delivery.status = WebhookDelivery.Status.FAILED
    delivery.response_status = None
    delivery.last_error = reason[:1000]
    delivery.next_attempt_at = None
    delivery.save(
        update_fields=[
            "attempts",
            "response_status",
            "last_error",
            "status",
            "next_attempt_at",
        ]
    )


# --- Delivery: a queue of its own, no transaction open during a call ---------------
#
# The drain that a commit kicks wakes the webhook worker (queue ``webhooks``); the
# delivery row is the durable state. A worker claims up to ``BATCH`` due deliveries in
# one short transaction (their ``next_attempt_at`` moves past one call's timeout, so
# no other worker takes them), calls the endpoints one after the other with no
# transaction open, and records the answers together in one statement. A call that
# would outlast the claim first records what is done and renews the claim on the rest
# (what another worker took meanwhile is left to it). A slow subscriber holds one
# webhook worker, never a database transaction or the worker that sends receipts; a
# worker killed during a call leaves its claimed rows to be tried again once the claim
# runs out, with the same ``Idempotency-Key``.

QUEUE = "webhooks"
BATCH = 10
SLOW_CALL = 1.0  # seconds: an endpoint this slow gets no more calls from a batch
WAKE_LIMIT = 32
CLAIM_MARGIN = timedelta(seconds=5)
_SETTLED = ["attempts", "response_status", "last_error", "status"] + [
    "delivered_at",
    "next_attempt_at",
]


RETIRED_TOPIC = "core.webhook"


@outbox.batch_handler(RETIRED_TOPIC)
def _retired_wake_rows(payloads: list[dict]) -> None:
    """Rows of the former wake-up topic, still written by a web process of the
    previous release during a rolling deploy: nothing to do, since their deliveries
    are rows of their own, counted by ``wake_webhook_worker`` as this drain started."""
    return None


@outbox.on_drain
def wake_webhook_worker() -> None:
    """At the start of every drain: one delivery task per ``BATCH`` deliveries due now
    (at most ``WAKE_LIMIT / BATCH``), none when nothing is due; once what the
    caller holds commits (a drain runs in none: at once)."""
    due = _count_due(timezone.now())
    if due:
        tasks = -(-due // BATCH)
        transaction.on_commit(lambda: _wake(tasks))


def _wake(tasks: int = 1) -> None:
    try:
        for _ in range(tasks):
            deliver_webhooks.apply_async(queue=QUEUE)
    except Exception:  # broker down: the periodic task delivers it later
        logger.warning("webhooks: broker unavailable, left for the periodic task")


def _count_due(now) -> int:
    """How many deliveries are due now, up to ``WAKE_LIMIT``: written by hand with the
    status as a literal, so a prepared statement's generic plan still matches the
    partial index of pending rows."""
    connection = connection_for(WebhookDelivery)
    with connection.cursor() as cursor:
        cursor.execute(count_due_sql(connection), [_stamp(now, connection), WAKE_LIMIT])
        return cursor.fetchone()[0]


def count_due_sql(connection) -> str:
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} "
        f"WHERE status = '{WebhookDelivery.Status.PENDING.value}' "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) LIMIT %s) due"
    )


def _claim_until(now):
    return now + CLAIM_MARGIN + timedelta(seconds=settings.OMNISTORE_WEBHOOK_TIMEOUT)


def _claim(limit: int = 1, delivery_id: int | None = None) -> list[WebhookDelivery]:
    """Up to ``limit`` due deliveries (or ``delivery_id`` when due), oldest first,
    locked past other workers and claimed in one transaction; those whose endpoint
    was switched off are recorded as failed instead. Two kept statements: the
    locking read of the deliveries with their endpoints, the claim's ``UPDATE``."""
    now = timezone.now()
    connection = connection_for(WebhookDelivery)
    params = [
        _stamp(now, connection),
        *([delivery_id] if delivery_id is not None else []),
        limit,
    ]
    with transaction.atomic(using=connection.alias):
        claimed = []
        for delivery, endpoint in load(
            [(WebhookDelivery, "d"), (WebhookEndpoint, "e")],
            _claim_tail(connection, delivery_id is not None),
            params,
        ):
            delivery.endpoint = endpoint
            claimed.append(delivery)
        live = [d for d in claimed if d.endpoint.active]
        for delivery in claimed:
            if not delivery.endpoint.active:
                _give_up(delivery, "Endpoint switched off: not delivered.")
        if live:
            until = _claim_until(now)
            _update(
                connection,
                '"attempts" = "attempts" + 1, "next_attempt_at" = %s',
                [_stamp(until, connection)],
                [d.pk for d in live],
            )
            for delivery in live:
                delivery.attempts += 1
                delivery.next_attempt_at = until
    return claimed


_TAILS: dict[tuple, str] = {}


def _claim_tail(connection, one: bool) -> str:
    """The claim's ``FROM ... WHERE ...``: due pending rows (the partial index's
    condition written out, so the planner can use it), locked past other workers
    where the database can."""
    key = (connection.alias, one)
    tail = _TAILS.get(key)
    if tail is None:
        quote = connection.ops.quote_name
        lock = ""
        if connection.features.has_select_for_update_skip_locked:
            lock = " FOR UPDATE OF d SKIP LOCKED"
        tail = (
            f"FROM {quote(WebhookDelivery._meta.db_table)} d "
            f"JOIN {quote(WebhookEndpoint._meta.db_table)} e ON e.id = d.endpoint_id "
            f"WHERE d.status = '{WebhookDelivery.Status.PENDING.value}' "
            "AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= %s)"
            + (" AND d.id = %s" if one else "")
            + f" ORDER BY d.id LIMIT %s{lock}"
        )
        _TAILS[key] = tail
    return tail


def _stamp(value, connection):
    return db_value(WebhookDelivery._meta.get_field("created_at"), value, connection)


def _update(connection, assignments: str, params: list, pks: list[int]) -> int:
    """``UPDATE`` the deliveries ``pks`` (hand-written ``assignments``): the ORM's
    query building cost more than the call it records."""
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} "
            f"WHERE id IN ({', '.join(['%s'] * len(pks))})",
            [*params, *pks],
        )
        return cursor.rowcount


def _still_held(deliveries: list[WebhookDelivery]):
    """The rows of ``deliveries`` whose claim is still this worker's (unchanged
    since it claimed them together); those another worker claimed meanwhile are not."""
    return WebhookDelivery.objects.filter(
        pk__in=[d.pk for d in deliveries],
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=deliveries[0].next_attempt_at,
    )


def _renew(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Extend the claim on ``deliveries`` still held by this worker (their claim
    unchanged); returns them. Those another worker claimed meanwhile are left."""
    now = timezone.now()
    until = _claim_until(now)
    with transaction.atomic():
        held = set(
            _still_held(deliveries)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        WebhookDelivery.objects.filter(pk__in=held).update(next_attempt_at=until)
    kept = [d for d in deliveries if d.pk in held]
    for delivery in kept:
        delivery.next_attempt_at = until
    return kept


def attempt(delivery_id: int | None = None) -> WebhookDelivery | None:
    """One attempt at ``delivery_id`` (or the oldest due delivery) when it is due;
    returns the delivery as recorded, or None when there was nothing to attempt. The
    endpoint's URL must still lead to a public address (checked now, connected to as
    checked); no redirect is followed."""
    claimed = _claim(1, delivery_id)
    if not claimed:
        return None
    _attempt_all(claimed)
    return claimed[0]


def _attempt_all(claimed: list[WebhookDelivery]) -> int:
    """Call each claimed delivery's endpoint in turn and record the answers; the
    claim is renewed (and what is done recorded) before a call that could outlast
    it. An endpoint that fails or answers slowly gets no more calls from this batch:
    its other deliveries are released at once, so it holds up no other subscriber's
    deliveries claimed with it. Calls to one endpoint share a connection when it
    keeps it open. Returns how many were attempted (or given up)."""
    waiting = [d for d in claimed if d.status == WebhookDelivery.Status.PENDING]
    kept = netguard.Kept()
    try:
        handed_back = _call_in_turn(waiting, kept)
    finally:
        kept.close()
    return len(claimed) - handed_back


def _call_in_turn(waiting: list[WebhookDelivery], kept) -> int:
    """The calls of ``_attempt_all``, each answer recorded before the next call (a
    worker stopped between two calls makes none of the answered ones again);
    returns how many deliveries were handed back."""
    timeout = settings.OMNISTORE_WEBHOOK_TIMEOUT
    margin = CLAIM_MARGIN.total_seconds()
    claimed_until = time.monotonic() + margin + timeout
    targets: dict[str, object] = {}
    handed_back = 0
    while waiting:
        if time.monotonic() + timeout + margin / 2 > claimed_until:
            waiting = _renew(waiting)
            claimed_until = time.monotonic() + margin + timeout
            continue
        delivery = waiting.pop(0)
        started = time.monotonic()
        _call(delivery, targets, timeout, kept)
        _settle(delivery)
        unwell = delivery.status != WebhookDelivery.Status.DELIVERED
        if unwell or time.monotonic() - started > SLOW_CALL:
            same = [d for d in waiting if d.endpoint_id == delivery.endpoint_id]
            waiting = [d for d in waiting if d.endpoint_id != delivery.endpoint_id]
            _release(same)
            handed_back += len(same)
    return handed_back


def _release(deliveries: list[WebhookDelivery]) -> None:
    """Hand claimed deliveries back, not attempted: due again at once, their attempt
    not counted (those another worker claimed meanwhile are left)."""
    if deliveries:
        _still_held(deliveries).update(attempts=F("attempts") - 1, next_attempt_at=None)


def _call(delivery: WebhookDelivery, targets: dict, timeout: float, kept) -> None:
    """One call, its outcome set on ``delivery`` (not saved), over the batch's
    ``kept`` connection to the endpoint when it has one. The endpoint's URL is
    checked once per batch: an address refused ends the delivery, one that does not
    resolve is tried again later."""
    url = delivery.endpoint.url
    if url not in targets:
        try:
            targets[url] = netguard.check_url(url)
        except (netguard.Unresolvable, netguard.UnsafeURL) as exc:
            targets[url] = exc
    target = targets[url]
    if isinstance(target, netguard.UnsafeURL):
        _outcome(delivery, None, f"Refused: {target}", final=True)
    elif isinstance(target, netguard.Unresolvable):
        _outcome(delivery, None, str(target))
    else:
        body, headers = _request(delivery)
        try:
            status = netguard.post(target, body, headers, timeout=timeout, kept=kept)
            _outcome(delivery, status, f"HTTP {status}")
        except OSError as exc:
            _outcome(delivery, None, str(exc) or repr(exc))


def _outcome(
    delivery: WebhookDelivery, status: int | None, error: str, *, final: bool = False
) -> None:
    """Delivered on a 2xx; otherwise tried again with back-off (timed by
    ``_settle``), until the last attempt (or at once, ``final``) fails it."""
    ok = status is not None and 200 <= status < 300
    delivery.response_status = status
    delivery.next_attempt_at = None
    delivery.last_error = "" if ok else error[:1000]
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
    elif final or delivery.attempts >= outbox.MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED


def _settle(delivery: WebhookDelivery) -> None:
    """An answer recorded (one ``UPDATE``): a delivered call is stamped now, one to
    try again is due after its back-off."""
    now = timezone.now()
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        delivery.delivered_at = now
    elif delivery.status == WebhookDelivery.Status.PENDING:
        delivery.next_attempt_at = now + outbox.retry_delay(delivery.attempts)
    connection = connection_for(WebhookDelivery)
    fields = [WebhookDelivery._meta.get_field(name) for name in _SETTLED]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    prepared = [db_value(f, getattr(delivery, f.name), connection) for f in fields]
    _update(connection, assignments, prepared, [delivery.pk])


def deliver_again(rows) -> int:
    """Deliveries not made (failed, or waiting for their next try) are due now with a
    fresh count of attempts, and the webhook worker is woken; returns how many."""
    count = rows.exclude(status=WebhookDelivery.Status.DELIVERED).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=None
    )
    if count:
        transaction.on_commit(_wake)
    return count


@shared_task(name="omnistore.core.webhooks.deliver_webhooks", ignore_result=True)
def deliver_webhooks(limit: int = 100) -> int:
    """Attempt the due deliveries, oldest first, ``BATCH`` at a time; returns how
    many were attempted. Woken at the start of every outbox drain when deliveries are
    due (``wake_webhook_worker``) and run by beat, on the ``webhooks`` queue."""
    attempted = 0
    while attempted < limit:
        claimed = _claim(min(BATCH, limit - attempted))
        if not claimed:
            break
        attempted += _attempt_all(claimed)
    return attempted
