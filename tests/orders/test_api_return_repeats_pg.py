"""Real threads, real connections: one return request sent twice at the same moment
(a double tap, an app retrying while the first is still running) opens one return,
with or without an ``Idempotency-Key``; one key sent at once with two other requests
opens one of them and refuses the other."""

import pytest
from django.core import mail

from orders.models import Return, ReturnLine
from tests.concurrency import run_parallel
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ada():
    """Ada collected three shirts and a belt; the order's emails are sent."""
    store = shop()
    user, customer = shopper()
    order = collected_order(
        store=store,
        lines=[(stocked(store, 10, price="30.00"), 3), (stocked(store, 5), 1)],
        customer=customer,
    )
    deliver_outbox()
    mail.outbox.clear()
    shirts, belts = order.lines.order_by("pk")
    return {"user": user, "order": order, "shirts": shirts, "belts": belts}


def request(user, order, line, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    client = api_client_for(user)
    data = {
        "order": order.number,
        "lines": [{"order_line": line.pk, "quantity": 1, "reason": "too_small"}],
    }
    return lambda: client.post("/api/v1/returns/", data, format="json", **headers)


def sent_return_emails():
    deliver_outbox()
    return [m for m in mail.outbox if m.subject.startswith("Your return")]


@pytest.mark.parametrize("key", [None, "retry-7f3a"])
def test_the_same_return_asked_twice_at_once_is_opened_once(ada, key):
    results = run_parallel([request(ada["user"], ada["order"], ada["shirts"], key)] * 2)

    for response in results:
        assert not isinstance(response, Exception), response
    assert sorted(r.status_code for r in results) == [200, 201], [
        r.content for r in results
    ]
    replayed = next(r for r in results if r.status_code == 200)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert len({r.json()["code"] for r in results}) == 1
    assert Return.objects.count() == 1
    assert ReturnLine.objects.get().quantity == 1
    assert len(sent_return_emails()) == 1


def test_one_key_sent_at_once_with_two_other_requests_opens_one(ada):
    results = run_parallel(
        [
            request(ada["user"], ada["order"], ada["shirts"], "one-key"),
            request(ada["user"], ada["order"], ada["belts"], "one-key"),
        ]
    )

    for response in results:
        assert not isinstance(response, Exception), response
    assert sorted(r.status_code for r in results) == [201, 409], [
        r.content for r in results
    ]
    refused = next(r for r in results if r.status_code == 409)
    assert refused.json()["code"] == "idempotency_key_reused"
    assert Return.objects.count() == 1
