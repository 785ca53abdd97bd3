"""Managers' sales report: channels, shops, click-and-collect share, cross-channel buyers."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Channel
from orders.selectors.reports import sales_report
from orders.services.checkout import place_order
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
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
    assert report.click_and_collect == {
        "total": 2,
        "pickup": 1,
        "share": 50.0,
        "of_shops": False,
    }
    assert report.cross_channel == {
        "both": 1,
        "online_only": 1,
        "store_only": 1,
        "share_both": 33.3,
    }


def test_for_a_managers_shops_the_share_is_of_their_own_orders(book):
    """Their online orders are the ones collected there: a share of those would
    always be 100 %; the share of the shops' orders says something."""
    counter_sale(at=book["roma"], item=book["shirt"], email="walk-in@example.com")

    report = sales_report(shop_ids=[book["roma"].pk])

    assert report.click_and_collect == {
        "total": 2,
        "pickup": 1,
        "share": 50.0,
        "of_shops": True,
    }
    milano = sales_report(shop_ids=[book["milano"].pk]).click_and_collect
    assert (milano["total"], milano["pickup"], milano["share"]) == (2, 0, 0.0)


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


def by_shop(**kwargs) -> dict:
    return {row["shop"]: row for row in sales_report(**kwargs).by_shop}


def test_a_click_and_collect_order_in_two_parts_counts_once_at_its_shop(client):
    """Part of it at the pickup shop, the rest brought by a transfer: one order, its
    revenue once."""
    milano = shop(name="Milano")
    shirt = stocked(milano, 1, price="45.00")
    stock(shirt, warehouse(), 5)
    order = pickup_order(store=milano, lines=[(shirt, 3)])
    assert order.fulfilments.count() == 2
    assert {f.pickup_location_id for f in order.fulfilments.all()} == {milano.pk}

    row = by_shop()["Milano"]

    assert (row["pickup_orders"], row["pickup_revenue"]) == (1, Decimal("135.00"))
    assert (row["counter_orders"], row["counter_revenue"]) == (0, Decimal("0.00"))
    hq = UserFactory(username="hq", is_staff=True, is_superuser=True, role="hq")
    client.force_login(hq)
    page = client.get(reverse("admin:orders_order_report"), {"days": 0})
    html = page.content.decode()
    assert '<td class="num">1</td><td class="num">110.66</td>' in html
    assert '<td class="num">135.00</td></tr>' in html
    assert 'data-testid="by-shop-help">Each order counts once' in html


def test_a_counter_sale_to_collect_later_is_a_counter_sale_of_the_shop_that_sold_it():
    """Rung up at the counter for pickup, at the same shop or another: counted once,
    in the counter column of the shop that sold it, never again as click and
    collect."""
    milano, roma = shop(name="Milano"), shop(name="Roma")
    shirt = stocked(milano, 5, price="59.90")
    stock(shirt, roma, 5)
    associate = StaffFactory(username="giulia", store=milano)
    for store in (milano, roma):
        pickup_order(
            store=store,
            lines=[(shirt, 1)],
            channel=Channel.STORE,
            placing_location=milano,
            staff=associate,
            payments=[PaymentRequest(method="cash")],
        )

    shops = by_shop()

    assert shops["Milano"]["counter_orders"] == 2
    assert shops["Milano"]["counter_revenue"] == Decimal("119.80")
    assert (shops["Milano"]["pickup_orders"], shops["Milano"]["pickup_revenue"]) == (
        0,
        Decimal("0.00"),
    )
    assert "Roma" not in shops
    assert by_shop(shop_ids=[roma.pk]) == {}


@pytest.mark.usefixtures("fresh_cache")
def test_an_order_that_sold_only_gift_cards_is_no_order_of_its_channel_or_shop(
    client, book
):
    """An e-gift card bought online and a card sold alone at Milano's counter are
    money owed, not sales: the channels, the shops, the click-and-collect share and
    the cross-channel buyers read as without them; the revenue is the goods'."""
    from rest_framework.test import APIClient

    from orders.services.giftcard_sales import prepare_card_sale

    bought = APIClient().post(
        "/api/v1/gift-cards/purchase/",
        {
            "amount": "50.00",
            "country": "IT",
            "recipient_name": "Lea",
            "recipient_email": "lea@example.com",
            "send_on": timezone.localdate().isoformat(),
            "email": "giver@example.com",
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )
    assert bought.status_code == 201, bought.json()
    place_order(
        lines=[],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=book["milano"],
        email="card@example.com",
        payments=[PaymentRequest(method="cash")],
        staff_sale=StaffSale(
            gift_cards=[
                prepare_card_sale(number="6012000011112222", pin="4321", amount="30")
            ]
        ),
    )

    report = sales_report()

    channels = {row["channel"]: row for row in report.by_channel}
    assert (channels["web"]["orders"], channels["web"]["revenue"]) == (
        2,
        Decimal("120.00"),
    )
    assert (channels["store"]["orders"], channels["store"]["revenue"]) == (
        2,
        Decimal("80.00"),
    )
    shops = {row["shop"]: row for row in report.by_shop}
    assert shops["Milano"]["counter_orders"] == 2
    assert report.click_and_collect == {
        "total": 2,
        "pickup": 1,
        "share": 50.0,
        "of_shops": False,
    }
    assert (
        report.cross_channel["online_only"],
        report.cross_channel["store_only"],
    ) == (
        1,
        1,
    )
    milano = sales_report(shop_ids=[book["milano"].pk]).click_and_collect
    assert (milano["total"], milano["pickup"]) == (2, 0)


def test_a_phone_order_counts_its_buyer_among_the_shops_buyers(book):
    """A phone order is an assisted sale taken by a shop: its buyer buys in store
    (or both, with an online order too), never nowhere."""
    for email in ("phone@example.com", "online@example.com"):
        delivery_order(
            lines=[(book["shirt"], 1)],
            email=email,
            channel=Channel.PHONE,
            placing_location=book["milano"],
        )

    report = sales_report()

    assert report.cross_channel == {
        "both": 2,
        "online_only": 0,
        "store_only": 2,
        "share_both": 50.0,
    }
