"""A customer's whole history for staff: the 360° page shows the latest orders and
returns and links to every one of them, a page at a time, in a fixed number of
queries; any associate may open it, as the 360° page, and an unknown customer is
404 there as on that page. A return is linked only where the viewer may open it."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Channel
from customers.services.merge import merge_customers
from omnistore.accounts.models import Role
from orders.services.refunds import receive_return
from orders.services.returns import ReturnLineRequest, request_return
from orders.staff.views import customer_orders as history_views
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    stock,
)
from tests.orders.factories import pickup_order
from tests.orders.returns_helpers import collected_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )


@pytest.fixture
def staff(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-BLU-M", price="40.00")
    stock(item, shop, 100)
    return item


@pytest.fixture
def pia():
    return make_customer(email="pia@example.com", first_name="Pia", last_name="Moro")


def orders_url(customer) -> str:
    return reverse("staff:customer_order_history", args=[customer.pk])


def returns_url(customer) -> str:
    return reverse("staff:customer_return_history", args=[customer.pk])


def shown(response) -> list[str]:
    html = response.content.decode()
    rows = re.findall(r'data-testid="history-row">(.*?)</tr>', html, re.S)
    return [re.search(r">((?:OS|RT|R)[-\w]+)</a>", row).group(1) for row in rows]


def every_page(staff, url) -> list[str]:
    found, page = [], 1
    while True:
        response = staff.get(url, {"page": page})
        assert response.status_code == 200
        found += shown(response)
        if not response.context["page"].has_next():
            return found
        page += 1


def test_the_customer_page_links_to_every_order(staff, shop, shirt, pia, monkeypatch):
    monkeypatch.setattr(history_views, "HISTORY_PAGE_SIZE", 4)
    orders = [
        pickup_order(store=shop, lines=[(shirt, 1)], customer=pia) for _ in range(12)
    ]
    page = staff.get(reverse("staff:customer_detail", args=[pia.pk])).content.decode()
    panel = re.search(r'data-testid="customer-orders".*?</section>', page, re.S)
    assert "Showing the latest 10 orders." in panel.group(0)
    assert f'href="{orders_url(pia)}"' in panel.group(0)

    first = staff.get(orders_url(pia))
    assert "All orders of Pia Moro" in first.content.decode()
    assert shown(first) == [o.number for o in reversed(orders)][:4]
    assert every_page(staff, orders_url(pia)) == [o.number for o in reversed(orders)]


def _returns(shop, shirt, customer, count):
    """``count`` returns of one unit each, started minutes apart (one identical
    request moments after another answers the first return)."""
    start = timezone.now() - timedelta(hours=1)
    order = collected_order(
        store=shop, lines=[(shirt, count)], customer=customer, when=start
    )
    line = order.lines.get()
    return [
        request_return(
            order=order,
            customer=customer,
            channel=Channel.WEB,
            lines=[ReturnLineRequest(order_line=line.pk, quantity=1, reason="too_big")],
            now=start + timedelta(minutes=5 * (i + 1)),
        )
        for i in range(count)
    ]


def test_the_customer_page_links_to_every_return(staff, shop, shirt, pia):
    returns = _returns(shop, shirt, pia, 6)
    page = staff.get(reverse("staff:customer_detail", args=[pia.pk])).content.decode()
    panel = re.search(r'data-testid="customer-returns".*?</section>', page, re.S)
    assert "Showing the latest 5 returns." in panel.group(0)
    assert f'href="{returns_url(pia)}"' in panel.group(0)

    response = staff.get(returns_url(pia))
    assert "All returns of Pia Moro" in response.content.decode()
    assert shown(response) == [r.code for r in reversed(returns)]


def test_a_short_history_has_no_link_and_no_pages(staff, shop, shirt, pia):
    pickup_order(store=shop, lines=[(shirt, 1)], customer=pia)
    page = staff.get(reverse("staff:customer_detail", args=[pia.pk])).content.decode()
    assert orders_url(pia) not in page and returns_url(pia) not in page
    response = staff.get(orders_url(pia))
    assert len(shown(response)) == 1 and 'aria-label="Pages"' not in (
        response.content.decode()
    )


def test_an_unknown_customer_is_404_as_on_the_customer_page(staff):
    for name in (
        "customer_detail",
        "customer_order_history",
        "customer_return_history",
    ):
        assert staff.get(reverse(f"staff:{name}", args=[999999])).status_code == 404


def test_a_merged_profile_s_history_is_the_survivor_s(staff, shop, shirt, pia):
    other = make_customer(phone="333 765 4321", first_name="Pia")
    order = pickup_order(store=shop, lines=[(shirt, 1)], customer=other)
    merge_customers(survivor=pia, other=other, actor=None)
    response = staff.get(orders_url(other))
    assert response.status_code == 302 and response["Location"] == orders_url(pia)
    assert shown(staff.get(orders_url(pia))) == [order.number]


def test_the_history_needs_a_staff_login(client, pia):
    client.force_login(UserFactory())  # a storefront customer
    for url in (orders_url(pia), returns_url(pia)):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"]


@pytest.mark.parametrize("count", [1, 8])
def test_a_page_of_orders_costs_the_same_queries_for_any_history(
    staff, shop, shirt, pia, django_assert_max_num_queries, monkeypatch, count
):
    monkeypatch.setattr(history_views, "HISTORY_PAGE_SIZE", 5)
    for _ in range(count):
        pickup_order(store=shop, lines=[(shirt, 1)], customer=pia)
    staff.get(orders_url(pia))  # a session's first request notes its time
    # session, user, their shop (the header), the customer, the count, a page of
    # orders, their lines
    with django_assert_max_num_queries(7):
        response = staff.get(orders_url(pia), {"page": 2 if count > 5 else 1})
    assert len(shown(response)) == (3 if count > 5 else 1)


@pytest.mark.parametrize("count", [1, 7])
def test_a_page_of_returns_costs_the_same_queries_for_any_history(
    staff, shop, shirt, pia, django_assert_max_num_queries, monkeypatch, count
):
    monkeypatch.setattr(history_views, "HISTORY_PAGE_SIZE", 5)
    _returns(shop, shirt, pia, count)
    staff.get(returns_url(pia))
    # session, user, their shop (the header), the customer, the count, a page of
    # returns, their lines
    with django_assert_max_num_queries(7):
        response = staff.get(returns_url(pia))
    assert len(shown(response)) == min(count, 5)


def _received_elsewhere(shop, shirt, customer):
    """Two returns of the customer: one received at another shop (its desk's to
    open), one started online and not received yet (every desk's)."""
    roma = LocationFactory(code="RM01", name="Roma Corso")
    received, waiting = _returns(shop, shirt, customer, 2)
    receive_return(
        return_request=received, location=roma, actor=StaffFactory(store=roma)
    )
    return received, waiting


def _return_links(html: str) -> set[str]:
    """The codes of the returns ``html`` links to."""
    prefix = reverse("staff:return_detail", args=["R-0"])[: -len("R-0/")]
    return set(re.findall(rf'href="{re.escape(prefix)}([-\w]+)/"', html))


def test_the_customer_page_links_only_the_returns_this_desk_opens(
    staff, shop, shirt, pia
):
    received, waiting = _received_elsewhere(shop, shirt, pia)

    page = staff.get(reverse("staff:customer_detail", args=[pia.pk])).content.decode()
    panel = re.search(r'data-testid="customer-returns".*?</section>', page, re.S)

    assert _return_links(panel.group(0)) == {waiting.code}
    assert f"<code>{received.code}</code>" in panel.group(0)

    def opens(ret) -> int:
        return staff.get(reverse("staff:return_detail", args=[ret.code])).status_code

    assert opens(received) == 404  # as the plain code says
    assert opens(waiting) == 200


def test_all_returns_links_only_the_returns_this_desk_opens(staff, shop, shirt, pia):
    received, waiting = _received_elsewhere(shop, shirt, pia)

    html = staff.get(returns_url(pia)).content.decode()

    assert _return_links(html) == {waiting.code}
    assert f"<code>{received.code}</code>" in html


def test_a_manager_of_the_receiving_shop_has_every_return_linked(
    client, shop, shirt, pia
):
    """They read a return received at any of their shops from here."""
    received, waiting = _received_elsewhere(shop, shirt, pia)
    client.force_login(UserFactory(username="hq", role=Role.HQ))

    html = client.get(returns_url(pia)).content.decode()

    assert _return_links(html) == {received.code, waiting.code}
