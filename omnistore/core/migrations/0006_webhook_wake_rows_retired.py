"""Webhook deliveries no longer have outbox rows of their own: the drain that a commit
kicks wakes the webhook worker. Rows of the retired topic left pending are marked
processed (their deliveries stay pending and are made by the webhook worker); rows a
web process of the previous release writes during a rolling deploy are taken by a
handler that does nothing (``omnistore.core.webhooks``)."""

from django.db import migrations
from django.utils import timezone

RETIRED_TOPIC = "core.webhook"


def retire(apps, schema_editor):
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    OutboxMessage.objects.using(schema_editor.connection.alias).filter(
        topic=RETIRED_TOPIC, processed_at__isnull=True
    ).update(processed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("core", "0005_webhook_pending_index")]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
