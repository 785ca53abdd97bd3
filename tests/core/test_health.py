"""``GET /health/`` for a load balancer: 200 while the database answers (degraded
without the shared cache, which the site can do without), 503 once it does not."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.concurrency import kill_own_connection
from tests.fakes.redis_faults import closed_redis_url, shared_cache

pytestmark = pytest.mark.django_db


def test_a_server_that_can_serve_says_ok(client):
    answer = client.get("/health/")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-store" in answer["Cache-Control"]
    assert client.post("/health/").status_code == 405


def test_without_the_shared_cache_it_still_serves_degraded(client, settings):
    settings.CACHES = shared_cache(closed_redis_url())

    answer = client.get("/health/")

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unavailable",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_database_it_answers_503(client):
    try:
        kill_own_connection()
        down = client.get("/health/")
        connection.close()  # as a server does at the end of a failed request
        up = client.get("/health/")
    finally:
        connection.close()

    assert down.status_code == 503
    assert down.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "cache": "ok",
    }
    assert up.status_code == 200


PROBE = """
import django
django.setup()
from django.test import Client
answer = Client().get("/health/", HTTP_HOST="127.0.0.1")
print(answer.status_code, answer.get("Location", ""))
"""


def test_a_balancer_probing_over_plain_http_is_not_redirected(tmp_path):
    """Under the production settings (HTTPS enforced) the probe is answered as it
    comes; any other page over plain HTTP is sent to HTTPS."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
        "SECRET_KEY": "x" * 60,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "REDIS_URL": closed_redis_url(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "CRITICAL",
    }
    env.pop("CACHE_URL", None)
    env.pop("SECURE_SSL_REDIRECT", None)

    def get(path: str):
        return subprocess.run(
            [sys.executable, "-c", PROBE.replace("/health/", path)],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    probe, other = get("/health/"), get("/staff/")
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.split() == ["200"]  # degraded: no Redis here, still serving
    assert other.stdout.split() == ["301", "https://127.0.0.1/staff/"]
