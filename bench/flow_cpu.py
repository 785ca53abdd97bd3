"""The CPU one storefront flow costs, friendly against realistic, measured in one
process so the machine's speed and its neighbours do not enter the comparison.

    PG_DURABLE=1 bash .ci/pg.sh .venv/bin/python bench/flow_cpu.py

It seeds the checkout benchmark's data (``BENCH_VARIANTS``, ``BENCH_SHOPS``,
``BENCH_CUSTOMERS``, ``BENCH_ORDERS``), registers a webhook subscriber on loopback
and turns on every automation, as ``bench/checkout.py`` does for the realistic flow.
Then, in blocks of ``FLOW_CPU_N`` flows (200) in the order F R R F repeated
``FLOW_CPU_ROUNDS`` times (3), it places each flow's three requests through Django's
test client (the whole middleware and DRF stack, no HTTP server) and then drains what
the flows left for the workers (the outbox and the webhook deliveries), timing each
part with ``time.process_time``: the Python a web worker and a Celery worker spend
per flow. PostgreSQL's own CPU and the HTTP servers' are not in these figures (the
load benchmark has them). The subscriber and the automations are switched off for
the friendly blocks.
"""

from __future__ import annotations

import os
import random
import secrets
import sys
import time
import uuid

from common import ROOT
from processes import start_broker, stop_children

N = int(os.environ.get("FLOW_CPU_N", "200"))
ROUNDS = int(os.environ.get("FLOW_CPU_ROUNDS", "3"))
HOST = {"HTTP_HOST": "localhost", "secure": True}


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "omnistore.settings.bench",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "localhost",
            "THROTTLE_ANON": "1000000/second",
            "THROTTLE_USER": "1000000/second",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "ERROR",
            "OMNISTORE_WEBHOOK_ALLOW_HTTP": "1",
            "OMNISTORE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "REDIS_URL": start_broker(),
        }
    )
    import django

    django.setup()


def place_flow(client, data, rng: random.Random, realistic: bool) -> None:
    """One purchase's three requests through Django's test ``client``, each answer
    checked (201 for the lines and the order)."""
    from checkout_flow import flow_requests

    lines, checkout = flow_requests(data, rng, realistic=realistic)
    kind = "application/json"
    token = client.post("/api/v1/cart/", content_type=kind, **HOST).json()["token"]
    added = client.post(
        "/api/v1/cart/lines/", lines, content_type=kind, HTTP_X_CART_TOKEN=token, **HOST
    )
    assert added.status_code == 201, added.content
    placed = client.post(
        "/api/v1/checkout/",
        checkout,
        content_type=kind,
        HTTP_X_CART_TOKEN=token,
        HTTP_IDEMPOTENCY_KEY=str(uuid.UUID(int=rng.getrandbits(128))),
        **HOST,
    )
    assert placed.status_code == 201, placed.content


def _drain() -> None:
    from omnistore.core.outbox import drain
    from omnistore.core.webhooks import deliver_webhooks

    while drain() or deliver_webhooks(limit=100):
        pass


def _block(client, data, rng, realistic: bool) -> tuple[float, float]:
    """Milliseconds of CPU per flow: the web side, then the workers' side."""
    start = time.process_time()
    for _ in range(N):
        place_flow(client, data, rng, realistic)
    web = time.process_time() - start
    start = time.process_time()
    _drain()
    return web / N * 1000, (time.process_time() - start) / N * 1000


def main() -> None:
    _setup()
    from checkout_realism import realistic_day, start_receiver, subscribe
    from checkout_seed import seed
    from django.test import Client

    data = seed()
    endpoint = subscribe(start_receiver(), 0)
    client, rng = Client(), random.Random(3)
    for realistic in (False, True):  # warm both paths
        realistic_day(endpoint, realistic, 0)
        for _ in range(30):
            place_flow(client, data, rng, realistic)
        _drain()
    sums = {False: [0.0, 0.0], True: [0.0, 0.0]}
    print(f"{N} flows a block, CPU ms per flow (web, workers):")
    for _ in range(ROUNDS):
        for realistic in (False, True, True, False):
            realistic_day(endpoint, realistic, 0)
            _drain()
            web, workers = _block(client, data, rng, realistic)
            sums[realistic][0] += web
            sums[realistic][1] += workers
            name = "realistic" if realistic else "friendly "
            print(f"  {name} {web:6.2f} {workers:6.2f}", flush=True)
    blocks = 2 * ROUNDS
    friendly = [value / blocks for value in sums[False]]
    realistic = [value / blocks for value in sums[True]]
    for name, (web, workers) in (("friendly", friendly), ("realistic", realistic)):
        print(
            f"{name:9} web {web:.2f}, workers {workers:.2f}, total {web + workers:.2f}"
        )
    print(
        f"realistic/friendly CPU per flow: {sum(realistic) / sum(friendly):.0%} "
        f"(web {realistic[0] / friendly[0]:.0%}, workers "
        f"{realistic[1] / friendly[1]:.0%})"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_children()
