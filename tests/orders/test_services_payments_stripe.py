"""The Stripe adapter, as production runs it, against a fake Stripe over HTTP:
authorise at checkout, capture at handover or shipment, release on cancellation or
expiry, a lapsed hold refused at the desk, refunds, declines and network failures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockLevel
from orders.models import (
    OrderStatus,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
    Refund,
)
from orders.payments.base import (
    AuthorisationLapsed,
    PaymentDeclined,
    PaymentUnavailable,
)
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.payments import PaymentRequest, refund_payment
from orders.services.pickups import collect_order, expire_uncollected_pickups
from tests.fakes.stripe_server import card_declined
from tests.orders.factories import (
    delivery_order,
    pickup_order,
    ready_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = pytest.mark.django_db


def paid_with(fake, cents, **kwargs):
    intent = fake.intent(cents, **kwargs)
    return [PaymentRequest(method="card_online", token=intent["id"])], intent


def held(variant, location):
    level = StockLevel.objects.get(variant=variant, location=location)
    return level.on_hand, level.reserved


def test_a_pickup_is_authorised_at_checkout_and_captured_at_handover(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 6000)
    order = ready_order(store=store, lines=[(item, 2)], payments=payments)
    payment = order.payments.get()
    assert (payment.provider, payment.provider_reference) == ("stripe", intent["id"])
    assert payment.status == PaymentStatus.AUTHORISED
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []  # only read

    collect_order(order=order, actor=None, code=order.pickup_code)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert fake_stripe.intents[intent["id"]]["status"] == "succeeded"
    [capture] = fake_stripe.calls("POST", f"/v1/payment_intents/{intent['id']}/capture")
    assert capture[2] == f"capture:{order.number}:{payment.pk}"
    event = PaymentEvent.objects.get(payment=payment)
    assert (event.kind, event.from_status, event.to_status) == (
        PaymentEventKind.CAPTURED,
        PaymentStatus.AUTHORISED,
        PaymentStatus.CAPTURED,
    )


def test_a_parcel_from_a_warehouse_is_captured_at_checkout(fake_stripe):
    depot = warehouse()
    item = stocked(depot, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 3000)
    order = delivery_order(lines=[(item, 1)], payments=payments)
    assert order.payments.get().status == PaymentStatus.CAPTURED
    assert fake_stripe.intents[intent["id"]]["status"] == "succeeded"
    assert len(fake_stripe.calls("POST", "/v1/payment_intents/")) == 1


def test_a_parcel_from_a_shop_is_captured_when_shipped(fake_stripe):
    store = shop(ships_online_orders=True)
    item = stocked(store, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 3000)
    order = delivery_order(lines=[(item, 1)], payments=payments)
    assert order.payments.get().status == PaymentStatus.AUTHORISED
    mark_picked(order=order)
    ship_order(order=order, tracking_reference="TRK1")
    assert order.payments.get().status == PaymentStatus.CAPTURED
    assert fake_stripe.intents[intent["id"]]["amount_received"] == 3000


def test_cancelling_releases_the_hold_and_refunds_nothing(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 3000)
    order = pickup_order(store=store, lines=[(item, 1)], payments=payments)
    cancel_order(order=order, reason="Changed mind")
    payment = order.payments.get()
    assert payment.status == PaymentStatus.RELEASED
    assert fake_stripe.intents[intent["id"]]["status"] == "canceled"
    assert not Refund.objects.exists() and fake_stripe.refunds == {}
    assert PaymentEvent.objects.get(payment=payment).kind == PaymentEventKind.RELEASED


def test_an_expired_pickup_releases_its_hold(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 3000)
    order = ready_order(store=store, lines=[(item, 1)], payments=payments)
    later = timezone.now() + timedelta(days=30)
    assert expire_uncollected_pickups(now=later) == [order.number]
    assert order.payments.get().status == PaymentStatus.RELEASED
    assert fake_stripe.intents[intent["id"]]["status"] == "canceled"


def test_a_lapsed_hold_stops_the_handover_and_the_desk_is_told(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 3000)
    order = ready_order(store=store, lines=[(item, 1)], payments=payments)
    fake_stripe.expire(intent["id"])  # Stripe dropped the hold after some days

    with pytest.raises(AuthorisationLapsed) as refused:
        collect_order(order=order, actor=None, code=order.pickup_code)

    assert refused.value.status == 402
    assert "cancel the pickup" in refused.value.message
    order.refresh_from_db()
    assert order.status == OrderStatus.READY  # not handed over
    assert held(item, store) == (3, 1)
    assert order.payments.get().status == PaymentStatus.LAPSED  # kept on record


def test_a_declined_capture_stops_the_handover(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, _ = paid_with(fake_stripe, 3000)
    order = ready_order(store=store, lines=[(item, 1)], payments=payments)
    fake_stripe.failures.append(card_declined())
    with pytest.raises(PaymentDeclined) as refused:
        collect_order(order=order, actor=None, code=order.pickup_code)
    assert refused.value.status == 402 and refused.value.code == "card_declined"
    order.refresh_from_db()
    assert order.status == OrderStatus.READY


def test_a_partial_refund_goes_to_the_original_intent_once(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 6000)
    order = ready_order(store=store, lines=[(item, 2)], payments=payments)
    collect_order(order=order, actor=None, code=order.pickup_code)
    payment = order.payments.get()

    first = refund_payment(
        payment=payment, amount=Decimal("12.50"), reason="Scratch", reference="r-1"
    )
    again = refund_payment(
        payment=payment, amount=Decimal("12.50"), reason="Scratch", reference="r-1"
    )

    assert first.pk == again.pk
    [refund] = fake_stripe.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent["id"], 1250)
    assert first.provider_reference == refund["id"]
    [call] = fake_stripe.calls("POST", "/v1/refunds")
    assert call[2] == "refund:r-1"
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (
        PaymentStatus.CAPTURED,
        Decimal("12.50"),
    )
    assert payment.events.last().kind == PaymentEventKind.REFUNDED


def test_a_held_payment_cannot_be_refunded_before_it_is_taken(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, _ = paid_with(fake_stripe, 3000)
    order = pickup_order(store=store, lines=[(item, 1)], payments=payments)
    with pytest.raises(Exception) as refused:
        refund_payment(
            payment=order.payments.get(),
            amount=Decimal("1.00"),
            reason="x",
            reference="r-held",
        )
    assert getattr(refused.value, "code", "") == "payment_not_captured"
    assert fake_stripe.refunds == {}


def test_a_dropped_connection_is_retried_with_the_same_idempotency_key(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, intent = paid_with(fake_stripe, 3000)
    order = ready_order(store=store, lines=[(item, 1)], payments=payments)
    fake_stripe.drop = 1
    collect_order(order=order, actor=None, code=order.pickup_code)
    calls = fake_stripe.calls("POST", f"/v1/payment_intents/{intent['id']}/capture")
    assert len(calls) == 2 and calls[0][2] == calls[1][2] != ""
    assert order.payments.get().status == PaymentStatus.CAPTURED


def test_stripe_out_of_reach_refuses_the_checkout_and_writes_nothing(fake_stripe):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, _ = paid_with(fake_stripe, 3000)
    fake_stripe.drop = 10
    with pytest.raises(PaymentUnavailable) as refused:
        pickup_order(store=store, lines=[(item, 1)], payments=payments)
    assert refused.value.status == 503
    assert held(item, store) == (3, 0)


@pytest.mark.parametrize(
    ("cents", "currency", "status", "code"),
    [
        (2999, "eur", "requires_capture", "payment_amount_mismatch"),
        (3000, "usd", "requires_capture", "payment_amount_mismatch"),
        (3000, "eur", "requires_payment_method", "payment_declined"),
        (3000, "eur", "canceled", "payment_declined"),
    ],
)
def test_an_intent_not_for_this_order_is_refused(
    fake_stripe, cents, currency, status, code
):
    store = shop()
    item = stocked(store, 3, price="30.00")
    payments, _ = paid_with(fake_stripe, cents, currency=currency, status=status)
    with pytest.raises(PaymentDeclined) as refused:
        pickup_order(store=store, lines=[(item, 1)], payments=payments)
    assert refused.value.code == code
    assert held(item, store) == (3, 0)
