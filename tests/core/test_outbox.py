"""The outbox keeps side effects that could not reach the broker and delivers them later."""

import pytest
from django.db import transaction

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
