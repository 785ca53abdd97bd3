"""Code run the way a server runs it: a new Python process with the production
settings and placeholders for the services (nothing connects to them)."""

import json
import os
import subprocess
import sys

from django.conf import settings

ENV = {
    "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
    "SECRET_KEY": "x" * 60,
    "DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused",
    "CACHE_URL": "redis://127.0.0.1:1/1",
}


def run_production(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """``args`` after this Python (a script or ``manage.py …``), with ``env`` on top
    of the production settings' environment; a failure shows its error."""
    run = subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, **ENV, **env},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def production_json(code: str, **env: str):
    """What ``code`` (run in ``manage.py shell``) prints last, read as JSON."""
    run = run_production(["manage.py", "shell", "-c", code], **env)
    return json.loads(run.stdout.strip().splitlines()[-1])
