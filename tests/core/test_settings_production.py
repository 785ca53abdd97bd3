"""The production settings as a deployment loads them: every named class imports."""

import os
import subprocess
import sys

from django.conf import settings


def test_the_system_checks_pass_under_the_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
        "SECRET_KEY": "x" * 60,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused",
    }
    run = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "no issues" in run.stdout
