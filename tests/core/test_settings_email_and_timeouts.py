"""Production reads its mail server and its database timeouts from the environment."""

from tests.core.production import production_json

SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'host': s.EMAIL_HOST, 'port': s.EMAIL_PORT, 'user': s.EMAIL_HOST_USER,"
    "'password': s.EMAIL_HOST_PASSWORD, 'tls': s.EMAIL_USE_TLS,"
    "'backend': s.EMAIL_BACKEND, 'path': getattr(s, 'EMAIL_FILE_PATH', None),"
    "'options': s.DATABASES['default']['OPTIONS'].get('options')}))"
)


def production(**env) -> dict:
    return production_json(SHOW, **env)


def test_the_mail_server_and_its_login_come_from_the_environment():
    found = production(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="shop",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_USE_TLS="1",
    )
    assert (found["host"], found["port"], found["user"], found["password"]) == (
        "smtp.example.com",
        587,
        "shop",
        "secret",
    )
    assert found["tls"] is True
    assert found["backend"] == "django.core.mail.backends.smtp.EmailBackend"


def test_the_file_backend_writes_where_the_environment_says():
    found = production(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH="/var/spool/omnistore-mail",
    )
    assert found["path"] == "/var/spool/omnistore-mail"


def test_postgresql_gives_up_on_locks_and_long_statements():
    assert production()["options"] == (
        "-c lock_timeout=2000 -c statement_timeout=20000"
        " -c idle_in_transaction_session_timeout=60000"
    )
    assert production(DB_LOCK_TIMEOUT_MS="500", DB_STATEMENT_TIMEOUT_MS="0")[
        "options"
    ].startswith("-c lock_timeout=500 -c statement_timeout=0 ")
