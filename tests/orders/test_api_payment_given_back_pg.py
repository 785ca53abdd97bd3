"""A payment is never given back while a checkout is writing the order it pays
(PostgreSQL, real threads and connections): the giving back waits for the intent's
lock, which the checkout holds from its charge to its commit, then finds the
payment and keeps the intent."""

import threading
import time

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from orders.models import Payment, ProcessedWebhookEvent
from orders.payments.registry import get_provider
from orders.services.payment_release import give_back_unclaimed
from tests.orders.test_api_payments_stripe import confirmed_intent, pickup_cart

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def other_connection():
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    return psycopg.connect(**{k: params[k] for k in keys if params.get(k)})


def wait_until(check, what, timeout=20.0):
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, f"waited in vain for {what}"
        time.sleep(0.02)


def test_a_giving_back_meanwhile_waits_for_the_order_and_keeps_its_payment(
    fake_stripe,
):
    client, body = pickup_cart(price="30.00")
    intent = confirmed_intent(fake_stripe, client, body)
    token = client._credentials["HTTP_X_CART_TOKEN"]
    done = {}

    def place():
        try:
            buyer = APIClient()
            buyer.credentials(HTTP_X_CART_TOKEN=token)
            done["order"] = buyer.post(
                "/api/v1/checkout/",
                {**body, "payment": {"method": "card_online", "token": intent["id"]}},
                format="json",
            )
        finally:
            connection.close()

    def give_back():
        try:
            done["release"] = give_back_unclaimed(
                provider=get_provider("stripe"),
                intent=intent["id"],
                belongs=bool,
                why="a refused checkout of the same cart",
            )
        finally:
            connection.close()

    placing = threading.Thread(target=place)
    giving = threading.Thread(target=give_back)
    with other_connection() as other:
        # The checkout's last writes (its outbox rows) wait behind this lock, after
        # it charged the intent and wrote the payment.
        other.execute("LOCK TABLE core_outboxmessage IN SHARE MODE")
        placing.start()
        wait_until(
            lambda: fake_stripe.calls("GET", f"/v1/payment_intents/{intent['id']}"),
            "the checkout to read the intent",
        )
        time.sleep(0.3)
        giving.start()
        time.sleep(0.7)
        waited = "release" not in done
        other.rollback()
    placing.join(30)
    giving.join(30)

    assert waited
    assert done["order"].status_code == 201, done["order"].json()
    assert done["release"].done == "kept"
    assert fake_stripe.intents[intent["id"]]["status"] == "requires_capture"
    assert fake_stripe.calls("POST", f"/v1/payment_intents/{intent['id']}/") == []
    assert not ProcessedWebhookEvent.objects.exists()
    assert Payment.objects.get().provider_reference == intent["id"]
