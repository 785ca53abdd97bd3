"""A card payment the customer confirmed at Stripe (against a local fake Stripe) that
no order takes is given back: at once when the checkout refuses it with a 402 or
409 (a paid intent refunded, a held one cancelled, the answer saying so), or by the
sweep once the grace after Stripe's event has passed with no order; never an intent
that pays an order, and each once, on record."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import Location, StockLevel
from orders import tasks
from orders.models import Order, Payment, ProcessedWebhookEvent
from orders.services.payment_intents import MAX_GIVEN_BACK_STEPS
from orders.services.payment_release import release_unclaimed_payments
from tests.fakes.stripe_server import intent_event, signed
from tests.orders.conftest import WEBHOOK_SECRET
from tests.orders.factories import ADDRESS, stocked, warehouse
from tests.orders.test_api_payments_stripe import (
    confirmed_intent,
    pickup_cart,
    post_webhook,
)

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/checkout/"


def checkout(client, body, intent_id):
    return client.post(
        CHECKOUT,
        {**body, "payment": {"method": "card_online", "token": intent_id}},
        format="json",
    )


def parcel_cart(price="69.90"):
    """A guest's cart of one item sent from a warehouse: paid at once."""
    item = stocked(warehouse(), 5, price=price)
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    body = {"fulfilment": "delivery", "address": ADDRESS, "email": "ada@example.com"}
    return client, body, item


def refunds_of(fake, intent_id):
    return [r for r in fake.refunds.values() if r["payment_intent"] == intent_id]


def record_of(intent_id):
    return ProcessedWebhookEvent.objects.filter(event_id=f"release:{intent_id}")


def test_a_paid_intent_the_checkout_refuses_is_refunded_once_and_recorded(
    fake_stripe,
):
    client, body, item = parcel_cart("69.90")
    intent = confirmed_intent(fake_stripe, client, body)
    assert intent["status"] == "succeeded" and intent["amount_received"] == 6990
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")

    refused = checkout(client, body, intent["id"])
    again = checkout(client, body, intent["id"])

    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_amount_mismatch"
    assert "69.90 EUR paid by card was refunded" in refused.json()["message"]
    assert again.status_code == 402, again.json()
    assert again.json()["code"] == "payment_given_back"  # and not again
    [refund] = refunds_of(fake_stripe, intent["id"])
    assert refund["amount"] == 6990
    refunds = fake_stripe.calls("POST", "/v1/refunds")
    assert {key for _, _, key in refunds} == {f"refund:unclaimed:{intent['id']}"}
    record = record_of(intent["id"]).get()
    assert record.provider == "stripe"
    assert record.kind == "unclaimed_payment.refunded"
    cart_tag = fake_stripe.intents[intent["id"]]["metadata"]["omnistore_cart"]
    assert f"refunded 69.90 EUR ({refund['id']}) for {cart_tag}" in record.outcome
    assert "checkout of a guest refused (payment_amount_mismatch)" in record.outcome
    assert not Order.objects.exists()


def test_a_held_intent_refused_for_want_of_stock_is_released(fake_stripe):
    client, body = pickup_cart(price="30.00")
    intent = confirmed_intent(fake_stripe, client, body)
    assert intent["status"] == "requires_capture"
    store = Location.objects.get(pk=body["store"])
    StockLevel.objects.filter(location=store).update(on_hand=0)

    refused = checkout(client, body, intent["id"])

    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "insufficient_stock"
    assert "hold of 30.00 EUR on the card was released" in refused.json()["message"]
    assert fake_stripe.intents[intent["id"]]["status"] == "canceled"
    [cancel] = fake_stripe.calls("POST", f"/v1/payment_intents/{intent['id']}/cancel")
    assert cancel[2] == f"release:unclaimed:{intent['id']}"
    assert record_of(intent["id"]).get().kind == "unclaimed_payment.released"
    assert fake_stripe.refunds == {}


def test_the_intent_of_the_order_that_won_is_never_given_back(fake_stripe):
    """The same cart checked out twice with one intent: the first made the order,
    the second is refused (the cart is closed) and the winner's hold stays."""
    client, body = pickup_cart(price="30.00")
    intent = confirmed_intent(fake_stripe, client, body)

    won = checkout(client, body, intent["id"])
    lost = checkout(client, body, intent["id"])

    assert won.status_code == 201, won.json()
    assert lost.status_code == 409, lost.json()
    assert "released" not in lost.json()["message"]
    assert fake_stripe.intents[intent["id"]]["status"] == "requires_capture"
    assert fake_stripe.calls("POST", f"/v1/payment_intents/{intent['id']}/") == []
    assert not record_of(intent["id"]).exists()
    assert Payment.objects.get().provider_reference == intent["id"]


def test_another_carts_intent_is_not_given_back_by_a_stranger(fake_stripe):
    """Someone else's intent, sent with a checkout of one's own cart: refused as
    made for another cart, and left alone."""
    owner, owner_body, _ = parcel_cart("69.90")
    intent = confirmed_intent(fake_stripe, owner, owner_body)
    stranger, stranger_body, _ = parcel_cart("69.90")

    refused = checkout(stranger, stranger_body, intent["id"])

    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_not_for_this_cart"
    assert refusal_kept(fake_stripe, intent["id"])


def refusal_kept(fake, intent_id) -> bool:
    return not refunds_of(fake, intent_id) and not record_of(intent_id).exists()


def test_a_refused_checkout_keeps_the_intent_when_stripe_is_out_of_reach(
    fake_stripe,
):
    """The refund cannot be asked: the refusal is answered as it was, and the
    intent is left for the sweep."""
    client, body, item = parcel_cart("69.90")
    intent = confirmed_intent(fake_stripe, client, body)
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    real = fake_stripe._route

    def refunds_fail(method, path, form):
        if path.startswith("/v1/refunds"):
            return 500, {"error": {"type": "api_error", "message": "down"}}
        return real(method, path, form)

    fake_stripe._route = refunds_fail

    refused = checkout(client, body, intent["id"])

    assert refused.status_code == 402, refused.json()
    assert "refunded" not in refused.json()["message"]
    assert refusal_kept(fake_stripe, intent["id"])


def send_event(kind, intent):
    return post_webhook(*signed(intent_event(kind, intent), WEBHOOK_SECRET))


@pytest.mark.parametrize(
    ("kind", "status", "refunded", "recorded"),
    [
        ("payment_intent.succeeded", "succeeded", [6990], "refunded"),
        ("payment_intent.amount_capturable_updated", "canceled", [], "released"),
    ],
)
def test_a_confirmed_intent_no_checkout_took_is_given_back_after_the_grace(
    fake_stripe, settings, kind, status, refunded, recorded
):
    """The customer confirmed and the checkout never came: Stripe's event is
    stored as an unknown payment; the sweep leaves it within the grace, gives it
    back after it, once."""
    settings.OMNISTORE_UNCLAIMED_PAYMENT_GRACE = 30
    if kind == "payment_intent.succeeded":
        client, body, _ = parcel_cart("69.90")
    else:
        client, body = pickup_cart(price="69.90")
    intent = confirmed_intent(fake_stripe, client, body)

    told = send_event(kind, intent)

    assert told.status_code == 200, told.json()
    assert told.json()["outcome"] == f"unknown payment {intent['id']}"
    now = timezone.now()
    assert release_unclaimed_payments(now=now + timedelta(minutes=29)) == []
    assert fake_stripe.intents[intent["id"]]["status"] == intent["status"]
    assert refusal_kept(fake_stripe, intent["id"])

    later = now + timedelta(minutes=31)
    assert release_unclaimed_payments(now=later) == [intent["id"]]
    assert release_unclaimed_payments(now=later + timedelta(hours=1)) == []

    assert fake_stripe.intents[intent["id"]]["status"] == status
    given = refunds_of(fake_stripe, intent["id"])
    assert [r["amount"] for r in given] == refunded
    record = record_of(intent["id"]).get()
    assert record.kind == f"unclaimed_payment.{recorded}"
    assert "unclaimed payment sweep" in record.outcome
    event = ProcessedWebhookEvent.objects.get(kind=kind)
    assert event.outcome.startswith(f"unknown payment {intent['id']}; ")
    assert "69.90 EUR" in event.outcome
    # The customer checks out at last: the payment was given back.
    refused = checkout(client, body, intent["id"])
    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_given_back"
    assert not Order.objects.exists()


def start_intent(client, body) -> dict:
    started = client.post("/api/v1/checkout/payment-intent/", body, format="json")
    assert started.status_code == 201, started.json()
    return started.json()


def test_a_cart_whose_payment_was_given_back_is_paid_with_a_new_intent(fake_stripe):
    """The cart changed after its payment was confirmed: the refused checkout
    refunded it. Put back as it was, the cart gets a new intent, not the refunded
    one, and checks out with it."""
    client, body, item = parcel_cart("69.90")
    first = confirmed_intent(fake_stripe, client, body)
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    refused = checkout(client, body, first["id"])
    assert refused.status_code == 402, refused.json()
    assert refused.json()["code"] == "payment_amount_mismatch"
    assert "refunded" in refused.json()["message"]
    line = client.get("/api/v1/cart/").json()["lines"][0]
    client.patch(f"/api/v1/cart/lines/{line['id']}/", {"quantity": 1}, format="json")

    second = start_intent(client, body)

    assert second["id"] != first["id"]
    assert second["amount"] == "69.90"
    assert start_intent(client, body)["id"] == second["id"]  # asked again: the same
    fake_stripe.confirm(second["id"])
    placed = checkout(client, body, second["id"])
    assert placed.status_code == 201, placed.json()
    assert Payment.objects.get().provider_reference == second["id"]
    [refund] = fake_stripe.refunds.values()
    assert refund["payment_intent"] == first["id"]


def test_a_cart_whose_payment_the_sweep_gave_back_is_paid_with_a_new_intent(
    fake_stripe,
):
    client, body, _ = parcel_cart("69.90")
    first = confirmed_intent(fake_stripe, client, body)
    assert send_event("payment_intent.succeeded", first).status_code == 200
    later = timezone.now() + timedelta(hours=1)
    assert release_unclaimed_payments(now=later) == [first["id"]]

    second = start_intent(client, body)

    assert second["id"] != first["id"]
    fake_stripe.confirm(second["id"])
    placed = checkout(client, body, second["id"])
    assert placed.status_code == 201, placed.json()
    assert Payment.objects.get().provider_reference == second["id"]


def test_a_cart_given_back_more_times_than_the_chain_follows_still_pays(fake_stripe):
    """Each payment given back lengthens the chain of intents the cart's key names;
    past ``MAX_GIVEN_BACK_STEPS`` the cart is answered a new intent each time it
    asks, never one given back, and it checks out with it."""
    client, body, _ = parcel_cart("69.90")
    given_back = set()
    later = timezone.now() + timedelta(hours=1)
    for _ in range(MAX_GIVEN_BACK_STEPS):
        intent = start_intent(client, body)
        assert intent["id"] not in given_back
        confirmed = fake_stripe.confirm(intent["id"])
        assert send_event("payment_intent.succeeded", confirmed).status_code == 200
        assert release_unclaimed_payments(now=later) == [intent["id"]]
        given_back.add(intent["id"])

    asked = start_intent(client, body)
    again = start_intent(client, body)

    assert len(given_back) == MAX_GIVEN_BACK_STEPS
    assert asked["id"] not in given_back and again["id"] not in given_back
    assert asked["id"] != again["id"]  # a new one each time past the chain
    fake_stripe.confirm(again["id"])
    placed = checkout(client, body, again["id"])
    assert placed.status_code == 201, placed.json()
    assert Payment.objects.get().provider_reference == again["id"]


def test_the_sweep_leaves_an_intent_that_paid_an_order(fake_stripe, settings):
    client, body, _ = parcel_cart("69.90")
    intent = confirmed_intent(fake_stripe, client, body)
    assert send_event("payment_intent.succeeded", intent).status_code == 200
    assert checkout(client, body, intent["id"]).status_code == 201

    assert tasks.release_unclaimed_payments() == 0  # within the grace
    given = release_unclaimed_payments(now=timezone.now() + timedelta(hours=1))

    assert given == []
    assert refusal_kept(fake_stripe, intent["id"])
    event = ProcessedWebhookEvent.objects.get(kind="payment_intent.succeeded")
    assert event.outcome.endswith("; kept: it pays an order")
    assert Payment.objects.get().amount == Decimal("69.90")


@pytest.mark.parametrize(
    ("tag", "kept"),
    [
        ("", "not made by the storefront (no tag)"),
        ("basket-7Qx", "made for basket-7Qx, not for this"),
    ],
)
def test_the_sweep_leaves_an_intent_made_elsewhere(fake_stripe, tag, kept):
    """Paid at Stripe, but not for a cart or purchase of the storefront (made in
    Stripe's dashboard, by another application): not ours to give back."""
    intent = fake_stripe.intent(2500, status="succeeded", capture_method="automatic")
    intent["metadata"] = {"omnistore_cart": tag} if tag else {}
    assert send_event("payment_intent.succeeded", intent).status_code == 200

    assert release_unclaimed_payments(now=timezone.now() + timedelta(hours=1)) == []

    assert refusal_kept(fake_stripe, intent["id"])
    event = ProcessedWebhookEvent.objects.get(kind="payment_intent.succeeded")
    assert event.outcome.endswith(f"; kept: {kept}")


def test_the_sweep_runs_every_few_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["orders-release-unclaimed-payments"]
    assert entry == {
        "task": "orders.tasks.release_unclaimed_payments",
        "schedule": 300.0,
    }
