"""With a broker, at most one drain task waits for the outbox: a commit queues one only
when none is waiting, and a drain re-arms the kick before it reads the table."""

import shutil

import pytest

from omnistore.core import outbox, tasks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


@pytest.fixture
def published(redis_url, settings, monkeypatch):
    """Drain tasks handed to the broker (the publish itself is Celery's business)."""
    settings.REDIS_URL = redis_url
    monkeypatch.setattr(outbox, "_redis_client", None)
    sent = []
    monkeypatch.setattr(
        tasks.drain_outbox,
        "apply_async",
        lambda countdown=None, **kwargs: sent.append(countdown),
    )
    yield sent
    outbox._redis_client = None


def enqueue_and_commit(commit, n: int) -> None:
    with commit(execute=True):
        outbox.enqueue("tests.kick", {"n": n})


@outbox.handler("tests.kick")
def _noop(payload):
    return None


def test_commits_queue_one_drain_until_it_starts(
    published, settings, django_capture_on_commit_callbacks
):
    enqueue_and_commit(django_capture_on_commit_callbacks, 1)
    enqueue_and_commit(django_capture_on_commit_callbacks, 2)
    assert len(published) == 1
    assert 0 < outbox._redis().pttl(outbox.KICK_KEY) <= outbox.KICK_EXPIRY_MS
    # the drain waits a moment, so what commits meanwhile leaves in its batch
    assert published == [settings.OMNISTORE_OUTBOX_DRAIN_DELAY]

    assert outbox.drain() == 2  # the waiting task delivers both
    enqueue_and_commit(django_capture_on_commit_callbacks, 3)
    assert len(published) == 2


def test_a_full_batch_kicks_again_for_the_rest(
    published, django_capture_on_commit_callbacks
):
    enqueue_and_commit(django_capture_on_commit_callbacks, 1)
    enqueue_and_commit(django_capture_on_commit_callbacks, 2)
    assert len(published) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.drain(limit=1) == 1
    assert len(published) == 2
    assert outbox.drain(limit=1) == 1
