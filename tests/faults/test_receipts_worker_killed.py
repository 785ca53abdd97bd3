"""Finding 3: a worker killed in the middle of sending receipts sends none twice
beyond the one in flight, and a restarted worker sends the rest."""

import pytest

from omnistore.core.models import OutboxMessage
from orders.models import Order
from tests.faults.shop import buy, stocked_warehouse
from tests.faults.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

CUSTOMERS = 8


def test_a_worker_killed_mid_drain_sends_each_receipt_once(stack, smtp, fake_stripe):
    stack.env["OMNISTORE_OUTBOX_CLAIM_SECONDS"] = "3"
    stack.env["OMNISTORE_OUTBOX_DRAIN_EVERY"] = "1"
    smtp.delay = 0.4  # a relay that takes its time: the kill lands mid-batch
    _, item = stocked_warehouse()
    stack.web()
    emails = [f"customer{n}@example.com" for n in range(CUSTOMERS)]
    for address in emails:
        assert buy(stack, fake_stripe, item, address).status == 201
    stack.worker()

    wait_for(lambda: smtp.count("Your order") >= 3, timeout=60, what="3 receipts")
    stack.kill("worker")
    sent_before_kill = smtp.count("Your order")
    stack.beat(stack.tmp / "beat-schedule")
    stack.worker("worker2")
    wait_for(
        lambda: set(smtp.per_recipient("Your order")) == set(emails),
        timeout=90,
        what="every receipt",
    )
    wait_for(
        lambda: not OutboxMessage.objects.filter(processed_at__isnull=True).exists(),
        timeout=30,
        what="an empty outbox",
    )

    receipts = smtp.per_recipient("Your order")
    twice = sorted(address for address, n in receipts.items() if n > 1)
    print(
        f"\nFAULT receipts: {CUSTOMERS} orders, {sent_before_kill} receipts before the "
        f"kill, {sum(receipts.values())} in all, sent twice: {len(twice)}"
    )
    assert Order.objects.count() == CUSTOMERS
    assert len(twice) <= 1  # at most the one in flight when the worker died
    assert sum(receipts.values()) <= CUSTOMERS + 1
