"""Rows of the retired webhook wake-up topic left pending at the upgrade are marked
processed (their deliveries stay pending for the webhook worker); nothing else moves."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from omnistore.core import outbox
from omnistore.core.models import OutboxMessage

retired = importlib.import_module(
    "omnistore.core.migrations.0006_webhook_wake_rows_retired"
)


@pytest.mark.django_db
def test_pending_wake_up_rows_are_marked_processed_and_nothing_else():
    pending = OutboxMessage.objects.create(
        topic="core.webhook", payload={"delivery_id": 1}
    )
    other = OutboxMessage.objects.create(topic="orders.placed", payload={"order_id": 1})

    retired.retire(apps, connection.schema_editor())

    pending.refresh_from_db()
    other.refresh_from_db()
    assert pending.processed_at is not None
    assert other.processed_at is None


@pytest.mark.django_db
def test_a_wake_up_row_written_during_a_rolling_deploy_is_taken_without_error():
    """A web process of the previous release may still write the retired topic after
    the migration: the drain takes the row, with nothing to retry."""
    row = OutboxMessage.objects.create(topic="core.webhook", payload={"delivery_id": 1})
    assert outbox.drain() == 1
    row.refresh_from_db()
    assert row.processed_at is not None
    assert (row.attempts, row.last_error) == (1, "")  # taken at the first attempt
