"""The returns desk search lists only the returns this desk may open, as the return
page decides: one not received yet is every desk's, one received belongs to the
shop that received it (and to HQ); in a fixed number of queries."""

import pytest
from django.urls import reverse

from orders.models import Return
from orders.services.refunds import receive_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import collected_order, shopper

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def roma():
    return LocationFactory(code="RM01", name="Roma Corso")


@pytest.fixture
def duomo():
    return LocationFactory(code="MI02", name="Milano Duomo")


@pytest.fixture
def returns(roma, duomo):
    """Three online returns of one customer: one received at Duomo, one at Roma,
    one not received yet."""
    _, customer = shopper()
    shirt = stocked(duomo, 5, price="40.00")
    order = collected_order(store=duomo, lines=[(shirt, 3)], customer=customer)
    line = order.lines.get()
    started = [
        request_return(
            order=order.number,
            customer=customer,
            channel="web",
            lines=[ReturnLineRequest(line.pk, 1, reason)],
        )
        for reason in ("too_small", "too_big", "damaged")
    ]
    at_duomo, at_roma, waiting = started
    receive_return(return_request=at_duomo, location=duomo, actor=None)
    receive_return(return_request=at_roma, location=roma, actor=None)
    return {
        "customer": customer,
        "duomo": at_duomo.code,
        "roma": at_roma.code,
        "waiting": waiting.code,
    }


def search(client, customer, **headers):
    return client.get(
        reverse("staff:returns_desk"), {"q": customer.loyalty_number}, **headers
    )


def test_a_desk_lists_only_the_returns_it_may_open(
    client, roma, returns, django_assert_max_num_queries
):
    client.force_login(StaffFactory(store=roma))

    with django_assert_max_num_queries(10):
        found = search(client, returns["customer"], **HTMX)

    page = found.content.decode()
    assert returns["roma"] in page
    assert returns["waiting"] in page
    assert returns["duomo"] not in page  # received at Duomo: its page is a 404 here
    for code in (returns["roma"], returns["waiting"]):
        opened = client.get(reverse("staff:return_detail", args=[code]))
        assert opened.status_code == 200
    hidden = client.get(reverse("staff:return_detail", args=[returns["duomo"]]))
    assert hidden.status_code == 404


def test_the_other_shop_sees_its_own_received_return_and_not_this_one(
    client, duomo, returns
):
    client.force_login(StaffFactory(store=duomo))

    page = search(client, returns["customer"]).content.decode()

    assert returns["duomo"] in page and returns["waiting"] in page
    assert returns["roma"] not in page


def test_hq_lists_every_open_return(client, duomo, returns):
    client.force_login(UserFactory(role="hq", username="hq"))  # acts for Duomo

    page = search(client, returns["customer"], **HTMX).content.decode()

    assert all(returns[key] in page for key in ("duomo", "roma", "waiting"))


def test_the_order_page_links_only_the_earlier_returns_this_desk_may_open(
    client, duomo, returns
):
    client.force_login(StaffFactory(store=duomo))
    order = Return.objects.get(code=returns["duomo"]).order

    html = client.get(
        reverse("staff:return_start", args=[order.number])
    ).content.decode()

    def link(code):
        return f'href="{reverse("staff:return_detail", args=[code])}"'

    assert link(returns["duomo"]) in html
    assert link(returns["waiting"]) in html
    assert returns["roma"] in html
    assert link(returns["roma"]) not in html
