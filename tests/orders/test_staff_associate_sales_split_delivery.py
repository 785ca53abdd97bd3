"""Sales by associate for a delivery split over several shops: only what was sold
and kept counts (not the parts cancelled before they left, refunded whole), each
line at the shop of its own part or at the shop that took the order; so a shop's
associate sales are what its manager's day and the sales report say it sold."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from orders.models import PaymentMethod
from orders.selectors.reports import sales_report
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.payments import PaymentRequest
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import ADDRESS
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = pytest.mark.django_db
D = Decimal
URL = reverse("staff:associate_sales")
CSV_URL = reverse("staff:associate_sales_csv")
MANAGER_DAY_CSV = reverse("staff:manager_day_csv")


@pytest.fixture
def split():
    return split_shops()


def period() -> dict:
    today = timezone.localdate()
    return {"start": str(today - timedelta(days=1)), "end": str(today)}


def manager_of(client, store):
    client.logout()
    client.force_login(
        make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))
    )
    return client


def figures(client) -> dict[str, tuple]:
    """Each associate's orders, units and sales on the page."""
    report = client.get(URL, period()).context["report"]
    return {row.name: (row.orders, row.units, row.sales) for row in report.rows}


def ship(order, store):
    staff = StaffFactory(store=store)
    mark_picked(order=order, actor=staff, location=store)
    ship_order(order=order, actor=staff, location=store)
    return staff


def test_each_shop_counts_the_lines_of_its_own_parcel_and_none_cancelled(client, split):
    """Milano sends the shirt and a coat (240.00), Roma the jeans and a coat
    (360.00); Napoli's coat is cancelled before it left."""
    order = split_order(split)
    ship(order, split.milano)
    roma = ship(order, split.roma)
    cancel_order(order=order, actor=roma, reason="Out of stock at Napoli")

    assert figures(manager_of(client, split.milano)) == {
        "Online, no associate": (1, 2, D("240.00"))
    }
    assert figures(manager_of(client, split.roma)) == {
        "Online, no associate": (1, 3, D("360.00"))
    }
    assert figures(manager_of(client, split.napoli)) == {}
    rows = list(
        csv.DictReader(
            io.StringIO(
                manager_of(client, split.milano).get(CSV_URL, period()).content.decode()
            )
        )
    )
    assert [(r["associate"], r["units"], r["sales"]) for r in rows] == [
        ("Online, no associate", "2", "240.00"),
        ("Total", "2", "240.00"),
    ]


def counter_delivery(split, associate):
    """Rung up at Milano, delivered home: the shirt leaves from Milano (40.00), the
    jeans from Roma (160.00)."""
    order = place_order(
        lines=[LineRequest(split.shirt, 1), LineRequest(split.jeans, 2)],
        channel=Channel.STORE,
        fulfilment="delivery",
        address=ADDRESS,
        placing_location=split.milano,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
        email="ada@example.com",
    )
    assert sorted(f.location_id for f in order.fulfilments.all()) == sorted(
        [split.milano.pk, split.roma.pk]
    )
    return order


def manager_day(client) -> dict[str, list[str]]:
    """The associates' rows of the manager's day: today's orders and revenue."""
    answer = client.get(MANAGER_DAY_CSV)
    rows = csv.reader(io.StringIO(answer.content.decode()))
    return {r[1]: r[2:4] for r in rows if r[:1] == ["associate"]}


def test_a_split_delivery_with_a_part_cancelled_is_the_same_sale_on_every_report(
    client, split
):
    giulia = StaffFactory(store=split.milano, first_name="Giulia", last_name="Bianchi")
    order = counter_delivery(split, giulia)
    ship(order, split.milano)
    cancel_order(order=order, actor=giulia, reason="Roma cannot send the jeans")

    (milano,) = sales_report(shop_ids=[split.milano.pk]).by_shop
    assert (milano["counter_orders"], milano["counter_revenue"]) == (1, D("40.00"))
    manager = manager_of(client, split.milano)
    assert figures(manager) == {
        "Giulia Bianchi": (milano["counter_orders"], 1, milano["counter_revenue"])
    }
    assert manager_day(manager) == {
        "Giulia Bianchi": ["1", "40.00"],
        "All": ["1", "40.00"],
    }
    # Roma's part never left: no sale of Roma's anywhere
    assert sales_report(shop_ids=[split.roma.pk]).by_shop == []
    assert figures(manager_of(client, split.roma)) == {}
