"""Two Celery workers drain one outbox: every receipt leaves exactly once, and both
workers take part (rows are claimed with SKIP LOCKED)."""

import threading

import pytest

from .conftest import checkout

pytestmark = pytest.mark.cluster

ORDERS = 40

DRAINS = """
import json
from omnistore.core.tasks import drain_outbox
for _ in range(6):
    drain_outbox.delay()
print(json.dumps({"queued": 6}))
"""


def test_two_workers_deliver_every_receipt_once(cluster, seed):
    data = seed(ORDERS)
    numbers: list[str] = []

    def buy(n: int) -> None:
        with cluster.client() as client:
            response = checkout(
                client, data, email=f"receipt{n}-{data['variant']}@example.com"
            )
            assert response.status_code == 201, response.text
            numbers.append(response.json()["number"])

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(ORDERS)]
    for thread in threads:
        thread.start()
    cluster.shell(DRAINS)  # drains racing the ones the commits kicked
    for thread in threads:
        thread.join()
    cluster.wait_outbox_drained()

    assert len(numbers) == ORDERS
    subjects = cluster.mailed_subjects()
    sent = {n: subjects[f"Your order {n}"] for n in numbers}
    assert set(sent.values()) == {1}, {n: c for n, c in sent.items() if c != 1}
    workers = [
        (cluster.dir / f"worker{n}.log").read_text().count("drain_outbox")
        for n in (1, 2)
    ]
    assert all(workers), workers
