"""Real threads, real connections, real row locks: two desks receive the same online
return at once. One receives it, once; the other is told where and when it was
received, back at its returns desk, never a bare 404."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from orders.models import Refund, Return, ReturnStatus
from orders.services.refunds import receive_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.concurrency import run_parallel
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import on_hand, stocked
from tests.orders.returns_helpers import collected_order, shopper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DESK = reverse("staff:returns_desk")


def online_return(store, item) -> Return:
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 2)], customer=customer)
    return request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_small")],
    )


def desk_at(store) -> Client:
    client = Client()
    client.force_login(StaffFactory(store=store))
    return client


def receive(client, ret):
    line = ret.lines.get()
    return client.post(
        reverse("staff:return_receive", args=[ret.code]),
        {
            f"condition_{line.pk}": "sellable",
            f"disposition_{line.pk}": "",
            "refund_method": "original",
            "action": "refund",
        },
    )


def test_a_desk_waiting_on_the_return_another_desk_receives_is_told_so():
    """Roma reads the return while Duomo's receipt is not committed yet, then waits
    on its row lock; once Duomo commits, Roma finds it received elsewhere."""
    duomo = LocationFactory(code="MI02", name="Milano Duomo")
    roma = LocationFactory(code="RM01", name="Roma Corso")
    shirt = stocked(duomo, 5, price="40.00")
    ret = online_return(duomo, shirt)
    at_roma = desk_at(roma)
    received = threading.Event()

    def receive_at_duomo_and_commit_late():
        with transaction.atomic():
            receive_return(return_request=ret.code, location=duomo, actor=None)
            received.set()
            time.sleep(0.5)  # Roma reads the return and waits on its row lock
        return "received"

    def receive_at_roma():
        received.wait(5)
        return receive(at_roma, ret)

    results = run_parallel([receive_at_duomo_and_commit_late, receive_at_roma])

    assert results[0] == "received"
    response = results[1]
    assert not isinstance(response, Exception), response
    assert response.status_code == 302, response.content
    assert response["Location"] == DESK
    page = at_roma.get(DESK).content.decode()
    assert f"Return {ret.code} was received at Milano Duomo on " in page
    assert "; nothing was done here." in page
    ret.refresh_from_db()
    assert (ret.status, ret.receiving_location) == (ReturnStatus.RECEIVED, duomo)
    assert not Refund.objects.exists()
    assert on_hand(shirt, roma) == 0


def test_two_desks_receiving_at_once_receive_it_once_and_neither_gets_a_404():
    duomo = LocationFactory(code="MI02", name="Milano Duomo")
    roma = LocationFactory(code="RM01", name="Roma Corso")
    shirt = stocked(duomo, 5, price="40.00")
    ret = online_return(duomo, shirt)
    desks = {duomo.pk: desk_at(duomo), roma.pk: desk_at(roma)}

    results = run_parallel(
        [lambda c=client: receive(c, ret) for client in desks.values()]
    )

    for response in results:
        assert not isinstance(response, Exception), response
        assert response.status_code == 302, response.content
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED
    assert Refund.objects.get().amount == Decimal("40.00")
    assert ret.history.filter(to_status=ReturnStatus.RECEIVED).count() == 1
    where = {response["Location"] for response in results}
    assert where == {reverse("staff:return_detail", args=[ret.code]), DESK}
    told = desks[duomo.pk if ret.receiving_location == roma else roma.pk]
    page = told.get(DESK).content.decode()
    assert f"Return {ret.code} was received at {ret.receiving_location.name}" in page
