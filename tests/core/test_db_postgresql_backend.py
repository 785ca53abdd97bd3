"""A kept PostgreSQL connection is checked before a request uses it only after it sat
unused; a broken one is then replaced without failing the request."""

import time

import pytest
from django.db import OperationalError, connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def idle_after():
    saved = connection.settings_dict.get("HEALTH_CHECK_AFTER_IDLE")
    saved_checks = connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.health_check_enabled = True

    def set_idle(seconds):
        connection.settings_dict["HEALTH_CHECK_AFTER_IDLE"] = seconds

    yield set_idle
    connection.settings_dict["HEALTH_CHECK_AFTER_IDLE"] = saved
    connection.settings_dict["CONN_HEALTH_CHECKS"] = saved_checks
    connection.health_check_enabled = saved_checks
    connection.close()


def request_uses_database():
    """What a request does with the kept connection: the start-of-request check of
    Django's ``close_old_connections``, then a query."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        return cursor.fetchone()[0]


def kill_server_side_of_the_connection():
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    time.sleep(0.2)


def test_a_connection_idle_long_enough_is_checked_and_replaced(idle_after):
    idle_after(0.05)
    assert request_uses_database() == 42
    kill_server_side_of_the_connection()
    time.sleep(0.1)
    assert request_uses_database() == 42  # the check found it dead and reconnected


def test_a_connection_used_moments_ago_is_not_checked_and_recovers_after_one_failure(
    idle_after,
):
    idle_after(60)
    assert request_uses_database() == 42
    kill_server_side_of_the_connection()
    with pytest.raises(OperationalError):
        request_uses_database()  # no round trip spent on a check: this request fails
    assert request_uses_database() == 42  # the next one gets a new connection


def test_with_no_idle_time_every_request_is_checked(idle_after):
    idle_after(0)
    assert request_uses_database() == 42
    kill_server_side_of_the_connection()
    assert request_uses_database() == 42
