"""Reads from a streaming replica: listings keep answering while its replay is paused
(stale, as a replica may be), a customer who just ordered still sees the order and
the stock it took, and when the replica is down every read comes from the primary."""

import time

import pytest

from .conftest import checkout

pytestmark = pytest.mark.cluster

NEW_PRODUCT = """
import json, uuid
from tests.factories import ProductFactory, VariantFactory
product = ProductFactory(name={name!r})
code = str(uuid.uuid4().int)[:13]
VariantFactory(product=product, sku="NEW-" + code, barcode=code)
print(json.dumps({{"product": product.pk}}))
"""


def found(client, name: str) -> bool:
    response = client.get("/api/v1/products/", params={"q": name})
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["results"]] == [name]


def units_at_the_shop(client, data) -> int:
    point = {"lat": data["lat"], "lng": data["lng"]}
    response = client.get(
        f"/api/v1/products/{data['product']}/availability/", params=point
    )
    assert response.status_code == 200, response.text
    stores = response.json()["variants"][0]["stores"]
    return next(s["available"] for s in stores if s["id"] == data["shop"])


def wait_until(check, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def paused_replica(cluster):
    cluster.run("replica", "pause")
    yield
    cluster.run("replica", "resume")


def test_a_paused_replica_serves_listings_and_the_buyer_reads_their_writes(
    cluster, seed, paused_replica
):
    data = seed(5)  # written after the pause: on the primary only
    name = f"Paused replica coat {data['variant']}"
    cluster.shell(NEW_PRODUCT.format(name=name))
    customer = {"Authorization": f"Token {data['token']}"}
    with cluster.client() as anonymous, cluster.client(headers=customer) as buyer:
        # Listings answer from the replica, which has not replayed the new rows.
        assert not found(anonymous, name)
        placed = checkout(buyer, data)
        assert placed.status_code == 201, placed.text
        number = placed.json()["number"]
        mine = buyer.get("/api/v1/orders/")
        assert mine.status_code == 200
        assert number in [o["number"] for o in mine.json()["results"]]
        assert buyer.get(f"/api/v1/orders/{number}/").status_code == 200
        # The buyer wrote a moment ago: their catalog reads come from the primary.
        assert found(buyer, name)
        assert units_at_the_shop(buyer, data) == 4
    lag = cluster.sql("SELECT pg_is_wal_replay_paused()", port="replica")
    assert lag == [(True,)]


def test_listings_catch_up_when_replay_resumes(cluster, seed):
    cluster.run("replica", "pause")
    try:
        data = seed(1)
        name = f"Resumed replica scarf {data['variant']}"
        cluster.shell(NEW_PRODUCT.format(name=name))
        with cluster.client() as anonymous:
            assert not found(anonymous, name)
            cluster.run("replica", "resume")
            assert wait_until(lambda: found(anonymous, name))
    finally:
        cluster.run("replica", "resume")


@pytest.fixture
def stopped_replica(cluster):
    cluster.run("replica", "stop")
    yield
    cluster.run("replica", "start")


def test_reads_fall_back_to_the_primary_when_the_replica_is_stopped(
    cluster, seed, stopped_replica
):
    data = seed(3)
    name = f"Stopped replica boots {data['variant']}"
    cluster.shell(NEW_PRODUCT.format(name=name))
    with cluster.client() as anonymous:
        for _ in range(8):  # across both servers and their workers
            assert found(anonymous, name)
            assert units_at_the_shop(anonymous, data) == 3
    servers = cluster.upstreams("GET", "/api/v1/products/?q=Stopped") + (
        cluster.upstreams("GET", f"/api/v1/products/{data['product']}/availability/")
    )
    assert len(servers) == 2, servers  # both app servers answered without it
