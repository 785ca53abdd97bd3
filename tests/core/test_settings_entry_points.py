"""A server never runs the development settings: manage.py, the WSGI application and
Celery refuse them when the environment says production or turns DEBUG off, and the
production settings pass Django's deployment checks."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

REFUSED = "Refusing to run with the development settings"


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    # as a server starts it: no test runner's variables, the entry points' own default
    # settings (dev) unless named
    unset = {
        "DEBUG",
        "OMNISTORE_ENV",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update(env)
    return subprocess.run(
        args, cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"OMNISTORE_ENV": "production"}, "OMNISTORE_ENV=production"),
        ({"DEBUG": "0"}, "DEBUG=0"),
        (
            {"DJANGO_SETTINGS_MODULE": "omnistore.settings.dev", "DEBUG": "false"},
            "DEBUG=false",
        ),
    ],
)
def test_manage_py_refuses_the_development_settings_on_a_server(env, reason):
    refused = run([sys.executable, "manage.py", "check"], **env)
    assert refused.returncode == 1
    assert REFUSED in refused.stderr and reason in refused.stderr
    assert "Traceback" not in refused.stderr  # one clear line


def test_naming_the_development_settings_another_way_is_refused_too():
    refused = run(
        [sys.executable, "manage.py", "check", "--settings=omnistore.settings.dev"],
        DJANGO_SETTINGS_MODULE="omnistore.settings.test",
        OMNISTORE_ENV="production",
    )
    assert refused.returncode != 0 and REFUSED in refused.stderr


@pytest.mark.parametrize("module", ["omnistore.wsgi", "omnistore.celery"])
def test_the_wsgi_application_and_celery_refuse_them(module):
    refused = run(
        [sys.executable, "-c", f"import {module}"], OMNISTORE_ENV="production"
    )
    assert refused.returncode != 0
    assert REFUSED in refused.stderr


def test_the_development_settings_still_run_the_demo_on_a_laptop():
    ok = run([sys.executable, "manage.py", "check"])
    assert ok.returncode == 0, ok.stderr[-2000:]


def test_the_production_settings_pass_the_deployment_checks():
    checked = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="omnistore.settings.production",
        OMNISTORE_ENV="production",
        SECRET_KEY="k" * 30 + "-production-secret-for-the-check-" + "z" * 20,
        ALLOWED_HOSTS="omnistore.example.com",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/unused",
        REDIS_URL="redis://127.0.0.1:1/0",
        STRIPE_SECRET_KEY="sk_live_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
        OMNISTORE_SITE_URL="https://omnistore.example.com",
        OMNISTORE_STOREFRONT_URL="https://www.brand.example",
        OMNISTORE_SMS_BACKEND="provider.messages.SMSBackend",
        OMNISTORE_PUSH_BACKEND="provider.messages.PushBackend",
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "no issues" in checked.stdout


def test_the_deployment_checks_say_when_messages_would_not_leave():
    """Left to their defaults, production settings send email by SMTP; a console
    backend set on purpose, text messages printed and links to a development
    address are each named by ``check --deploy``."""
    checked = run(
        [sys.executable, "manage.py", "check", "--deploy"],
        DJANGO_SETTINGS_MODULE="omnistore.settings.production",
        SECRET_KEY="k" * 30 + "-production-secret-for-the-check-" + "z" * 20,
        DATABASE_URL="postgres://nobody@127.0.0.1:1/unused",
        REDIS_URL="redis://127.0.0.1:1/0",
        STRIPE_SECRET_KEY="sk_live_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    said = checked.stdout + checked.stderr
    assert "core.W001" in said and "printed in the log" in said
    assert "core.W002" in said  # the SMS and push backends print
    assert "core.W003" in said and "http://127.0.0.1:8000" in said
    assert "core.W004" in said  # campaign links to the back office's address
    smtp = run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.EMAIL_BACKEND)",
        ],
        DJANGO_SETTINGS_MODULE="omnistore.settings.production",
        SECRET_KEY="k" * 60,
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert smtp.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_production_settings_refuse_the_demo_data_and_its_public_logins():
    refused = run(
        [sys.executable, "manage.py", "seed_demo"],
        DJANGO_SETTINGS_MODULE="omnistore.settings.production",
        SECRET_KEY="k" * 60,
        DATABASE_URL="postgres://nobody@127.0.0.1:1/unused",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert refused.returncode != 0
    assert "public password" in refused.stderr


def test_an_error_is_logged_once():
    """Django's records reach the console once (not by its own handler and again by
    the root's), in the demo's settings as on a server."""
    script = (
        "import logging, django; django.setup(); "
        "logging.getLogger('django.request').error('Internal Server Error: /x/')"
    )
    shown = run(
        [sys.executable, "-c", script],
        DJANGO_SETTINGS_MODULE="omnistore.settings.dev",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr.count("Internal Server Error: /x/") == 1, shown.stderr


def test_the_shell_imports_every_model_by_itself():
    """``manage.py shell`` imports every model, the admin's history models too,
    without a complaint."""
    shell = run(
        [sys.executable, "manage.py", "shell", "-v", "2", "-c", "print(Register)"],
        DATABASE_URL="sqlite:///:memory:",
    )
    assert shell.returncode == 0, shell.stderr[-2000:]
    assert "could not be automatically imported" not in shell.stdout + shell.stderr
    assert "HistoricalRegister" in shell.stdout
    assert "HistoricalDiscountCode" in shell.stdout
