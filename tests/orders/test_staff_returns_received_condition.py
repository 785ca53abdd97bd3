"""What staff see on receipt replaces what the customer said online, and the return
says so: its receipt's history names each line received in another condition than
the customer gave, the page lists the items "as received" once they are, with the
refund due now, and the API gives the condition as received."""

import pytest
from django.urls import reverse

from omnistore.core.channels import Channel
from orders.models import ReturnLine, ReturnStatus, ReturnStatusChange
from orders.services.refunds import receive_return
from orders.services.returns import ReceiveLine, request_return
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import (
    api_client_for,
    collected_order,
    line_request,
    shopper,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def torino():
    return shop(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def online(torino):
    """Two items collected at Torino, both sent back online as sellable."""
    user, customer = shopper()
    coat = stocked(torino, 3, price="120.00", sku="COAT-NAVY-M")
    scarf = stocked(torino, 3, price="69.00", sku="SCARF-GREY")
    order = collected_order(
        store=torino, lines=[(coat, 1), (scarf, 1)], customer=customer
    )
    api = api_client_for(user)
    started = api.post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {"order_line": line.pk, "quantity": 1, "reason": "too_big"}
                for line in order.lines.order_by("id")
            ],
        },
        format="json",
    )
    assert started.status_code == 201
    assert [line["condition"] for line in started.json()["lines"]] == [
        "sellable",
        "sellable",
    ]
    return api, started.json()["code"]


def test_a_line_received_damaged_is_said_against_what_the_customer_said(
    client, torino, online
):
    api, code = online
    client.force_login(StaffFactory(store=torino))
    before = client.get(reverse("staff:return_detail", args=[code])).content.decode()
    assert "as the customer told us online" in before
    assert "Due once received" in before
    coat, scarf = ReturnLine.objects.filter(return_request__code=code).order_by("id")

    received = client.post(
        reverse("staff:return_receive", args=[code]),
        {
            f"condition_{coat.pk}": "damaged",
            f"disposition_{coat.pk}": "",
            f"condition_{scarf.pk}": "sellable",
            f"disposition_{scarf.pk}": "",
            "refund_method": "original",
            "action": "receive",
        },
    )

    assert received.status_code == 302
    step = ReturnStatusChange.objects.get(
        return_request__code=code, to_status=ReturnStatus.RECEIVED
    )
    assert step.note == "COAT-NAVY-M: customer said sellable, received damaged"
    page = client.get(reverse("staff:return_detail", args=[code])).content.decode()
    assert "as the customer told us online" not in page
    assert "— as received" in page
    assert "Due once received" not in page
    assert "Due now: received, not refunded yet" in page
    assert "COAT-NAVY-M: customer said sellable, received damaged" in page
    lines = api.get(f"/api/v1/returns/{code}/").json()["lines"]
    assert [(line["sku"], line["condition"]) for line in lines] == [
        ("COAT-NAVY-M", "damaged"),
        ("SCARF-GREY", "sellable"),
    ]


def test_the_api_describes_the_condition_as_received_once_received(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    condition = schema["components"]["schemas"]["ReturnLineOutput"]["properties"][
        "condition"
    ]
    assert "once received, the condition as received" in condition["description"]


def test_a_return_started_at_the_counter_says_what_it_was_started_as(torino):
    """Started at the desk, the first condition was staff's, not the customer's."""
    associate = StaffFactory(store=torino)
    _, customer = shopper()
    order = collected_order(
        store=torino,
        lines=[(stocked(torino, 3, price="49.00", sku="BELT-TAN"), 1)],
        customer=customer,
    )
    ret = request_return(
        order=order,
        lines=[line_request(order)],
        channel=Channel.STORE,
        actor=associate,
        location=torino,
    )

    receive_return(
        return_request=ret,
        location=torino,
        actor=associate,
        lines=[ReceiveLine(ret.lines.get().pk, "damaged")],
    )

    step = ret.history.get(to_status=ReturnStatus.RECEIVED)
    assert step.note == "BELT-TAN: started as sellable, received damaged"
