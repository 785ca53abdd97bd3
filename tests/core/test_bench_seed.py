"""The checkout benchmark's data: its bulk load still fits the schema, and the flows
it drives place orders on it."""

import random
import sys

import pytest
from django.conf import settings
from django.db import connection

from orders.models import Order

sys.path.append(str(settings.BASE_DIR / "bench"))

import checkout_seed  # noqa: E402
from checkout_rawsql import write_order  # noqa: E402
from flow_cpu import place_flow  # noqa: E402

SEEDED = r"^OS-H[0-9]{9}$"  # the history's numbers; placed ones are OS-XXXXX-XXXXX
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def small(monkeypatch):
    for name, value in {
        "N_VARIANTS": 50,
        "N_SHOPS": 4,
        "N_CUSTOMERS": 30,
        "N_ORDERS": 40,
        "HOT": 10,
    }.items():
        monkeypatch.setattr(checkout_seed, name, value)
    with connection.cursor() as cur:
        checkout_seed.seed_catalogue(cur)
        checkout_seed.seed_locations(cur)
        checkout_seed.seed_stock(cur)
    checkout_seed.seed_customers()
    with connection.cursor() as cur:
        checkout_seed.seed_order_history(cur)
    return checkout_seed.flow_ids()


def test_the_seeded_history_is_loaded_whole(small):
    assert Order.objects.filter(number__regex=SEEDED).count() == 40
    assert len(small["shops"]) == 4
    assert len(small["hot"]) == 10


@pytest.mark.parametrize("realistic", [False, True])
def test_the_benchmark_flows_place_orders_on_the_seeded_data(small, client, realistic):
    rng = random.Random(5)
    for _ in range(4):
        place_flow(client, small, rng, realistic)  # asserts each answer: 201
    assert Order.objects.exclude(number__regex=SEEDED).count() == 4


def test_the_raw_sql_comparison_writes_an_order_on_the_seeded_data(small):
    customer = Order.objects.filter(number__regex=SEEDED).first().customer_id
    with connection.cursor() as cur:
        write_order(cur, "OS-RBENCH01", customer, small["shops"][0], small["hot"][:2])
    order = Order.objects.get(number="OS-RBENCH01")
    assert order.lines.count() == 2
