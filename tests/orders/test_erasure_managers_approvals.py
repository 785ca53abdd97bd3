"""Erasing a customer's data blanks what the associate and the manager wrote when a
manager was asked about the person's sale: a price changed on one of its lines, a
refund of their order. The approval keeps what was approved (its summary, amount
and subject), as the sale line and the order keep their prices and amounts."""

from decimal import Decimal

import pytest

from customers.privacy import ERASED_TEXT
from customers.services.erasure import erase_customer
from omnistore.approvals.models import Approval
from omnistore.approvals.services.approvals import ApprovalRequired, decide_approval
from omnistore.core.channels import Channel
from orders.models import CartLine, Refund
from orders.privacy_texts import ERASURE_NOTE
from orders.services.carts import add_cart_lines, create_cart
from orders.services.checkout import LineRequest, place_order
from orders.services.counter_prices import set_counter_price
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from tests.approvals.helpers import ask, make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import ADDRESS, CARD, shop, stocked, warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(store=store, first_name="Marco", last_name="Rossi")
    )


@pytest.fixture
def erin():
    return make_customer(email="erin@example.com", first_name="Erin", last_name="Dal")


def approved_after_asking(move, *, associate, manager, note: str) -> Approval:
    """``move(approvals)`` waits for a manager, who says yes with ``note``; then it
    goes through with that yes."""
    with pytest.raises(ApprovalRequired) as asked:
        move(())
    yes = decide_approval(
        approval=ask(asked.value, associate), approver=manager, approve=True, note=note
    )
    move([yes.pk])
    return yes


def test_a_price_changed_on_the_persons_sale_loses_its_reason_on_the_approval_too(
    store, associate, manager, erin
):
    shirt = stocked(store, 3, price="40.00")
    cart = create_cart(channel=Channel.STORE)
    line = add_cart_lines(cart=cart, lines=[(shirt.pk, 1)])[0]

    def set_price(approvals):
        set_counter_price(
            cart=cart,
            line_id=line.pk,
            price="5.00",
            reason="Friend of the shop, Erin's birthday",
            actor=associate,
            location=store,
            approvals=approvals,
        )

    yes = approved_after_asking(
        set_price, associate=associate, manager=manager, note="ok for Erin, one-off"
    )
    order = place_order(
        lines=[LineRequest(shirt, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        customer=erin,
        payments=[PaymentRequest("card_in_store")],
        staff_sale=StaffSale(prices={shirt.pk: Decimal("5.00")}),
        cart=cart,
    )
    summary = Approval.objects.get(pk=yes.pk).summary

    erase_customer(customer=erin, reason="Ticket GDPR-3", forfeit_balance=True)

    assert CartLine.objects.get(pk=line.pk).counter_price_reason == ERASED_TEXT
    approval = Approval.objects.get(pk=yes.pk)
    assert approval.subject == f"cartline:{line.pk}"
    assert (approval.reason, approval.decision_note) == (ERASED_TEXT, ERASED_TEXT)
    assert (approval.summary, approval.amount) == (summary, Decimal("35.00"))
    assert order.lines.get().unit_price == Decimal("5.00")


def test_a_refund_of_the_persons_order_loses_its_reasons_on_the_approval_too(
    settings, store, associate, manager, erin
):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = Decimal("10")
    order = place_order(
        lines=[LineRequest(stocked(warehouse(), 3, price="30.00"), 1)],
        channel=Channel.WEB,
        fulfilment="delivery",
        address=ADDRESS,
        customer=erin,
        payments=CARD,
    )

    def cancel(approvals):
        cancel_order(
            order=order,
            actor=associate,
            reason="Erin found it cheaper",
            location=store,
            approvals=approvals,
        )

    yes = approved_after_asking(
        cancel, associate=associate, manager=manager, note="Erin is a regular"
    )

    erase_customer(customer=erin, reason="Ticket GDPR-4", forfeit_balance=True)

    approval = Approval.objects.get(pk=yes.pk)
    assert approval.subject == f"order:{order.number}:cancel"
    assert (approval.reason, approval.decision_note) == (ERASED_TEXT, ERASED_TEXT)
    assert approval.amount == Decimal("30.00")
    assert order.history.order_by("at", "id").last().note == (
        f"{ERASED_TEXT} · approved by Marco Rossi"
    )
    assert list(
        Refund.objects.filter(payment__order=order).values_list("reason", flat=True)
    ) == [ERASED_TEXT]


def test_requests_still_open_about_the_person_end_before_their_words_go(
    store, associate, erin
):
    """Two requests for one price, asked with different words, both still open: the
    words blanked would make them the same request twice. They end (expired, the
    erasure said as why) before their words go, and the erasure goes through."""
    shirt = stocked(store, 3, price="40.00")
    cart = create_cart(channel=Channel.STORE, customer=erin)
    line = add_cart_lines(cart=cart, lines=[(shirt.pk, 1)])[0]
    for reason in ("Friend of Erin's", "Erin's birthday"):
        with pytest.raises(ApprovalRequired) as asked:
            set_counter_price(
                cart=cart,
                line_id=line.pk,
                price="5.00",
                reason=reason,
                actor=associate,
                location=store,
                approvals=(),
            )
        ask(asked.value, associate)
    assert Approval.objects.filter(status="pending").count() == 2

    erase_customer(customer=erin, reason="Ticket GDPR-5", forfeit_balance=True)

    ended = Approval.objects.order_by("pk")
    assert [a.status for a in ended] == ["expired", "expired"]
    assert all(a.decided_at is not None for a in ended)
    assert all("Erin" not in a.reason for a in ended)
    assert all(a.decision_note == ERASURE_NOTE for a in ended)
