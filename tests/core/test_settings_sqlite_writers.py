"""On SQLite (the demo), two requests that read and then write at the same time both
succeed, one after the other: neither fails with "database is locked"."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connections, transaction

WRITERS = 4


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """Makes a database alias for a file of the test's own, outside the test
    database, and removes it afterwards."""
    made = []

    def make(options: dict) -> str:
        alias = f"sqlite_file_{len(made)}"
        connections.settings[alias] = _file_settings(tmp_path / f"{alias}.db", options)
        made.append(alias)
        return alias

    with django_db_blocker.unblock():
        yield make
    for alias in made:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def _file_settings(path, options: dict) -> dict:
    return {
        **connections.settings["default"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": options,
        "CONN_MAX_AGE": 0,
        "TEST": {},
    }


def _read_then_write(alias: str, errors: list, start: threading.Barrier) -> None:
    try:
        start.wait()
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM note")
            (count,) = cursor.fetchone()
            time.sleep(0.05)  # the others read meanwhile
            cursor.execute("INSERT INTO note (n) VALUES (%s)", [count])
    except Exception as error:  # noqa: BLE001 - what each writer met is the result
        errors.append(repr(error))
    finally:
        connections[alias].close()


def _run(alias: str) -> tuple[list, int]:
    with connections[alias].cursor() as cursor:
        cursor.execute("CREATE TABLE note (n integer)")
    connections[alias].close()
    errors: list = []
    start = threading.Barrier(WRITERS)
    threads = [
        threading.Thread(target=_read_then_write, args=(alias, errors, start))
        for _ in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT n FROM note ORDER BY n")
        counts = [row[0] for row in cursor.fetchall()]
    connections[alias].close()
    return errors, counts


def test_concurrent_read_then_write_transactions_all_commit_in_turn(file_database):
    errors, counts = _run(file_database(dict(settings.SQLITE_OPTIONS)))
    assert errors == []
    assert counts == list(range(WRITERS))  # each saw the ones before it


def test_without_the_settings_they_would_fail(file_database):
    """The same writers with a plain busy timeout: the failure the settings avoid."""
    errors, counts = _run(file_database({"timeout": 20}))
    assert errors and all("database is locked" in error for error in errors)
    assert len(counts) == WRITERS - len(errors)
