"""The CPU a webhook worker spends per delivery, in one process.

    bash .ci/pg.sh .venv/bin/python bench/webhook_cpu.py

It migrates a throwaway database, registers the checkout benchmark's subscriber (on
loopback, answering 204), and in each of ``WEBHOOK_CPU_ROUNDS`` rounds (7) raises
``WEBHOOK_CPU_ORDERS`` (300) checkouts' worth of events (``order.placed`` and
``stock.changed``, one transaction each), then times ``deliver_webhooks`` until
nothing is due with this thread's CPU clock (``time.thread_time``): the claims, the
signed calls over kept connections and the answers recorded, without the subscriber
(another process, or another thread) or PostgreSQL. It prints each round and the
median.
"""

from __future__ import annotations

import os
import statistics
import time

from flow_cpu import _setup
from processes import stop_children

ROUNDS = int(os.environ.get("WEBHOOK_CPU_ROUNDS", "7"))
ORDERS = int(os.environ.get("WEBHOOK_CPU_ORDERS", "300"))


def main() -> None:
    _setup()
    from checkout_realism import start_receiver, subscribe
    from django.core.management import call_command
    from django.db import transaction

    from omnistore.core import webhooks
    from omnistore.core.models import WebhookDelivery

    call_command("migrate", verbosity=0)
    subscribe(start_receiver(), 0)
    per_delivery = []
    for round_ in range(ROUNDS):
        for n in range(ORDERS):
            with transaction.atomic(), webhooks.gathered():
                number = f"OS-{round_}-{n}"
                webhooks.emit("order.placed", {"number": number, "total": "12.30"})
                webhooks.emit("stock.changed", {"sku": "A", "available": 5})
        made = 0
        started = time.thread_time()
        while attempted := webhooks.deliver_webhooks(limit=100):
            made += attempted
        spent = time.thread_time() - started
        per_delivery.append(spent / made * 1000)
        pending = WebhookDelivery.objects.exclude(status="delivered").count()
        print(
            f"round {round_ + 1}: {made} deliveries, {per_delivery[-1]:.3f} ms of CPU "
            f"each, {pending} not delivered",
            flush=True,
        )
    print(f"median: {statistics.median(per_delivery):.3f} ms of CPU per delivery")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_children()
