"""The same Stripe event delivered several times at once is handled once
(PostgreSQL, real threads and connections)."""

import pytest
from django.test import Client

from orders.models import Order, PaymentEvent, PaymentStatus, ProcessedWebhookEvent
from tests.concurrency import run_parallel
from tests.fakes.stripe_server import intent_event, signed
from tests.orders.conftest import WEBHOOK_SECRET
from tests.orders.test_api_payments_stripe import paid_pickup_checkout

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_repeated_event_in_parallel_is_processed_once(fake_stripe):
    response, intent = paid_pickup_checkout(fake_stripe)
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    fake_stripe.expire(intent["id"])
    event = intent_event("payment_intent.canceled", fake_stripe.intents[intent["id"]])
    payload, signature = signed(event, WEBHOOK_SECRET)

    def deliver():
        return Client().post(
            "/api/v1/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )

    results = run_parallel([deliver] * 6)

    assert all(r.status_code == 200 for r in results), results
    outcomes = sorted(r.json()["outcome"] for r in results)
    assert outcomes.count("duplicate") == 5
    assert ProcessedWebhookEvent.objects.count() == 1
    payment = order.payments.get()
    assert payment.status == PaymentStatus.LAPSED
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
