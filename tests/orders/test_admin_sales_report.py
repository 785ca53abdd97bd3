"""Managers' sales report: channels, shops, click-and-collect share, cross-channel buyers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Channel
from orders.selectors.reports import sales_report
from orders.services.checkout import place_order
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory, UserFactory, stock
from tests.orders.factories import (
    delivery_order,
    pickup_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = pytest.mark.django_db


def counter_sale(*, at, item, email):
    return place_order(
        lines=[(item, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=at,
        email=email,
        payments=[PaymentRequest(method="cash")],
    )


@pytest.fixture
def book():
    milano, roma = shop(name="Milano"), shop(name="Roma")
    depot = warehouse()
    shirt = stocked(milano, 20, price="40.00")
    for loc in (roma, depot):
        stock(shirt, loc, 20)
    counter_sale(at=milano, item=shirt, email="both@example.com")  # 40 at Milano
    counter_sale(at=milano, item=shirt, email="store@example.com")  # 40 at Milano
    pickup_order(
        store=roma, lines=[(shirt, 2)], email="both@example.com"
    )  # 80 C&C Roma
    delivery_order(lines=[(shirt, 1)], email="online@example.com")  # 40 web delivery
    cancelled = delivery_order(lines=[(shirt, 5)], email="online@example.com")
    cancel_order(order=cancelled, reason="changed mind")
    return {"milano": milano, "roma": roma, "shirt": shirt}


def test_report_counts_channels_shops_share_and_cross_channel_buyers(book):
    report = sales_report()
    channels = {row["channel"]: row for row in report.by_channel}
    assert channels["store"]["orders"] == 2 and channels["store"]["revenue"] == Decimal(
        "80.00"
    )
    assert channels["web"]["orders"] == 2 and channels["web"]["revenue"] == Decimal(
        "120.00"
    )
    shops = {row["shop"]: row for row in report.by_shop}
    assert shops["Milano"]["counter_orders"] == 2
    assert shops["Milano"]["pickup_orders"] == 0
    assert shops["Roma"]["pickup_orders"] == 1
    assert shops["Roma"]["pickup_revenue"] == Decimal("80.00")
    assert report.click_and_collect == {"total": 2, "pickup": 1, "share": 50.0}
    assert report.cross_channel == {
        "both": 1,
        "online_only": 1,
        "store_only": 1,
        "share_both": 33.3,
    }


def test_report_page_renders_charts_in_a_fixed_number_of_queries(
    client, book, django_assert_max_num_queries
):
    manager = UserFactory(username="boss", is_staff=True, is_superuser=True, role="hq")
    client.force_login(manager)
    url = reverse("admin:orders_order_report")
    with django_assert_max_num_queries(10):
        first = client.get(url, {"days": 0})
    for _ in range(3):
        counter_sale(at=book["milano"], item=book["shirt"], email="more@example.com")
    with django_assert_max_num_queries(10):
        second = client.get(url, {"days": 0})
    assert first.status_code == second.status_code == 200
    html = second.content.decode()
    assert "<svg" in html and "Revenue by shop" in html
    assert 'data-testid="cc-share"' in html
    changelist = client.get(reverse("admin:orders_order_changelist"))
    assert url in changelist.content.decode()


def test_report_is_for_managers_only(client, book):
    associate = StaffFactory(username="assoc", store=book["milano"])
    client.force_login(associate)
    response = client.get(reverse("admin:orders_order_report"))
    assert response.status_code == 302  # sent to the admin login
