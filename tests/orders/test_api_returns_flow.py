"""Returns anywhere: an online order collected at one shop comes back at another.

The customer starts the return through the API; an associate of the other shop
receives and refunds it. Stock lands where the goods are, the money goes back to the
card that paid, the points go, and everything is on the timeline and in the ledgers.
"""

from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum

from customers.models import CustomerEvent, LoyaltyTransaction
from inventory.models import MovementReason, StockLevel, StockMovement
from inventory.selectors import ledger_discrepancies
from orders.models import (
    Payment,
    PaymentStatus,
    Refund,
    Return,
    ReturnRefund,
    ReturnStatus,
)
from orders.selectors.credit import store_credit_discrepancies
from orders.services.refunds import (
    receive_and_refund_return,
    receive_return,
    refund_return,
    return_at_counter,
)
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

pytestmark = pytest.mark.django_db


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def start_return_online(client, order, line) -> str:
    """The customer asks to return one unit through the API; returns the code their
    return email, QR and instructions carry."""
    response = client.post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {
                    "order_line": line.pk,
                    "quantity": 1,
                    "reason": "too_small",
                    "note": "Fits tight on the shoulders",
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    code = body["code"]
    assert code.startswith("R-") and len(code) == 8
    assert body["status"] == "requested"
    assert body["qr"].startswith("data:image/png;base64,")
    assert code in body["instructions"]
    assert body["lines"][0]["reason"] == "too_small"
    assert body["lines"][0]["amount"] == "40.00"
    qr = client.get(body["qr_url"])
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    assert qr.content.startswith(b"\x89PNG")
    return code


def assert_stock_lands_where_the_goods_are(code, shirt, *, sold_at, returned_at, by):
    """Stock goes up where the goods landed, not where they were sold."""
    assert level(shirt, returned_at).on_hand == 1
    assert level(shirt, sold_at).on_hand == 3
    movement = StockMovement.objects.get(
        reason=MovementReason.RETURN_RESTOCK, reference_id=code
    )
    assert (movement.location_id, movement.delta_on_hand) == (returned_at.pk, 1)
    assert movement.actor == by


def assert_the_card_is_refunded_once(order, refunded, code):
    """The card that paid gets the money back, through the provider, once."""
    payment = Payment.objects.get(order=order)
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("40.00")
    assert refund.reference == f"return:{code}:{payment.pk}"
    assert refund.provider_reference.startswith("re_")
    assert ReturnRefund.objects.get(return_request=refunded).refund == refund
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("40.00")
    assert payment.status == PaymentStatus.CAPTURED  # partly refunded


def assert_the_points_are_reversed(customer, refunded, code):
    """Points for the returned value are taken back: 105 × 40 / 105."""
    customer.refresh_from_db()
    assert refunded.points_reversed == 40
    assert customer.points_balance == 65
    reversal = LoyaltyTransaction.objects.get(
        reference_type="return", reference_id=code
    )
    assert reversal.points == -40


def assert_the_timeline_tells_the_story(customer, refunded, returned_at):
    """The timeline tells the whole story, shop by shop."""
    events = list(
        CustomerEvent.objects.filter(customer=customer)
        .order_by("occurred_at", "id")
        .values_list("kind", "location_id")
    )
    kinds = [kind for kind, _ in events]
    for kind in (
        "order_placed",
        "order_collected",
        "return_requested",
        "return_received",
        "refund_issued",
        "points_reversed",
        "return_refunded",
    ):
        assert kind in kinds, kinds
    assert ("return_received", returned_at.pk) in events
    history = list(refunded.history.values_list("from_status", "to_status"))
    assert history == [
        ("", "requested"),
        ("requested", "received"),
        ("received", "refunded"),
    ]


def assert_the_emails_follow_the_return(order, code):
    """Emails leave after commit: the return code first, then the refund."""
    deliver_outbox()
    subjects = [m.subject for m in mail.outbox]
    assert f"Your return {code} for order {order.number}" in subjects
    assert f"Your refund for return {code}" in subjects
    refund_mail = next(m for m in mail.outbox if m.subject.startswith("Your refund"))
    assert "40.00 EUR back to your card" in refund_mail.body


def test_online_pickup_at_one_shop_is_returned_and_refunded_at_another():
    shop_a = shop(code="MI01", name="Milano Centro")
    shop_b = shop(code="TO01", name="Torino Porta Nuova")
    shirt = stocked(shop_a, 5, price="40.00")
    belt = stocked(shop_a, 5, price="25.00")
    user, customer = shopper()
    order = collected_order(
        store=shop_a,
        lines=[(shirt, 2), (belt, 1)],
        customer=customer,
        staff=StaffFactory(store=shop_a),
    )
    order.refresh_from_db()
    assert order.loyalty_points == 105
    lines = {line.variant_id: line for line in order.lines.all()}
    client = api_client_for(user)

    code = start_return_online(client, order, lines[shirt.pk])

    associate = StaffFactory(store=shop_b)
    refunded = receive_and_refund_return(
        return_request=code, location=shop_b, actor=associate
    )

    assert refunded.status == ReturnStatus.REFUNDED
    assert_stock_lands_where_the_goods_are(
        code, shirt, sold_at=shop_a, returned_at=shop_b, by=associate
    )
    assert_the_card_is_refunded_once(order, refunded, code)
    assert_the_points_are_reversed(customer, refunded, code)
    assert_the_timeline_tells_the_story(customer, refunded, shop_b)
    assert_the_emails_follow_the_return(order, code)
    # Books balance.
    assert ledger_discrepancies() == []
    assert store_credit_discrepancies() == []
    # The customer sees it as refunded.
    detail = client.get(f"/api/v1/returns/{code}/").json()
    assert detail["status"] == "refunded"
    assert detail["receiving_location"]["code"] == "TO01"
    assert detail["refund_total"] == "40.00"


def test_a_refund_submitted_twice_pays_out_once():
    store = shop()
    item = stocked(store, 3, price="30.00")
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 2)], customer=customer)
    line = order.lines.get()
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(line.pk, 2, "changed_mind")],
    )
    associate = StaffFactory(store=store)
    receive_return(return_request=ret, location=store, actor=associate)

    first = refund_return(return_request=ret.code, actor=associate)
    second = refund_return(return_request=ret.code, actor=associate)

    assert first.already_refunded is False
    assert second.already_refunded is True
    assert Refund.objects.count() == 1
    assert Refund.objects.get().amount == Decimal("60.00")
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("60.00")
    assert payment.status == PaymentStatus.REFUNDED
    assert Return.objects.get().history.filter(to_status="refunded").count() == 1
    customer.refresh_from_db()
    assert customer.points_balance == 0  # 60 earned, 60 reversed once


def test_returning_a_line_in_parts_refunds_exactly_what_was_paid():
    store = shop()
    item = stocked(store, 5, price="10.00")
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 3)], customer=customer)
    line = order.lines.get()
    associate = StaffFactory(store=store)
    amounts = []
    for units in (1, 2):
        ret = return_at_counter(
            order=order.number,
            lines=[ReturnLineRequest(line.pk, units, "too_big")],
            location=store,
            actor=associate,
        )
        amounts.append(ret.refund_total)

    assert amounts == [Decimal("10.00"), Decimal("20.00")]
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED
    customer.refresh_from_db()
    assert customer.points_balance == 0
    ledger = LoyaltyTransaction.objects.filter(customer=customer).aggregate(
        total=Sum("points")
    )
    assert ledger["total"] == 0
