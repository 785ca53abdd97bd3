"""A return refunded as store credit from a sale paid partly in points gives the
points share back as points: the customer's timeline and the ``return.refunded``
webhook say each part, so no one books the whole refund as store credit;
``refund_total`` keeps meaning the whole refund."""

from decimal import Decimal

import pytest

from customers.models import CustomerEvent
from omnistore.core.channels import Channel
from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from orders.models import PaymentMethod, RefundMethod
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.return_endings import close_return
from orders.services.returns import ReturnLineRequest
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import credit_of, give_points, points_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def duomo():
    return LocationFactory(code="MI02", name="Milano Duomo")


@pytest.fixture
def erp():
    return WebhookEndpoint.objects.create(
        name="ERP",
        url="https://erp.example.com/hooks",
        secret="s3cret",
        event_types=["return.*"],
    )


def points_and_card_sale(store, customer, *, points):
    return place_order(
        lines=[LineRequest(stocked(store, 5, price="45.00"), 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=StaffFactory(store=store),
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=points),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )


def give_back(order, store, method):
    return return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_small")],
        location=store,
        actor=StaffFactory(store=store),
        refund_method=method,
    )


def payloads(event):
    return list(
        WebhookDelivery.objects.filter(event_type=event)
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_a_store_credit_refund_partly_in_points_is_told_part_by_part(duomo, erp):
    user, customer = shopper()
    give_points(customer, 3000)
    sale = points_and_card_sale(duomo, customer, points=3000)  # 30.00 + 15.00 card

    ret = give_back(sale, duomo, RefundMethod.STORE_CREDIT)

    assert (points_of(customer), credit_of(customer)) == (3000, Decimal("15.00"))
    said = f"Return {ret.code} refunded: 30.00 EUR to loyalty points, 15.00 EUR to "
    said += "store credit"
    timeline = api_client_for(user).get("/api/v1/me/timeline/").json()["results"]
    refunded = [e["summary"] for e in timeline if e["kind"] == "return_refunded"]
    assert len(refunded) == 1 and refunded[0].startswith(said)
    assert "45.00 EUR to store credit" not in refunded[0]
    event = CustomerEvent.objects.get(kind="return_refunded", reference_id=ret.code)
    assert event.data["refunded_as"] == [
        {"method": "loyalty_points", "amount": "30.00"},
        {"method": "store_credit", "amount": "15.00"},
    ]
    (payload,) = payloads("return.refunded")
    assert payload["refund_method"] == "store_credit"
    assert payload["refund_total"] == "45.00"  # the whole refund, as before
    assert payload["currency"] == "EUR"
    assert payload["refunded_as"] == event.data["refunded_as"]

    close_return(return_request=ret, actor=None)
    (closed,) = payloads("return.closed")
    assert closed["refunded_as"] == payload["refunded_as"]
    assert payloads("return.requested")[0]["refunded_as"] == []


def test_a_refund_to_the_payments_names_each_tender(duomo, erp):
    _, customer = shopper()
    give_points(customer, 1000)
    sale = points_and_card_sale(duomo, customer, points=1000)  # 10.00 + 35.00 card

    ret = give_back(sale, duomo, RefundMethod.ORIGINAL)

    (payload,) = payloads("return.refunded")
    assert payload["refunded_as"] == [
        {"method": "card_in_store", "amount": "35.00"},
        {"method": "loyalty_points", "amount": "10.00"},
    ]
    event = CustomerEvent.objects.get(kind="return_refunded", reference_id=ret.code)
    assert event.summary.startswith(
        f"Return {ret.code} refunded: 35.00 EUR to card in store, 10.00 EUR to "
        "loyalty points"
    )
