"""A refund due to a gift card that can no longer take it (void, or past its date)
goes to the customer's store credit, and everything that shows the refund names it
so — the desk's message, the return's page, the refund receipt printed and through
the API, the refund email, the timeline, the till's ledger and Z report, and for a
cancelled order its email, its receipt and its payments — never "back to your gift
card". Refunds made before the refund kept where its money went take it from what
they left behind."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerEvent
from omnistore.core.channels import Channel
from omnistore.staff.once import new_token
from orders.models import (
    PaymentMethod,
    Refund,
    Return,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.selectors.till import z_report
from orders.services.checkout import LineRequest, place_order
from orders.services.giftcards import void_gift_card
from orders.services.payments import PaymentRequest
from orders.services.till import TillBooking
from tests.factories import StaffFactory
from tests.orders.factories import CARD, deliver_outbox, shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import PIN, credit_of, gift_card
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal

set_given_as = import_module("orders.migrations.0031_refund_given_as").set_given_as


@pytest.fixture
def duomo():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def associate(duomo):
    return StaffFactory(store=duomo, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def ada():
    return shopper("ada@example.com")


def by_gift_card(card, amount: str) -> PaymentRequest:
    return PaymentRequest(
        method=PaymentMethod.GIFT_CARD,
        card_number=card.number,
        pin=PIN,
        amount=D(amount),
    )


@pytest.fixture
def sale(duomo, associate, ada):
    """A scarf of 14.90 sold at the counter: 10.00 from a gift card, 4.90 in cash;
    then the card is voided (reported stolen)."""
    _, customer = ada
    session = open_counter_till(associate)
    card = gift_card("10.00")
    scarf = stocked(duomo, 3, price="14.90", sku="SCARF-RED")
    order = place_order(
        lines=[LineRequest(scarf, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=duomo,
        staff=associate,
        customer=customer,
        email="ada@example.com",
        payments=[by_gift_card(card, "10.00"), PaymentRequest(PaymentMethod.CASH)],
        till=TillBooking(session, D("5.00")),
    )
    void_gift_card(card=card, reason="Reported stolen", actor=None)
    deliver_outbox()
    mail.outbox = []
    return order, session


def returned_for_a_refund(desk, order):
    line = order.lines.get()
    return desk.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": "original",
            "action": "refund",
        },
    )


def test_a_return_refunded_for_a_void_gift_card_reads_as_store_credit(desk, ada, sale):
    user, customer = ada
    order, session = sale

    response = returned_for_a_refund(desk, order)

    assert response.status_code == 302, response.content.decode()
    ret = Return.objects.get()
    assert credit_of(customer) == D("10.00")
    redirected = Refund.objects.get(payment__method=PaymentMethod.GIFT_CARD)
    assert redirected.given_as == PaymentMethod.STORE_CREDIT
    credit = StoreCreditTransaction.objects.get(kind=StoreCreditKind.PAYMENT_REFUND)
    until = timezone.localdate(credit.expires_at)

    page = desk.get(response["Location"]).content.decode()
    assert (
        f"Return {ret.code} refunded: 4.90 EUR to cash, 10.00 EUR to store credit."
        in page
    )
    summary = page.split('data-testid="refund-summary">')[1].split("</div>\n</div>")[0]
    assert "<strong>10.00 EUR</strong> to store credit <span" in summary
    assert f"until {until:%d %b %Y}" in summary
    assert "gift card" not in summary.lower()
    money_back = page.split('data-testid="money-back">')[1].split("</ul>")[0]
    assert "Store credit" in money_back and "Gift card" not in money_back

    printed = desk.get(reverse("staff:return_receipt_print", args=[ret.code]))
    refunds = printed.content.decode().split('data-testid="receipt-refunds">')[1]
    refunds = refunds.split("</table>")[0]
    assert "Store credit" in refunds and "Gift card" not in refunds
    assert f"valid until {until.day} {until:%B %Y}" in refunds

    body = api_client_for(user).get(f"/api/v1/returns/{ret.code}/receipt/").json()
    assert [(t["method"], t["amount"], t["valid_until"]) for t in body["refunds"]] == [
        ("cash", "4.90", None),
        ("store_credit", "10.00", until.isoformat()),
    ]

    deliver_outbox()
    (email,) = [m for m in mail.outbox if ret.code in m.subject]
    for text in (email.body, email.alternatives[0][0]):
        assert "to your gift card" not in text
        assert (
            "10.00 EUR back to your store credit, usable online and in every shop "
            f"until {until.day} {until:%B %Y}" in text
        )

    event = CustomerEvent.objects.get(kind="return_refunded")
    assert event.data["refunded_as"] == [
        {"method": "cash", "amount": "4.90"},
        {"method": "store_credit", "amount": "10.00"},
    ]
    assert "10.00 EUR to store credit" in event.summary

    till = desk.get(reverse("staff:till")).content.decode()
    assert "<div>Store credit -10.00</div>" in till
    assert "<div>Gift card -10.00</div>" not in till
    report = z_report(session)
    assert report.refunds_by_tender == [
        ("Cash", D("4.90")),
        ("Store credit", D("10.00")),
    ]
    assert report.refunds_total == D("14.90")


def paid_partly_by_a_void_card(duomo, customer):
    """A web order collected later at the Duomo: 20.00 from a gift card, the rest by
    card online; the gift card is voided before the order is cancelled."""
    card = gift_card("20.00")
    order = place_order(
        lines=[LineRequest(stocked(duomo, 3, price="100.00"), 1)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=duomo,
        customer=customer,
        payments=[by_gift_card(card, "20.00"), *CARD],
    )
    void_gift_card(card=card, reason="Reported stolen", actor=None)
    deliver_outbox()
    mail.outbox = []
    return order


def test_a_cancelled_order_names_the_store_credit_a_void_gift_card_gave(duomo, ada):
    user, customer = ada
    order = paid_partly_by_a_void_card(duomo, customer)
    client = api_client_for(user)

    cancelled = client.post(f"/api/v1/orders/{order.number}/cancel/")

    assert cancelled.status_code == 200, cancelled.json()
    assert credit_of(customer) == D("20.00")
    paid_by_card = next(
        p for p in cancelled.json()["payments"] if p["method"] == "gift_card"
    )
    assert [(r["amount"], r["given_as"]) for r in paid_by_card["refunds"]] == [
        ("20.00", "store_credit")
    ]

    credit = StoreCreditTransaction.objects.get(kind=StoreCreditKind.PAYMENT_REFUND)
    until = timezone.localdate(credit.expires_at)
    receipt = client.get(f"/api/v1/orders/{order.number}/receipt/").json()
    assert sorted(
        (t["method"], t["amount"], t["valid_until"]) for t in receipt["refunds"]
    ) == [
        ("card_online", "80.00", None),
        ("store_credit", "20.00", until.isoformat()),
    ]

    deliver_outbox()
    (email,) = [m for m in mail.outbox if "is cancelled" in m.subject]
    text, html = email.body, email.alternatives[0][0]
    usable = f"usable online and in every shop until {until.day} {until:%B %Y}."
    assert f"Refunded: 20.00 EUR to your store credit, {usable}" in text
    assert (
        f"Refunded: <strong>20.00 EUR</strong> to your store credit, {usable}" in html
    )
    assert "to your gift card" not in text + html


def test_refunds_made_before_take_where_their_money_went_from_what_they_left(
    duomo, ada
):
    """A gift card's refund that booked store credit, one whose reason alone
    carries the note of it, and a card refund: the first two went to store credit,
    the card's to the card."""
    _, customer = ada
    first = paid_partly_by_a_void_card(duomo, customer)
    second = paid_partly_by_a_void_card(duomo, customer)
    for order in (first, second):
        cancel = api_client_for(ada[0]).post(f"/api/v1/orders/{order.number}/cancel/")
        assert cancel.status_code == 200, cancel.json()
    noted_only = Refund.objects.get(
        payment__order=second, payment__method=PaymentMethod.GIFT_CARD
    )
    Refund.objects.filter(pk=noted_only.pk).update(provider_reference="gc-unknown")
    Refund.objects.filter(payment__method=PaymentMethod.GIFT_CARD).update(
        given_as=PaymentMethod.GIFT_CARD
    )
    Refund.objects.filter(payment__method=PaymentMethod.CARD_ONLINE).update(
        given_as=PaymentMethod.CASH
    )

    set_given_as(apps, None)

    assert sorted(
        Refund.objects.values_list(
            "payment__order__number", "payment__method", "given_as"
        )
    ) == sorted(
        [
            (first.number, "gift_card", "store_credit"),
            (first.number, "card_online", "card_online"),
            (second.number, "gift_card", "store_credit"),
            (second.number, "card_online", "card_online"),
        ]
    )
