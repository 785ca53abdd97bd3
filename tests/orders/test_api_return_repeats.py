"""A return request sent again opens no second return: with the same
``Idempotency-Key`` and body it answers the first return (200,
``Idempotent-Replayed: true``), with another body it is refused (409); without a key,
the same order, lines, quantities, reasons and refund method as the customer's return
started moments before answer that return. The customer is emailed once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Return, ReturnStatus
from orders.services.refunds import return_at_counter
from orders.services.return_endings import withdraw_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop()


@pytest.fixture
def ada(store):
    """Ada collected three shirts and a belt; the order's emails are sent."""
    user, customer = shopper()
    shirt = stocked(store, 10, price="30.00")
    belt = stocked(store, 10, price="15.00")
    order = collected_order(
        store=store, lines=[(shirt, 3), (belt, 1)], customer=customer
    )
    deliver_outbox()
    mail.outbox.clear()
    shirts, belts = order.lines.order_by("pk")
    return {
        "client": api_client_for(user),
        "user": user,
        "customer": customer,
        "order": order,
        "shirts": shirts,
        "belts": belts,
    }


def body(order, line, quantity=1, reason="too_small", **more):
    return {
        "order": order.number,
        "lines": [{"order_line": line.pk, "quantity": quantity, "reason": reason}],
        **more,
    }


def post(client, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/returns/", data, format="json", **headers)


def return_emails():
    deliver_outbox()
    return [m for m in mail.outbox if m.subject.startswith("Your return")]


def test_the_same_key_and_request_twice_make_one_return(ada):
    data = body(ada["order"], ada["shirts"])

    first = post(ada["client"], data, key="c0ffee-1")
    again = post(ada["client"], data, key="c0ffee-1")

    assert first.status_code == 201, first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 200, again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    ret = Return.objects.get()
    assert ret.lines.get().quantity == 1
    assert len(return_emails()) == 1


def test_the_key_is_answered_after_the_two_minutes_too(ada):
    data = body(ada["order"], ada["shirts"])
    first = post(ada["client"], data, key="c0ffee-2")
    Return.objects.update(created_at=timezone.now() - timedelta(days=1))

    again = post(ada["client"], data, key="c0ffee-2")

    assert again.status_code == 200, again.json()
    assert again.json()["code"] == first.json()["code"]
    assert Return.objects.count() == 1


def test_the_key_with_another_request_is_a_409(ada):
    first = post(ada["client"], body(ada["order"], ada["shirts"]), key="c0ffee-3")

    other = post(
        ada["client"], body(ada["order"], ada["shirts"], quantity=2), key="c0ffee-3"
    )

    assert first.status_code == 201, first.json()
    assert other.status_code == 409, other.json()
    answer = other.json()
    assert answer["code"] == "idempotency_key_reused"
    assert "idempotency_key" in answer["extra"]
    assert Return.objects.count() == 1
    assert len(return_emails()) == 1


def test_the_key_with_another_line_is_a_409(ada):
    post(ada["client"], body(ada["order"], ada["shirts"]), key="c0ffee-4")

    other = post(ada["client"], body(ada["order"], ada["belts"]), key="c0ffee-4")

    assert other.status_code == 409, other.json()
    assert other.json()["code"] == "idempotency_key_reused"
    assert Return.objects.count() == 1


def test_a_key_longer_than_100_characters_is_a_400(ada):
    response = post(ada["client"], body(ada["order"], ada["shirts"]), key="k" * 101)

    assert response.status_code == 400, response.json()
    assert "idempotency_key" in response.json()["extra"]
    assert not Return.objects.exists()


def test_another_customers_key_is_theirs_alone(ada, store):
    user, customer = shopper("bea@example.com")
    order = collected_order(
        store=store, lines=[(stocked(store, 5), 1)], customer=customer
    )
    post(ada["client"], body(ada["order"], ada["shirts"]), key="same-key")

    response = post(
        api_client_for(user), body(order, order.lines.get()), key="same-key"
    )

    assert response.status_code == 201, response.json()
    assert Return.objects.count() == 2


def test_two_identical_requests_without_a_key_make_one_return(ada):
    data = body(ada["order"], ada["shirts"])

    first = post(ada["client"], data)
    again = post(ada["client"], data)

    assert first.status_code == 201, first.json()
    assert again.status_code == 200, again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["code"] == first.json()["code"]
    assert Return.objects.get().lines.get().quantity == 1
    assert len(return_emails()) == 1


def test_another_quantity_is_another_return(ada):
    assert post(ada["client"], body(ada["order"], ada["shirts"])).status_code == 201

    more = post(ada["client"], body(ada["order"], ada["shirts"], quantity=2))

    assert more.status_code == 201, more.json()
    assert Return.objects.count() == 2


def test_another_reason_is_another_return(ada):
    assert post(ada["client"], body(ada["order"], ada["shirts"])).status_code == 201

    other = post(ada["client"], body(ada["order"], ada["shirts"], reason="damaged"))

    assert other.status_code == 201, other.json()
    assert Return.objects.count() == 2


def test_another_refund_method_is_another_return(ada):
    assert post(ada["client"], body(ada["order"], ada["shirts"])).status_code == 201

    other = post(
        ada["client"],
        body(ada["order"], ada["shirts"], refund_method="store_credit"),
    )

    assert other.status_code == 201, other.json()
    assert other.json()["refund_method"] == "store_credit"
    assert Return.objects.count() == 2


def test_the_same_request_after_two_minutes_is_another_return(ada):
    data = body(ada["order"], ada["shirts"])
    first = post(ada["client"], data)
    Return.objects.update(created_at=timezone.now() - timedelta(minutes=3))

    later = post(ada["client"], data)

    assert later.status_code == 201, later.json()
    assert later.json()["code"] != first.json()["code"]
    assert Return.objects.count() == 2


def test_the_same_request_after_a_withdrawal_is_a_new_return(ada):
    data = body(ada["order"], ada["shirts"])
    first = post(ada["client"], data).json()["code"]
    withdraw_return(
        code=first, customer=ada["customer"], actor=ada["user"], channel="web"
    )

    again = post(ada["client"], data)

    assert again.status_code == 201, again.json()
    assert again.json()["code"] != first
    assert Return.objects.filter(status=ReturnStatus.REQUESTED).count() == 1


def test_a_shop_counter_takes_back_the_same_line_twice_moments_apart(store):
    associate = StaffFactory(store=store)
    user, customer = shopper()
    order = collected_order(
        store=store, lines=[(stocked(store, 5), 2)], customer=customer
    )
    line = order.lines.get()

    for _ in range(2):
        request_return(
            order=order.number,
            lines=[ReturnLineRequest(line.pk, 1, "other")],
            channel="store",
            actor=associate,
            location=store,
        )

    assert Return.objects.count() == 2


def test_a_counter_return_of_the_same_units_is_not_a_repeat_of_an_online_one(
    ada, store
):
    """A return received at the counter is not waiting for its items: the customer's
    identical request afterwards opens its own return."""
    return_at_counter(
        order=ada["order"].number,
        lines=[ReturnLineRequest(ada["shirts"].pk, 1, "too_small")],
        location=store,
        actor=StaffFactory(store=store),
    )

    response = post(ada["client"], body(ada["order"], ada["shirts"]))

    assert response.status_code == 201, response.json()
    assert Return.objects.count() == 2
