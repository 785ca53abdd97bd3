"""Under the production settings, sign-in attempts are counted in Redis: two processes
(two gunicorn workers, two servers) share one limit."""

import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server"),
    reason="needs redis-server (`make test` installs it through .ci/system-deps.sh)",
)

# One worker process: it signs in `tries` times with a new made-up X-Forwarded-For
# each time, behind one trusted proxy that saw 203.0.113.9, and prints the statuses.
# The password is left out, so no database is needed: the throttle counts the
# attempt before the request is read.
WORKER = """
import sys
import django
django.setup()
from django.test import Client
client = Client()
for n in range(int(sys.argv[1])):
    response = client.post(
        "/api/v1/auth/token/",
        {"email": "ada@example.com"},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR=f"10.{sys.argv[2]}.{n}.1, 203.0.113.9",
        REMOTE_ADDR="10.0.0.2",
    )
    print(response.status_code)
"""


def run_worker(env: dict, tries: int, name: str) -> list[int]:
    run = subprocess.run(
        [sys.executable, "-c", WORKER, str(tries), name],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return [int(line) for line in run.stdout.split()]


def test_two_processes_share_one_sign_in_limit_through_redis(redis_url, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
        "SECRET_KEY": "x" * 60,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "REDIS_URL": redis_url,
        "SECURE_SSL_REDIRECT": "0",
        "OMNISTORE_TRUSTED_PROXIES": "1",
        "LOG_LEVEL": "CRITICAL",
    }
    env.pop("CACHE_URL", None)
    first = run_worker(env, 12, "1")
    second = run_worker(env, 12, "2")
    assert first == [400] * 12  # counted, refused for the missing password
    # the second process goes on from the first one's count: 20 a minute in all
    assert second == [400] * 8 + [429] * 4
