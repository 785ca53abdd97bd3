"""Store credit given back by a cancellation — an order paid with store credit, or
a delivery whose parts not yet left are cancelled — says until when it can be
spent, as a return's does: the order's receipt through the API and printed, and
the email that tells the customer of the cancellation."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from orders.models import PaymentMethod, StoreCreditKind, StoreCreditTransaction
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory
from tests.orders.factories import CARD, deliver_outbox, pickup_order, shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import credit_of, give_credit
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


def credit_given_back_until():
    """The last day the store credit the cancellation gave back can be spent, as
    its ledger row has it."""
    credit = StoreCreditTransaction.objects.get(kind=StoreCreditKind.PAYMENT_REFUND)
    assert credit.expires_at is not None
    return timezone.localdate(credit.expires_at)


def usable_until(day) -> str:
    return f"usable online and in every shop until {day.day} {day:%B %Y}."


def test_a_cancelled_order_paid_with_store_credit_says_until_when_it_is_good(client):
    duomo = shop(code="MI02", name="Milano Duomo")
    user, customer = shopper("ada@example.com")
    give_credit(customer, "20.00")
    order = pickup_order(
        store=duomo,
        lines=[(stocked(duomo, 3, price="100.00"), 1)],
        customer=customer,
        payments=[
            PaymentRequest(PaymentMethod.STORE_CREDIT, amount=D("20.00")),
            *CARD,
        ],
    )
    deliver_outbox()
    mail.outbox.clear()
    api = api_client_for(user)

    cancelled = api.post(f"/api/v1/orders/{order.number}/cancel/")

    assert cancelled.status_code == 200, cancelled.json()
    assert credit_of(customer) == D("20.00")
    until = credit_given_back_until()

    receipt = api.get(f"/api/v1/orders/{order.number}/receipt/").json()
    assert sorted(
        (t["method"], t["amount"], t["valid_until"]) for t in receipt["refunds"]
    ) == [
        ("card_online", "80.00", None),
        ("store_credit", "20.00", until.isoformat()),
    ]

    client.force_login(StaffFactory(store=duomo))
    printed = client.get(reverse("staff:receipt_print", args=[order.number]))
    refunds = printed.content.decode().split('data-testid="receipt-refunds">')[1]
    refunds = refunds.split("</table>")[0]
    assert (
        f'Store credit<br><small data-testid="credit-valid-until">valid until '
        f"{until.day} {until:%B %Y}</small>"
    ) in refunds

    deliver_outbox()
    (email,) = [m for m in mail.outbox if m.subject.endswith("is cancelled")]
    text, html = email.body, email.alternatives[0][0]
    assert f"Refunded: 20.00 EUR to your store credit, {usable_until(until)}" in text
    assert (
        f"Refunded: <strong>20.00 EUR</strong> to your store credit, "
        f"{usable_until(until)}"
    ) in html


def test_a_delivery_cut_short_says_until_when_its_store_credit_is_good():
    """Milano's parcel leaves; Roma's and Napoli's parts, paid with store credit,
    are cancelled: the email of the parcel on its way says until when the credit
    they gave back can be spent."""
    split = split_shops()
    _, customer = shopper("ada@example.com")
    give_credit(customer, "1000.00")
    order = split_order(
        split,
        customer=customer,
        payments=[PaymentRequest(PaymentMethod.STORE_CREDIT)],
    )
    milano = StaffFactory(store=split.milano)
    mark_picked(order=order, actor=milano, location=split.milano)
    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )
    cancel_order(order=order, actor=milano, reason="Out of stock at Roma and Napoli")
    mail.outbox.clear()

    deliver_outbox()

    until = credit_given_back_until()
    (email,) = [
        m
        for m in mail.outbox
        if m.subject == f"Part of order {order.number} is on its way"
    ]
    # Roma's jeans (2 × 80.00) and coat, Napoli's coat (200.00 each)
    said = f"to your store credit, {usable_until(until)}"
    assert f"Refunded: 560.00 EUR {said}" in email.body
    assert f"Refunded: <strong>560.00 EUR</strong> {said}" in email.alternatives[0][0]
