"""A card sale at a Swiss counter is sent to the shop's reader in francs: the reader
charges what the order and its payment record, in the same currency."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import (
    Order,
    PaymentMethod,
    TerminalIntent,
    TerminalIntentEvent,
    TerminalIntentStatus,
)
from tests.factories import StaffFactory
from tests.orders.terminal_helpers import reader
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shirt(franc_shirt):
    return franc_shirt


@pytest.fixture
def counter(client, zurich):
    associate = StaffFactory(store=zurich)
    client.force_login(associate)
    open_counter_till(associate)  # every counter sale is booked on the open till
    reader(zurich, label="Zürich till")
    return client


def test_the_reader_is_asked_for_the_sale_in_francs(counter, shirt):
    counter.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    response = counter.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.CARD_IN_STORE},
        **HTMX,
    )

    intent = TerminalIntent.objects.get(status=TerminalIntentStatus.PENDING)
    assert (intent.amount, intent.currency) == (Decimal("62.90"), "CHF")
    sent = TerminalIntentEvent.objects.get(intent=intent)
    assert sent.note == "62.90 CHF sent to Zürich till"
    page = counter.get(response["HX-Redirect"]).content.decode()
    assert "62.90 CHF" in page and "62.90 EUR" not in page

    simulate = reverse("staff:sale_terminal_simulate", args=[intent.reference])
    counter.post(simulate, {"outcome": "approve"}, **HTMX)

    order = Order.objects.get()
    payment = order.payments.get()
    assert (order.total, order.currency) == (Decimal("62.90"), "CHF")
    assert (payment.amount, payment.currency) == (intent.amount, intent.currency)
