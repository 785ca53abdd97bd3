"""A parcel a shop sends takes the card hold as it leaves. A hold Stripe dropped
before its webhook came is found lapsed there: the parcel does not leave, yet the
payment is booked lapsed (its event, a line in the order's history naming who
found it and where), and shipping again refuses without asking Stripe."""

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from omnistore.accounts.models import Role
from orders.models import (
    FulfilmentStatus,
    OrderStatus,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
)
from orders.services.fulfilment import mark_picked
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory
from tests.orders.factories import delivery_order, shop, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro", ships_online_orders=True)


@pytest.fixture
def associate(client, store):
    """An associate of the shop sending the parcel, signed in."""
    user = StaffFactory(store=store, role=Role.ASSOCIATE)
    client.force_login(user)
    return user


def test_a_hold_found_lapsed_when_shipping_is_booked_and_the_parcel_stays(
    client, associate, store, fake_stripe
):
    item = stocked(store, 3, price="65.00")
    intent = fake_stripe.intent(6500)
    order = delivery_order(
        lines=[(item, 1)],
        payments=[PaymentRequest(method="card_online", token=intent["id"])],
    )
    assert order.fulfilments.get().location == store
    mark_picked(order=order, actor=associate)
    fake_stripe.expire(intent["id"])  # Stripe dropped the hold, no webhook yet
    url = reverse("staff:order_ship", args=[order.number])
    sent = {"carrier": "gls", "tracking_reference": "BRT-9"}

    refused = client.post(url, sent)

    assert refused.status_code == 422
    assert "Do not ship it: cancel the order on its page" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED
    assert order.fulfilments.get().status != FulfilmentStatus.SHIPPED
    level = StockLevel.objects.get(variant=item, location=store)
    assert (level.on_hand, level.reserved) == (3, 1)
    payment = order.payments.get()
    assert payment.status == PaymentStatus.LAPSED
    event = PaymentEvent.objects.get(payment=payment)
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        PaymentEventKind.LAPSED,
        PaymentStatus.AUTHORISED,
        PaymentStatus.LAPSED,
        associate,
    )
    line = order.history.last()
    assert (line.from_status, line.to_status) == (
        OrderStatus.PICKED,
        OrderStatus.PICKED,
    )
    assert (line.actor, line.location) == (associate, store)
    assert "65.00 EUR found lapsed at the provider" in line.note

    # Tapped again: refused without asking Stripe, nothing booked twice.
    asked = len(fake_stripe.calls("POST", "/v1/payment_intents/"))
    assert client.post(url, sent).status_code == 422
    assert len(fake_stripe.calls("POST", "/v1/payment_intents/")) == asked
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    assert order.history.filter(note=line.note).count() == 1
