"""Stripe's webhook about a held payment captured outside the handover: booked for
what Stripe received, a short capture shown to staff and never handed over as
paid; and signed bodies that are not payment events refused with 400, changing
nothing."""

from decimal import Decimal

import pytest
from django.core import mail

from omnistore.accounts.models import Role
from orders.models import (
    OrderStatus,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
    ProcessedWebhookEvent,
)
from orders.payments.base import AuthorisationLapsed
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.pickups import collect_order
from tests.factories import StaffFactory
from tests.fakes.stripe_server import intent_event, signed
from tests.orders.conftest import WEBHOOK_SECRET
from tests.orders.factories import deliver_outbox
from tests.orders.test_api_payments_stripe import placed_with_hold, post_webhook

pytestmark = pytest.mark.django_db

SUCCEEDED = "payment_intent.succeeded"


def ready_with_hold(fake):
    """A pickup for 30.00, its card held at Stripe, ready at the desk."""
    order, intent = placed_with_hold(fake)
    mark_picked(order=order)
    return mark_ready(order=order), intent


def send(event):
    return post_webhook(*signed(event, WEBHOOK_SECRET))


def test_a_hold_captured_in_full_outside_the_handover_is_booked_captured(fake_stripe):
    order, intent = ready_with_hold(fake_stripe)
    taken = fake_stripe.capture(intent["id"])

    response = send(intent_event(SUCCEEDED, taken))

    assert response.status_code == 200, response.json()
    payment = order.payments.get()
    assert (payment.status, payment.amount) == (PaymentStatus.CAPTURED, Decimal("30"))
    collect_order(order=order, actor=None, code=order.pickup_code)
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED


def test_a_hold_captured_in_part_books_what_stripe_took_and_the_desk_refuses(
    fake_stripe, client
):
    """10.00 of the 30.00 held was captured in Stripe's dashboard: the payment is
    captured for 10.00, the 20.00 Stripe let go is a lapsed payment, the order's
    history says so, and the desk does not hand the goods over; cancelling gives
    back the 10.00 taken, and nothing more is asked of Stripe."""
    order, intent = ready_with_hold(fake_stripe)
    taken = fake_stripe.capture(intent["id"], 1000)

    response = send(intent_event(SUCCEEDED, taken))

    assert response.status_code == 200, response.json()
    assert "captured 10.00 of 30.00 EUR" in response.json()["outcome"]
    captured, rest = order.payments.order_by("pk")
    assert (captured.status, captured.amount, captured.provider_reference) == (
        PaymentStatus.CAPTURED,
        Decimal("10.00"),
        intent["id"],
    )
    assert (rest.status, rest.amount, rest.method) == (
        PaymentStatus.LAPSED,
        Decimal("20.00"),
        captured.method,
    )
    assert [
        (e.kind, e.amount) for e in PaymentEvent.objects.order_by("payment_id", "pk")
    ] == [
        (PaymentEventKind.CAPTURED, Decimal("10.00")),
        (PaymentEventKind.LAPSED, Decimal("20.00")),
    ]
    note = order.history.last().note
    assert "Stripe captured 10.00 of the 30.00 EUR held" in note
    assert "20.00 EUR was not taken" in note

    staff = StaffFactory(
        store=order.fulfilments.get().location, role=Role.STORE_MANAGER
    )
    client.force_login(staff)
    page = client.get(f"/staff/orders/{order.number}/").content.decode()
    assert "Authorisation lapsed" in page and "20.00 EUR was not taken" in page

    with pytest.raises(AuthorisationLapsed):
        collect_order(order=order, actor=None, code=order.pickup_code)
    order.refresh_from_db()
    assert order.status == OrderStatus.READY

    cancel_order(order=order, reason="Not paid in full")
    [refund] = fake_stripe.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent["id"], 1000)
    captured.refresh_from_db()
    rest.refresh_from_db()
    assert (captured.status, rest.status) == (
        PaymentStatus.REFUNDED,
        PaymentStatus.LAPSED,
    )
    mail.outbox = []
    deliver_outbox()
    [email] = [m for m in mail.outbox if "cancelled" in m.subject]
    # 10.00 was charged (and is given back): the email does not say nothing was
    assert "nothing was charged" not in email.body and "10.00" in email.body
    page = client.get(f"/staff/orders/{order.number}/").content.decode()
    assert 'class="badge warn">Authorisation lapsed' in page


def test_the_desk_refuses_a_hold_captured_in_part_before_stripe_says_so(fake_stripe):
    order, intent = ready_with_hold(fake_stripe)
    fake_stripe.capture(intent["id"], 1000)

    with pytest.raises(AuthorisationLapsed) as refused:
        collect_order(order=order, actor=None, code=order.pickup_code)

    assert refused.value.code == "payment_partly_captured"
    assert refused.value.extra == {"payment": ["Stripe took 10.00 EUR, not 30.00 EUR."]}
    order.refresh_from_db()
    assert order.status == OrderStatus.READY
    assert order.payments.get().status == PaymentStatus.AUTHORISED


def test_a_capture_in_another_currency_is_not_booked_and_staff_are_told(fake_stripe):
    order, intent = ready_with_hold(fake_stripe)
    taken = {**fake_stripe.capture(intent["id"]), "currency": "usd"}

    response = send(intent_event(SUCCEEDED, taken))

    assert response.status_code == 200, response.json()
    payment = order.payments.get()
    assert (payment.status, payment.amount) == (PaymentStatus.AUTHORISED, 30)
    assert not PaymentEvent.objects.exists()
    assert "30.00 USD captured" in order.history.last().note


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        "evt",
        {"id": "evt_1", "type": SUCCEEDED, "data": {"object": "x"}},
        {"id": "evt_1", "type": SUCCEEDED, "data": "x"},
        {"id": "evt_1", "type": SUCCEEDED},
        {"id": "evt_1", "type": ["payment_intent.canceled"], "data": {}},
        {"id": {"x": 1}, "type": SUCCEEDED, "data": {}},
        {"id": "evt_1", "type": SUCCEEDED, "data": {"object": {"id": 5}}},
        {"id": "evt_1", "type": SUCCEEDED, "data": {"object": {"id": "pi_1"}}},
    ],
)
def test_a_signed_body_that_is_no_payment_event_is_a_400_and_changes_nothing(
    fake_stripe, body
):
    order, _ = ready_with_hold(fake_stripe)

    response = send(body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("not_an_event", "not_a_payment_intent")
    assert not ProcessedWebhookEvent.objects.exists()
    assert order.payments.get().status == PaymentStatus.AUTHORISED


def test_an_event_of_another_kind_is_acknowledged_and_ignored(fake_stripe):
    response = send({"id": "evt_2", "type": "charge.refunded", "data": {"object": 1}})
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "ignored"
