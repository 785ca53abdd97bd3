"""Two app servers behind nginx sell the last units once: the stock row guards them in
the database, whichever server a request lands on."""

import threading

import pytest

from .conftest import checkout

pytestmark = pytest.mark.cluster

BUYERS = 200
UNITS = 10


def test_200_concurrent_checkouts_for_10_units_make_exactly_10_orders(cluster, seed):
    data = seed(UNITS)
    statuses: list[int] = []
    start = threading.Barrier(BUYERS)

    def buy(n: int) -> None:
        with cluster.client() as client:
            start.wait()
            response = checkout(
                client, data, email=f"buyer{n}-{data['variant']}@example.com"
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == BUYERS
    assert statuses.count(201) == UNITS, sorted(set(statuses))
    assert set(statuses) <= {201, 409}, sorted(set(statuses))
    orders = cluster.sql(
        "SELECT count(DISTINCT l.order_id), coalesce(sum(l.quantity), 0)"
        " FROM orders_orderline l WHERE l.variant_id = %s",
        [data["variant"]],
    )
    assert orders == [(UNITS, UNITS)]
    level = cluster.sql(
        "SELECT on_hand, reserved FROM inventory_stocklevel WHERE variant_id = %s",
        [data["variant"]],
    )
    assert level == [(UNITS, UNITS)]
    # Both app servers took checkouts; the books still agree with the ledger.
    servers = cluster.upstreams("POST", "/api/v1/checkout/")
    assert len(servers) == 2 and min(servers.values()) > 0, servers
    assert "OK" in cluster.run("manage", "check_stock_ledger")
