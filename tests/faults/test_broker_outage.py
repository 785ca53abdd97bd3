"""Finding 1: Redis killed under load and started again: the Celery worker survives
(restoring its unacknowledged messages), and every receipt leaves once."""

import threading

import pytest
from celery import Celery

from omnistore.core.models import OutboxMessage
from orders.models import Order
from tests.faults.shop import buy, stocked_warehouse
from tests.faults.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def test_the_worker_survives_a_broker_restart_under_load(
    stack, redis, smtp, fake_stripe
):
    stack.env["OMNISTORE_OUTBOX_DRAIN_EVERY"] = "2"
    _, item = stocked_warehouse()
    stack.web()
    stack.worker(pool="prefork")
    stack.beat(stack.tmp / "beat-schedule")
    # Tasks the worker holds unacknowledged (ETA in the future) when the broker dies.
    broker = Celery(broker=redis.url)
    for _ in range(20):
        broker.send_task("omnistore.core.tasks.drain_outbox", countdown=60)
    broker.close()
    answers, emails = [], []
    stop = threading.Event()

    def shop():
        n = 0
        while not stop.is_set():
            email = f"load{n}@example.com"
            answer = buy(stack, fake_stripe, item, email)
            if answer.status == 201:
                emails.append(email)
            answers.append(answer.status)
            n += 1

    load = threading.Thread(target=shop)
    load.start()
    wait_for(lambda: len(emails) >= 5, timeout=60, what="orders before the outage")
    redis.kill()
    stop.wait(3)
    redis.start()
    wait_for(lambda: len(emails) >= 25, timeout=120, what="orders after the outage")
    stop.set()
    load.join()

    wait_for(
        lambda: (
            len(smtp.per_recipient("Your order")) == len(emails)
            or not stack.alive("worker")
        ),
        timeout=120,
        what="every receipt",
    )
    assert stack.alive("worker"), stack.log("worker")[-3000:]
    receipts = smtp.per_recipient("Your order")
    print(
        f"\nFAULT broker: {len(emails)} orders ({len(answers)} checkouts, "
        f"{answers.count(201)} placed) across a Redis kill and restart; worker alive: "
        f"{stack.alive('worker')}; receipts {sum(receipts.values())}, "
        f"twice {sum(1 for n in receipts.values() if n > 1)}"
    )
    assert stack.alive("worker"), stack.log("worker")[-3000:]
    assert "Unrecoverable error" not in stack.log("worker")
    assert Order.objects.count() == len(emails)
    assert set(receipts) == set(emails)
    assert max(receipts.values()) == 1
    # a receipt reaches the mail server just before its row's transaction commits
    wait_for(
        lambda: not OutboxMessage.objects.filter(processed_at__isnull=True).exists(),
        timeout=30,
        what="every outbox row marked delivered",
    )
