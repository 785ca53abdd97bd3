"""What could not be sent is tried for about a day, then waits for a person: the
platform admin filters what was given up and sends it again once the cause is fixed
(the relay back, the subscriber answering), each row logged."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.urls import reverse

from omnistore.core import outbox, webhooks
from omnistore.core.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from tests.core.test_services_webhooks import SECRET, receiver  # noqa: F401

relay = {"down": True, "sent": []}


@outbox.handler("tests.relay")
def _relay(payload):
    if relay["down"]:
        raise ConnectionRefusedError("relay down")
    relay["sent"].append(payload)


@pytest.fixture(autouse=True)
def _relay_down():
    relay.update(down=True, sent=[])


def test_retries_wait_longer_each_time_up_to_an_hour_for_about_a_day():
    waits = [outbox.retry_delay(n) for n in range(1, outbox.MAX_ATTEMPTS)]
    assert waits[0] == timedelta(seconds=60)
    assert waits == sorted(waits)
    assert max(waits) == timedelta(hours=1)
    assert timedelta(hours=20) < sum(waits, timedelta()) < timedelta(hours=30)


def given_up_rows(admin_client) -> str:
    url = reverse("admin:core_outboxmessage_changelist")
    return admin_client.get(url, {"state": "given_up"}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_message_given_up_is_sent_again_from_the_admin(admin_client):
    with transaction.atomic():
        outbox.enqueue("tests.relay", {"receipt": "OS-1"})
    row = OutboxMessage.objects.get()
    for _ in range(outbox.MAX_ATTEMPTS + 2):  # time passes: every retry comes due
        OutboxMessage.objects.update(available_at=None)
        outbox.drain()
    row.refresh_from_db()
    assert (row.attempts, row.processed_at) == (outbox.MAX_ATTEMPTS, None)
    assert "relay down" in row.last_error
    assert f"/admin/core/outboxmessage/{row.pk}/change/" in given_up_rows(admin_client)

    relay["down"] = False
    answer = admin_client.post(
        reverse("admin:core_outboxmessage_changelist"),
        {"action": "send_again", "_selected_action": [row.pk]},
        follow=True,
    )

    assert "1 message is due again now." in answer.content.decode()
    assert relay["sent"] == [{"receipt": "OS-1"}]  # the drain it started sent it
    row.refresh_from_db()
    assert row.processed_at is not None
    assert f"/{row.pk}/change/" not in given_up_rows(admin_client)
    assert LogEntry.objects.get(object_id=str(row.pk)).change_message == "Sent again"


@pytest.mark.django_db(transaction=True)
def test_a_failed_webhook_delivery_is_delivered_again_with_its_key(
    admin_client,
    receiver,  # noqa: F811
):
    WebhookEndpoint.objects.create(name="erp", url=receiver.url, secret=SECRET)
    receiver.statuses = [503]
    with transaction.atomic():
        webhooks.emit("order.placed", {"number": "OS-2"})  # refused: tried again later
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    # A day of refusals later: the last attempt allowed is refused too.
    WebhookDelivery.objects.update(
        attempts=outbox.MAX_ATTEMPTS - 1, next_attempt_at=None
    )
    receiver.statuses = [503]
    webhooks.deliver_webhooks()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED

    answer = admin_client.post(
        reverse("admin:core_webhookdelivery_changelist"),
        {"action": "deliver_again", "_selected_action": [delivery.pk]},
        follow=True,
    )

    assert "1 delivery is due again now." in answer.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.requests}
    assert keys == {f"omnistore-webhook-{delivery.pk}"}  # the same key every time
    assert LogEntry.objects.get(object_id=str(delivery.pk)).change_message == (
        "Delivered again"
    )
