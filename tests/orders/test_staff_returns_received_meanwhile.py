"""A return started online is found at every desk until one receives it. The desk
that sends its own receipt once another desk has received it (two desks at once, a
page left open) is told where and when it was received, back at its returns desk,
and nothing is done there; what it may read of other shops' returns does not grow:
their pages, and a counter return of another shop, stay 404."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from orders.models import Refund, Return, ReturnStatus
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import on_hand, stocked
from tests.orders.returns_helpers import collected_order, counter_sale, shopper

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def duomo():
    return LocationFactory(code="MI02", name="Milano Duomo")


@pytest.fixture
def roma():
    return LocationFactory(code="RM01", name="Roma Corso")


def desk_at(store) -> Client:
    client = Client()
    client.force_login(StaffFactory(store=store))
    return client


@pytest.fixture
def online(duomo):
    """An online order collected at Duomo, with a return of one shirt started on
    the website."""
    _, customer = shopper()
    shirt = stocked(duomo, 5, price="40.00")
    order = collected_order(store=duomo, lines=[(shirt, 2)], customer=customer)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_small")],
    )
    return {"return": ret, "shirt": shirt}


def receive(client, ret, **headers):
    line = ret.lines.get()
    return client.post(
        reverse("staff:return_receive", args=[ret.code]),
        {
            f"condition_{line.pk}": "sellable",
            f"disposition_{line.pk}": "",
            "refund_method": "original",
            "action": "refund",
        },
        **headers,
    )


def said_received(ret: Return) -> str:
    when = timezone.localtime(ret.received_at)
    return (
        f"Return {ret.code} was received at Milano Duomo on "
        f"{dateformat.format(when, 'j F Y')} at {when:%H:%M}; nothing was done here."
    )


def test_the_second_desk_to_receive_is_told_where_and_when_and_nothing_is_done(
    online, duomo, roma
):
    ret = online["return"]
    at_roma, at_duomo = desk_at(roma), desk_at(duomo)
    page = at_roma.get(reverse("staff:return_detail", args=[ret.code]))
    assert "Receive at Roma Corso" in page.content.decode()  # the page left open

    assert receive(at_duomo, ret).status_code == 302
    response = receive(at_roma, ret)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:returns_desk")
    ret.refresh_from_db()
    assert (ret.status, ret.receiving_location) == (ReturnStatus.REFUNDED, duomo)
    assert Refund.objects.get().amount == Decimal("40.00")  # refunded once
    assert on_hand(online["shirt"], duomo) == 4  # 3 left + the one back
    assert on_hand(online["shirt"], roma) == 0
    desk_page = at_roma.get(response["Location"]).content.decode()
    assert said_received(ret) in desk_page
    assert (
        at_roma.get(reverse("staff:return_detail", args=[ret.code])).status_code == 404
    )


def test_under_htmx_the_desk_goes_back_to_the_returns_desk_with_the_message(
    online, duomo, roma
):
    ret = online["return"]
    at_roma = desk_at(roma)
    receive(desk_at(duomo), ret)

    response = receive(at_roma, ret, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("staff:returns_desk")
    desk_page = at_roma.get(reverse("staff:returns_desk")).content.decode()
    ret.refresh_from_db()
    assert said_received(ret) in desk_page


def test_another_shops_counter_return_stays_not_found(duomo, roma):
    """Never this desk's to receive: sent anyway, it is a 404, as its page is."""
    clerk = StaffFactory(store=duomo)
    sale = counter_sale(
        store=duomo, lines=[(stocked(duomo, 2, price="40.00"), 1)], staff=clerk
    )
    ret = return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "too_small")],
        location=duomo,
        actor=clerk,
        refund_now=False,
    )

    response = receive(desk_at(roma), ret)

    assert response.status_code == 404
    assert "Milano Duomo" not in response.content.decode()
