"""Finding 5: a webhook subscriber that takes 30 s delays no receipt and holds no
database transaction; its worker killed mid-call, the delivery is made again with the
same Idempotency-Key, and no other delivery is repeated."""

import time

import psycopg
import pytest

from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.faults.shop import buy, stocked_warehouse
from tests.faults.stack import database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]
ORDERS = 4


@pytest.fixture
def receiver():
    server = WebhookReceiver(slow_first=1, delay=30).start()
    yield server
    server.stop()


def longest_transaction(url: str) -> float:
    with psycopg.connect(url, autocommit=True) as admin:
        return admin.execute(
            "SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0)"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        ).fetchone()[0]


def test_a_slow_subscriber_delays_no_receipt_and_a_killed_call_is_not_doubled(
    stack, smtp, fake_stripe, receiver
):
    stack.env["OMNISTORE_OUTBOX_DRAIN_EVERY"] = "2"
    stack.env["OMNISTORE_WEBHOOK_TIMEOUT"] = "35"
    _, item = stocked_warehouse()
    WebhookEndpoint.objects.create(name="slow", url=receiver.url, secret="s" * 32)
    stack.web(workers=2)
    stack.worker()
    stack.worker("webhooks", queues="webhooks", pool="threads")
    stack.beat(stack.tmp / "beat-schedule")

    placed = {}
    for n in range(ORDERS):
        email = f"hook{n}@example.com"
        assert buy(stack, fake_stripe, item, email).status == 201
        placed[email] = time.monotonic()
    wait_for(
        lambda: set(smtp.per_recipient("Your order")) == set(placed),
        timeout=60,
        what="every receipt while the subscriber sleeps",
    )
    receipts_after = time.monotonic() - max(placed.values())
    held = longest_transaction(database_url())
    assert receiver.slow_first <= 0  # the slow call is under way
    # The other calls answered and recorded first (a call answered but not yet
    # recorded when its worker dies is made again too, with its key): then the
    # slow call is the only one in flight.
    wait_for(
        lambda: receiver.quiet_for() > 2,
        timeout=25,
        what="the other deliveries answered, the slow call still under way",
    )
    # Deliveries not recorded as made when the worker dies: the slow call, and on a
    # loaded machine perhaps one answered a moment ago. Only these may be made again.
    unrecorded = {
        f"omnistore-webhook-{pk}"
        for pk in WebhookDelivery.objects.exclude(status="delivered").values_list(
            "pk", flat=True
        )
    }
    stack.kill("webhooks")  # mid-call: the subscriber still answers, to no one
    stack.worker("webhooks2", queues="webhooks", pool="threads")
    wait_for(
        lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(),
        timeout=120,
        what="every webhook delivered",
    )

    keys = receiver.per_key()
    deliveries = WebhookDelivery.objects.count()
    print(
        f"\nFAULT slow webhook: receipts of {ORDERS} orders out within "
        f"{receipts_after:.2f} s while the subscriber slept 30 s; longest open "
        f"transaction then {held:.2f} s; {deliveries} deliveries, "
        f"{sum(keys.values())} POSTs, keys seen twice: "
        f"{sum(1 for n in keys.values() if n > 1)}"
    )
    assert max(smtp.per_recipient("Your order").values()) == 1
    assert receipts_after < 15
    assert held < 5
    assert len(keys) == deliveries
    # Only calls in flight (made, not yet recorded) when the worker died were made
    # again, each once more, with its key.
    again = {key for key, n in keys.items() if n > 1}
    assert again <= unrecorded, (again, unrecorded)
    assert max(keys.values()) <= 2
