"""Finding 6: Redis frozen (SIGSTOP) costs a checkout at most one short kick timeout,
whatever the number of outbox rows and webhook deliveries it writes; the periodic
drain and webhook task deliver them once Redis is back."""

import pytest

from omnistore.core.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.faults.shop import buy, stocked_warehouse
from tests.faults.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]
ORDERS = 6


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


def test_a_frozen_redis_does_not_slow_checkouts(
    stack, redis, smtp, fake_stripe, receiver
):
    stack.env["OMNISTORE_OUTBOX_DRAIN_EVERY"] = "2"
    _, item = stocked_warehouse()
    for name in ("erp", "crm"):  # each checkout queues several deliveries
        WebhookEndpoint.objects.create(name=name, url=receiver.url, secret="s" * 32)
    stack.web(workers=2)
    stack.worker()
    stack.worker("webhooks", queues="webhooks", pool="threads")
    stack.beat(stack.tmp / "beat-schedule")
    assert buy(stack, fake_stripe, item, "warm@example.com").status == 201
    rows_per_checkout = OutboxMessage.objects.filter(topic="orders.placed").count()
    deliveries_per_checkout = WebhookDelivery.objects.count()

    redis.pause()
    try:
        answers = [
            buy(stack, fake_stripe, item, f"frozen{n}@example.com")
            for n in range(ORDERS)
        ]
    finally:
        redis.resume()

    emails = {"warm@example.com"} | {f"frozen{n}@example.com" for n in range(ORDERS)}
    wait_for(
        lambda: set(smtp.per_recipient("Your order")) == emails,
        timeout=120,
        what="every receipt after Redis is back",
    )
    wait_for(
        lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(),
        timeout=120,
        what="every webhook delivered",
    )
    seconds = sorted(a.seconds for a in answers)
    receipts = smtp.per_recipient("Your order")
    print(
        f"\nFAULT hung redis: {rows_per_checkout} outbox rows and "
        f"{deliveries_per_checkout} webhook deliveries per checkout; "
        f"{ORDERS} checkouts with Redis frozen took "
        + ", ".join(f"{s:.2f}" for s in seconds)
        + f" s; receipts {sum(receipts.values())} for {len(emails)} orders; "
        f"webhooks {WebhookDelivery.objects.count()} delivered, "
        f"{sum(receiver.per_key().values())} POSTs"
    )
    # each of them once cost a kick (~1 s with Redis frozen); now the commit's one
    assert rows_per_checkout == 1 and deliveries_per_checkout >= 4
    assert [a.status for a in answers] == [201] * ORDERS
    assert seconds[-1] < 3  # one kick at most, 0.25 s; before: ~1 s per row (7+ s)
    assert max(receipts.values()) == 1
    assert max(receiver.per_key().values()) == 1
    assert len(receiver.per_key()) == WebhookDelivery.objects.count()
