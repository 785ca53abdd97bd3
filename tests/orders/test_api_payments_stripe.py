"""Payments through the API with production-like settings: the Stripe adapter pointed
at a local fake Stripe, the test provider refused. No payment is accepted without an
intent Stripe confirms; Stripe's webhooks are verified and handled once; the order's
admin page shows each change of its payment."""

import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from inventory.models import StockLevel
from omnistore.accounts.models import Role
from omnistore.core.exceptions import IllegalTransition
from omnistore.core.models import OutboxMessage
from orders.models import (
    Order,
    OrderStatus,
    PaymentEvent,
    PaymentStatus,
    ProcessedWebhookEvent,
)
from orders.payments.base import AuthorisationLapsed
from orders.payments.registry import check_payment_settings
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.pickups import collect_order
from tests.factories import UserFactory
from tests.fakes.stripe_server import intent_event, signed
from tests.orders.conftest import WEBHOOK_SECRET
from tests.orders.factories import deliver_outbox, shop, stocked

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/v1/payments/stripe/webhook/"


def pickup_cart(*, price="30.00"):
    """A guest's cart with one item to collect at a shop, and the checkout's body."""
    store = shop()
    item = stocked(store, 3, price=price)
    client = APIClient()
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": item.pk, "quantity": 1}]},
        format="json",
    )
    return client, {
        "fulfilment": "pickup",
        "store": store.pk,
        "email": "ada@example.com",
    }


def pickup_checkout(payment, *, price="30.00"):
    client, body = pickup_cart(price=price)
    return client.post("/api/v1/checkout/", {**body, "payment": payment}, format="json")


def confirmed_intent(fake, client, body) -> dict:
    """The storefront starts the payment and the customer confirms it at Stripe."""
    started = client.post("/api/v1/checkout/payment-intent/", body, format="json")
    assert started.status_code == 201, started.json()
    return fake.confirm(started.json()["id"])


def paid_pickup_checkout(fake):
    """A pickup checkout paid with an intent made for its cart (held)."""
    client, body = pickup_cart()
    intent = confirmed_intent(fake, client, body)
    response = client.post(
        "/api/v1/checkout/",
        {**body, "payment": {"method": "card_online", "token": intent["id"]}},
        format="json",
    )
    return response, intent


@pytest.mark.parametrize(
    "payment",
    [
        {"method": "mobile_wallet", "token": "tok_anything_at_all"},
        {"method": "card_online", "token": "tok_anything_at_all"},
        {"method": "card_online", "token": "tok_visa"},
        {"method": "card_online", "token": "pi_unknown_to_stripe"},
    ],
)
def test_production_refuses_payments_stripe_has_not_confirmed(fake_stripe, payment):
    response = pickup_checkout(payment)
    assert response.status_code == 402, response.json()
    assert "payment" in response.json()["extra"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("method", ["card_online", "mobile_wallet"])
def test_a_payment_without_a_token_is_bad_input_and_stripe_is_not_asked(
    fake_stripe, method
):
    response = pickup_checkout({"method": method, "token": ""})
    assert response.status_code == 400, response.json()
    assert response.json()["extra"]["payment"] == {
        "token": ["Required for a card payment."]
    }
    assert not Order.objects.exists()
    assert fake_stripe.calls("GET", "/v1/payment_intents") == []


def test_a_confirmed_intent_pays_the_checkout(fake_stripe):
    response, _ = paid_pickup_checkout(fake_stripe)
    assert response.status_code == 201, response.json()
    assert response.json()["payments"][0]["status"] == "authorised"


def test_an_intent_not_made_for_the_cart_is_refused(fake_stripe):
    """A PaymentIntent confirmed elsewhere for the same amount does not pay a cart."""
    intent = fake_stripe.intent(3000)
    response = pickup_checkout({"method": "card_online", "token": intent["id"]})
    assert response.status_code == 402, response.json()
    assert response.json()["code"] == "payment_not_for_this_cart"
    assert not Order.objects.exists()


def placed_with_hold(fake):
    response, intent = paid_pickup_checkout(fake)
    assert response.status_code == 201, response.json()
    return Order.objects.get(number=response.json()["number"]), intent


def post_webhook(payload, signature):
    return APIClient().post(
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def test_a_wrongly_signed_webhook_is_refused_and_changes_nothing(fake_stripe):
    order, intent = placed_with_hold(fake_stripe)
    event = intent_event("payment_intent.canceled", {**intent, "status": "canceled"})
    payload, _ = signed(event, WEBHOOK_SECRET)
    _, forged = signed(event, "whsec_someone_else")
    for signature in (forged, "", "t=1,v1=00"):
        response = post_webhook(payload, signature)
        assert response.status_code == 400
        assert response.json()["code"] == "bad_signature"
    assert order.payments.get().status == PaymentStatus.AUTHORISED
    assert not ProcessedWebhookEvent.objects.exists()
    assert not PaymentEvent.objects.exists()


def test_a_hold_lapsing_before_pickup_cancels_the_order_once_and_tells_the_customer(
    fake_stripe,
):
    """Stripe drops the uncaptured hold: the webhook (delivered twice) records the
    lapse once, cancels the order, puts its reserved unit back on sale and queues the
    customer's email saying so; the desk can no longer hand it over."""
    order, intent = placed_with_hold(fake_stripe)
    mark_picked(order=order)
    order = mark_ready(order=order)
    line = order.lines.get()
    assert held(line.variant_id, order.fulfilments.get().location_id) == 1
    fake_stripe.expire(intent["id"])
    event = intent_event("payment_intent.canceled", fake_stripe.intents[intent["id"]])
    payload, signature = signed(event, WEBHOOK_SECRET)

    first = post_webhook(payload, signature)
    again = post_webhook(payload, signature)

    assert first.status_code == 200 and again.status_code == 200
    assert f"order {order.number} cancelled" in first.json()["outcome"]
    assert again.json()["outcome"] == "duplicate"
    payment = order.payments.get()
    assert payment.status == PaymentStatus.LAPSED
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    assert ProcessedWebhookEvent.objects.get().event_id == event["id"]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert held(line.variant_id, order.fulfilments.get().location_id) == 0
    assert OutboxMessage.objects.filter(
        topic="orders.email", payload__kind="cancelled"
    ).exists()
    mail.outbox = []
    deliver_outbox()
    [email] = [m for m in mail.outbox if "cancelled" in m.subject]
    assert "hold on your card expired" in email.body
    with pytest.raises(IllegalTransition):
        collect_order(order=order, actor=None, code=order.pickup_code)


def test_a_hold_found_lapsed_at_the_desk_stops_the_handover(fake_stripe):
    """Before Stripe's event arrives, the capture at the desk finds the hold gone:
    the goods stay, the desk is told."""
    order, intent = placed_with_hold(fake_stripe)
    mark_picked(order=order)
    order = mark_ready(order=order)
    fake_stripe.expire(intent["id"])
    with pytest.raises(AuthorisationLapsed):
        collect_order(order=order, actor=None, code=order.pickup_code)
    order.refresh_from_db()
    assert order.status == OrderStatus.READY


def held(variant_id, location_id):
    return StockLevel.objects.get(
        variant_id=variant_id, location_id=location_id
    ).reserved


def test_the_order_admin_shows_each_payment_change_read_only(fake_stripe, client):
    order, _ = placed_with_hold(fake_stripe)
    mark_picked(order=order)
    order = mark_ready(order=order)
    desk = UserFactory(
        username="desk",
        first_name="Dora",
        last_name="Desk",
        role=Role.HQ,
        is_staff=True,
        is_superuser=True,
    )
    collect_order(order=order, actor=desk, code=order.pickup_code)
    client.force_login(desk)
    page = client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Payment history" in text
    assert "Captured 30.00 EUR" in text and "Authorised → Captured" in text
    assert "Dora Desk" in text
    assert 'name="payment_history"' not in text  # shown, not editable


def test_the_deploy_check_refuses_the_test_provider(settings):
    settings.OMNISTORE_PAYMENT_PROVIDER = "test"
    [error] = check_payment_settings()
    assert error.id == "orders.E001"
    settings.OMNISTORE_PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert [e.id for e in check_payment_settings()] == ["orders.E002", "orders.E002"]


def test_the_app_refuses_to_start_with_test_money_in_production(settings):
    settings.OMNISTORE_PAYMENT_PROVIDER = "test"
    settings.OMNISTORE_PAYMENT_TEST_PROVIDER_ALLOWED = False
    with pytest.raises(ImproperlyConfigured, match="refuse test money"):
        apps.get_app_config("orders").ready()


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "omnistore.settings.production",
            "SECRET_KEY": "x" * 60,
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused",
            "CACHE_URL": "redis://127.0.0.1:1/1",  # production wants a shared cache
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_production_settings_with_the_test_provider_do_not_start():
    run = manage("check", "--deploy", OMNISTORE_PAYMENT_PROVIDER="test")
    assert run.returncode != 0
    assert "refuse test money" in run.stderr


def test_the_deploy_check_wants_the_stripe_secrets():
    run = manage("check", "--deploy", STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")
    assert run.returncode != 0
    assert "orders.E002" in run.stderr and "STRIPE_WEBHOOK_SECRET" in run.stderr
    run = manage(
        "check",
        "--deploy",
        STRIPE_SECRET_KEY="sk_live_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
    )
    assert "orders.E" not in run.stderr + run.stdout
