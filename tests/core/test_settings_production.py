"""The production settings as a deployment loads them: every named class imports, and
a server without a shared cache refuses to start (each process would count rate limits
and lockouts alone)."""

import os
import subprocess
import sys

from django.conf import settings


def check(**env):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
        "SECRET_KEY": "x" * 60,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused",
        **env,
    }
    for name in ("REDIS_URL", "CACHE_URL"):
        if not env.get(name):
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def production_python(script: str) -> subprocess.CompletedProcess:
    """``script`` run by Python with the production settings (no database used)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
            "SECRET_KEY": "x" * 60,
            "CACHE_URL": "redis://127.0.0.1:1/1",
        },
        capture_output=True,
        text=True,
    )


def test_the_system_checks_pass_under_the_production_settings():
    run = check(REDIS_URL="redis://127.0.0.1:1/0")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "no issues" in run.stdout


def test_production_refuses_to_start_without_a_shared_cache():
    run = check(REDIS_URL="", CACHE_URL="")
    assert run.returncode != 0
    assert "Production needs a shared cache" in run.stderr


def test_production_serves_static_files_through_whitenoise():
    run = production_python(
        "from django.conf import settings as s; "
        "print(s.MIDDLEWARE[1]); print(s.STORAGES['staticfiles']['BACKEND'])"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == [
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def test_production_answers_the_api_in_json_only():
    """No browsable HTML pages on a server: ``?format=api`` or a browser's Accept
    header get the JSON answer (or a 404 for the unknown format)."""
    script = (
        "import django; django.setup(); "
        "from rest_framework.settings import api_settings as a; "
        "print(*[c.__name__ for c in a.DEFAULT_RENDERER_CLASSES])"
    )
    run = production_python(script)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["JSONRenderer"]
