"""The cluster the proofs run against: started by ``bench/cluster.py up`` (``make
cluster-test`` does it), found through OMNISTORE_CLUSTER_DIR. Requests go through
nginx like a browser's; test data is written through the project's own services in
a ``manage.py shell`` with the cluster's environment; counts are read on the primary."""

from __future__ import annotations

import email
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "bench" / "cluster.py"
SEPARATOR = "-" * 79


class Cluster:
    def __init__(self, state: dict):
        self.state = state
        self.dir = Path(state["dir"])
        self.ports = state["ports"]
        self.url = f"http://127.0.0.1:{self.ports['nginx']}"

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def run(self, *args: str) -> str:
        """``bench/cluster.py`` with this cluster's folder; its output."""
        env = {**os.environ, "OMNISTORE_CLUSTER_DIR": str(self.dir)}
        done = subprocess.run(
            [sys.executable, str(CLUSTER), *args],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def shell(self, code: str) -> dict:
        """Run ``code`` in a manage.py shell on the cluster; the JSON it prints last."""
        out = self.run("manage", "shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def sql(self, query: str, params=(), port: str = "primary") -> list:
        import psycopg

        url = f"postgres://postgres@127.0.0.1:{self.ports[port]}/omnistore"
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()

    def upstreams(self, method: str, path: str) -> Counter:
        """The app servers nginx sent ``method path`` requests to, counted."""
        log = (self.dir / "nginx-access.log").read_text()
        pattern = re.compile(
            rf'"{method} {re.escape(path)}[^"]*" \d+ .* upstream=(\S+)'
        )
        return Counter(m.group(1) for m in pattern.finditer(log))

    def mailed_subjects(self) -> Counter:
        """Every email written by the workers, by subject."""
        subjects = Counter()
        for path in (self.dir / "mail").glob("*"):
            for raw in path.read_text(errors="replace").split(SEPARATOR):
                if raw.strip():
                    subjects[
                        str(email.message_from_string(raw.lstrip())["Subject"])
                    ] += 1
        return subjects

    def wait_outbox_drained(self, seconds: float = 120) -> None:
        """Until no outbox row is left to deliver (each poll is one query)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            left = self.sql(
                "SELECT count(*) FROM core_outboxmessage WHERE processed_at IS NULL"
            )[0][0]
            if left == 0:
                return
            time.sleep(0.5)
        raise AssertionError(f"{left} outbox rows still pending after {seconds} s")


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    state = Path(os.environ.get("OMNISTORE_CLUSTER_DIR", "/nonexistent")) / "state.json"
    if not state.exists():
        pytest.skip("no cluster running (make cluster-test starts one)")
    return Cluster(json.loads(state.read_text()))


SEED = """
import json
from rest_framework.authtoken.models import Token
from tests.factories import LocationFactory, ProductFactory, UserFactory, VariantFactory, stock
tag = {tag!r}
from decimal import Decimal
lat, lng = {lat!r}, {lng!r}
shop = LocationFactory(code=f"C{{tag[:8]}}", name=f"Cluster shop {{tag}}",
                       latitude=Decimal(lat), longitude=Decimal(lng))
product = ProductFactory(name=f"Cluster shirt {{tag}}")
variant = VariantFactory(product=product, sku=f"CL-{{tag}}", barcode=str(int(tag[:10], 16))[:13])
stock(variant, shop, {units})
user = UserFactory(username=f"cluster-{{tag}}")
token = Token.objects.create(user=user)
print(json.dumps({{"shop": shop.pk, "product": product.pk, "variant": variant.pk,
                  "name": product.name, "token": token.key, "lat": lat, "lng": lng}}))
"""


@pytest.fixture
def seed(cluster):
    """A shop with ``units`` of a new variant, and a signed-in customer's token."""

    def make(units: int) -> dict:
        tag = uuid.uuid4().hex
        # A place of its own, so the shop is the nearest to its coordinates.
        lat, lng = f"{random.uniform(-50, 50):.4f}", f"{random.uniform(-150, 150):.4f}"
        return cluster.shell(SEED.format(tag=tag, units=units, lat=lat, lng=lng))

    return make


def checkout(client: httpx.Client, data: dict, email: str = "", **headers):
    """Start a cart, add one unit, collect it at the seeded shop: the checkout's
    response."""
    started = client.post("/api/v1/cart/", headers=headers)
    assert started.status_code in (200, 201), started.text
    token = started.json()["token"]
    headers = {**headers, **({"X-Cart-Token": token} if token else {})}
    added = client.post(
        "/api/v1/cart/lines/",
        json={"lines": [{"variant": data["variant"], "quantity": 1}]},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    body = {
        "fulfilment": "pickup",
        "store": data["shop"],
        "payment": {"method": "card_online", "token": "tok_visa"},
    }
    if email:
        body["email"] = email
    return client.post("/api/v1/checkout/", json=body, headers=headers)
