"""The fault tests: a real stack on loopback, a process stopped or killed, then counts.

They run with ``make faults`` (PostgreSQL from ``.ci/pg.sh``, ``OMNISTORE_FAULTS=1``)
and are skipped otherwise: each starts Redis, Celery and gunicorn and takes seconds.
"""

import os

import pytest
from django.db import connection

from tests.fakes.smtp_server import FakeSMTP
from tests.fakes.stripe_server import FakeStripe
from tests.faults.stack import Redis, Stack


def pytest_collection_modifyitems(config, items):
    run = (
        os.environ.get("OMNISTORE_FAULTS") == "1" and connection.vendor == "postgresql"
    )
    skip = pytest.mark.skip(
        reason="fault tests: make faults (PostgreSQL, Redis, Celery)"
    )
    for item in items:
        if "faults" in item.keywords and not run:
            item.add_marker(skip)


@pytest.fixture
def smtp():
    server = FakeSMTP().start()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def redis(tmp_path):
    server = Redis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def cache_redis(tmp_path):
    """The shared cache (throttle counts) on a Redis of its own: the faults below
    stop or freeze the broker, and production keeps the two apart (operations.md)."""
    server = Redis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, redis, cache_redis, smtp, fake_stripe, transactional_db):
    """Production settings for every process: mail to the fake SMTP server, Stripe
    to the fake Stripe; start the processes a test needs with ``stack.worker()``,
    ``stack.beat()``, ``stack.web()``."""
    running = Stack(
        tmp_path,
        redis,
        CACHE_URL=cache_redis.url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        STRIPE_API_BASE=fake_stripe.url,
    )
    yield running
    running.stop()
