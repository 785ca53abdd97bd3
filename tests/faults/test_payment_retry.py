"""Finding 11: the card is taken inside the checkout transaction. A web worker killed
after the capture and before the commit loses the order, not the money; the client
retries the same cart without an Idempotency-Key, and the provider sees the same key,
so the money is taken once and one order is written."""

import os
import signal
import subprocess
import threading

import psycopg
import pytest

from orders.models import Order
from tests.faults.shop import cart_intent, check_out, open_cart, stocked_warehouse
from tests.faults.stack import database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def captures(fake_stripe) -> list[str]:
    with fake_stripe.lock:
        return [key for method, path, key in fake_stripe.requests if "capture" in path]


def test_a_retry_after_a_worker_killed_mid_checkout_charges_once(stack, fake_stripe):
    stack.env["DB_LOCK_TIMEOUT_MS"] = "60000"
    _, item = stocked_warehouse()
    web = stack.web(workers=1)
    token = open_cart(stack, item)
    intent = cart_intent(fake_stripe, token, 3000)
    first = []

    with psycopg.connect(database_url(), autocommit=False) as other:
        # The checkout's last write (its outbox row) waits behind this lock, after
        # the card was captured.
        other.execute("LOCK TABLE core_outboxmessage IN SHARE MODE")
        thread = threading.Thread(
            target=lambda: first.append(
                check_out(stack, token, intent, "ada@example.com")
            )
        )
        thread.start()
        wait_for(lambda: captures(fake_stripe), timeout=30, what="the capture")
        workers = subprocess.run(
            ["pgrep", "-P", str(web.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in workers:
            os.kill(int(pid), signal.SIGKILL)  # the web worker dies mid-transaction
        thread.join()
        other.rollback()

    assert not Order.objects.exists()  # the order went with the worker
    retry = check_out(stack, token, intent, "ada@example.com")  # no Idempotency-Key

    keys = captures(fake_stripe)
    print(
        f"\nFAULT payment retry: first answer {first[0].status}, worker(s) killed "
        f"{len(workers)}, retry {retry.status}; capture calls {len(keys)} with "
        f"{len(set(keys))} idempotency key(s) {keys}; orders {Order.objects.count()}"
    )
    assert first[0].status != 201
    assert retry.status == 201, retry.body
    assert Order.objects.count() == 1
    assert len(set(keys)) == 1  # one charge at the provider
    # The key names the cart, not an order number: a retry that reaches the
    # provider again (a provider charging per key) gets the first charge back.
    assert keys[0].startswith("capture:cart:")
    assert Order.objects.get().payments.get().provider_reference == intent
