"""The outbox keeps side effects that could not reach the broker and delivers them later."""

import pytest
from django.db import transaction
from django.utils import timezone

from omnistore.core import outbox
from omnistore.core.models import OutboxMessage

delivered: list[dict] = []


@outbox.handler("tests.record")
def _record(payload):
    if payload.get("fail"):
        raise RuntimeError("backend down")
    delivered.append(payload)


@pytest.fixture(autouse=True)
def _reset():
    delivered.clear()


@pytest.mark.django_db(transaction=True)
def test_message_is_delivered_after_commit_with_eager_celery():
    with transaction.atomic():
        outbox.enqueue("tests.record", {"n": 1})
        assert delivered == []  # nothing leaves before commit
    assert delivered == [{"n": 1}]
    assert OutboxMessage.objects.get().processed_at is not None


@pytest.mark.django_db(transaction=True)
def test_broker_outage_keeps_the_message_for_the_periodic_drain(settings):
    # A broker that refuses connections: the message must survive in the table.
    from omnistore.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        with transaction.atomic():
            outbox.enqueue("tests.record", {"n": 2})
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = "memory://"
    assert delivered == []
    message = OutboxMessage.objects.get()
    assert message.processed_at is None
    assert outbox.drain() == 1
    assert delivered == [{"n": 2}]


@pytest.mark.django_db(transaction=True)
def test_failed_handler_is_retried_later_and_not_marked_done():
    with transaction.atomic():
        outbox.enqueue("tests.record", {"fail": True})
    message = OutboxMessage.objects.get()
    assert message.processed_at is None
    assert message.attempts == 1
    assert "backend down" in message.last_error


@pytest.mark.django_db
def test_dedupe_key_enqueues_once():
    assert outbox.enqueue("tests.record", {"n": 3}, dedupe_key="k1") is not None
    assert outbox.enqueue("tests.record", {"n": 3}, dedupe_key="k1") is None
    assert OutboxMessage.objects.filter(dedupe_key="k1").count() == 1


# Batch topics: a handler that takes every payload of a run of consecutive rows.
log: list[tuple[str, list[int]]] = []


@outbox.handler("tests.single")
def _single(payload):
    log.append(("single", [payload["n"]]))


@outbox.batch_handler("tests.batch")
def _batch(payloads):
    """Writes a row per payload (a note in the outbox) so a rolled-back batch shows."""
    log.append(("batch", [p["n"] for p in payloads]))
    for payload in payloads:
        outbox.enqueue("tests.note", {"n": payload["n"]})
    if any(p.get("fail") for p in payloads):
        raise RuntimeError("bad payload")
    return [
        outbox.Retry("mail server busy") if p.get("busy") else None for p in payloads
    ]


@pytest.fixture(autouse=True)
def _reset_log():
    log.clear()


def notes() -> list[int]:
    return sorted(
        m.payload["n"] for m in OutboxMessage.objects.filter(topic="tests.note")
    )


@pytest.mark.django_db
def test_consecutive_rows_of_a_batch_topic_reach_its_handler_together_in_id_order():
    for topic, n in [
        ("tests.batch", 1),
        ("tests.batch", 2),
        ("tests.single", 3),
        ("tests.single", 4),
        ("tests.batch", 5),
        ("tests.batch", 6),
        ("tests.batch", 7),
    ]:
        outbox.enqueue(topic, {"n": n})

    assert outbox.drain() == 7

    assert log == [
        ("batch", [1, 2]),
        ("single", [3]),
        ("single", [4]),
        ("batch", [5, 6, 7]),
    ]
    assert not OutboxMessage.objects.filter(
        topic__in=["tests.batch", "tests.single"], processed_at__isnull=True
    ).exists()
    assert outbox.drain() == 0  # processed rows are not delivered again


@pytest.mark.django_db
def test_a_failing_batch_is_rolled_back_and_only_the_bad_message_is_retried():
    for n in (1, 2, 3):
        outbox.enqueue("tests.batch", {"n": n, "fail": n == 2})

    assert outbox.drain() == 2

    # The batch, then each message alone: the batch's writes were rolled back.
    assert log == [("batch", [1, 2, 3]), ("batch", [1]), ("batch", [2]), ("batch", [3])]
    assert notes() == [1, 3]
    rows = {
        m.payload["n"]: m for m in OutboxMessage.objects.filter(topic="tests.batch")
    }
    assert rows[1].processed_at and rows[3].processed_at
    bad = rows[2]
    assert bad.processed_at is None and bad.attempts == 1
    assert "bad payload" in bad.last_error
    assert bad.available_at > timezone.now()  # backed off, not retried at once
    log.clear()
    assert outbox.drain() == 0
    assert log == []


@pytest.mark.django_db
def test_a_batch_can_retry_some_messages_and_keep_what_it_wrote_for_all():
    for n in (1, 2, 3):
        outbox.enqueue("tests.batch", {"n": n, "busy": n == 3})

    assert outbox.drain() == 2

    assert log == [("batch", [1, 2, 3])]  # no fallback: the batch did not raise
    assert notes() == [1, 2, 3]
    busy = OutboxMessage.objects.get(topic="tests.batch", payload__n=3)
    assert busy.processed_at is None and busy.attempts == 1
    assert busy.last_error == "mail server busy"
    assert (
        OutboxMessage.objects.filter(
            topic="tests.batch", processed_at__isnull=False
        ).count()
        == 2
    )
