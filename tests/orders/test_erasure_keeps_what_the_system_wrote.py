"""Erasing a customer's data keeps what the shop's system wrote in the histories and
reasons of their orders, returns, refunds and till (how the goods were handed over,
which return a refund paid), and blanks what people typed there, also when it
follows the system's own words."""

import pytest

from customers.privacy import ERASED_TEXT
from customers.services.erasure import erase_customer
from omnistore.approvals.models import Approval
from omnistore.approvals.services.approvals import ApprovalRequired, decide_approval
from omnistore.core.channels import Channel
from orders.models import (
    PaymentEvent,
    PaymentEventKind,
    Refund,
    ReturnLine,
    TillMovement,
    TillMovementKind,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.pickups import collect_order
from orders.services.refunds import receive_return, refund_return
from orders.services.returns import request_return
from tests.approvals.helpers import ask, make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import CARD, shop, stocked
from tests.orders.returns_helpers import line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def ivo():
    return make_customer(email="ivo@example.com", first_name="Ivo", last_name="Neri")


def ready_for(customer, store, associate, note=""):
    order = place_order(
        lines=[LineRequest(stocked(store, 3, price="30.00"), 2)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=CARD,
    )
    mark_picked(order=order, actor=associate, location=store, note=note)
    return mark_ready(order=order, actor=associate, location=store)


def notes(history) -> list[tuple[str, str]]:
    return list(history.order_by("at", "id").values_list("to_status", "note"))


def test_the_system_notes_survive_and_what_people_typed_goes(
    settings, store, associate, ivo
):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None
    open_counter_till(associate)
    order = ready_for(ivo, store, associate, note="Ivo wants a gift box")
    order = collect_order(
        order=order, actor=associate, code=order.pickup_code, location=store
    )
    ret = request_return(
        order=order,
        lines=[line_request(order, 1, note="Ivo: the seam opened")],
        channel=Channel.WEB,
        customer=ivo,
        note="Ivo changed his mind",
    )
    receive_return(
        return_request=ret,
        location=store,
        actor=associate,
        note="Ivo left the box at home",
    )
    refund_return(return_request=ret, actor=associate, location=store)
    paid_back = f"Return {ret.code}"

    erase_customer(customer=ivo, reason="Ticket GDPR-1", forfeit_balance=True)

    assert notes(order.history) == [
        ("placed", "Placed via Website"),
        ("picked", ERASED_TEXT),
        ("ready", ""),
        ("collected", "Pickup code verified"),
    ]
    assert notes(ret.history) == [
        ("requested", "Started via Website"),
        ("received", ERASED_TEXT),
        ("refunded", "Original payment method"),
    ]
    assert list(
        Refund.objects.filter(payment__order=order).values_list("reason", flat=True)
    ) == [paid_back]
    assert list(
        PaymentEvent.objects.filter(
            payment__order=order, kind=PaymentEventKind.REFUNDED
        ).values_list("note", flat=True)
    ) == [paid_back]
    # An online payment goes back through its provider: the till books none of it
    # (its books' reasons: test_erasure_till_books).
    assert not TillMovement.objects.filter(
        order=order, kind=TillMovementKind.REFUND
    ).exists()
    ret.refresh_from_db()
    assert ret.note == ERASED_TEXT
    assert ReturnLine.objects.get(return_request=ret).note == ERASED_TEXT


def test_a_reason_typed_after_the_systems_words_goes_and_the_words_stay(
    settings, store, associate, ivo
):
    """A pickup without the code: the history keeps that the identity was checked and
    which manager approved it, not what the associate saw; the manager's approval
    loses what the associate and the manager wrote."""
    settings.OMNISTORE_APPROVAL_PICKUP_BY_IDENTITY = True
    manager = make_approver(
        StaffFactory(store=store, first_name="Marco", last_name="Rossi")
    )
    order = ready_for(ivo, store, associate)
    handover = {
        "order": order,
        "actor": associate,
        "identity_checked": True,
        "note": "Passport of Ivo Neri, born 1980",
        "location": store,
    }
    with pytest.raises(ApprovalRequired) as asked:
        collect_order(**handover)
    yes = decide_approval(
        approval=ask(asked.value, associate),
        approver=manager,
        approve=True,
        note="I know Ivo, fine",
    )
    collect_order(**handover, approvals=[yes.pk])

    erase_customer(customer=ivo, reason="Ticket GDPR-2", forfeit_balance=True)

    assert notes(order.history)[-1] == (
        "collected",
        f"Identity checked: {ERASED_TEXT} · approved by Marco Rossi",
    )
    approval = Approval.objects.get(pk=yes.pk)
    assert (approval.reason, approval.decision_note) == (
        f"Identity checked: {ERASED_TEXT}",
        ERASED_TEXT,
    )
    assert approval.summary == f"Hand over order {order.number} without the pickup code"


@pytest.mark.parametrize(
    ("texts", "typed"),
    [
        (
            "ORDER_NOTES",
            "Refund of 5 EUR as store credit: the gift card Mario Rossi, "
            "mario.rossi@example.com, left at Via Roma 1",
        ),
        ("ORDER_NOTES", "Tracking mario.rossi@example.com,3331234567"),
        (
            "ORDER_NOTES",
            "Parts from Mario Rossi, Via Roma 1 cancelled: Not shipped; 5 EUR refunded",
        ),
        (
            "ORDER_NOTES",
            "Transfer T-1 closed short (x); left with the neighbour Mario Rossi at "
            "Via Roma 1",
        ),
        ("ORDER_NOTES", "Cancelled · approved by Mario Rossi tel 3331234567"),
        ("ORDER_NOTES", "Identity checked: x · approved by Mario Rossi, via Roma 1"),
        (
            "RETURN_NOTES",
            "Accepted outside the return window: x · approved by Mario Rossi, "
            "via Roma 1, 3331234567",
        ),
        (
            "CREDIT_REASONS",
            "Order OS-1: refund of a payment by gift card Mario Rossi 3331234567",
        ),
        ("CREDIT_REASONS", "Refund of a store credit payment (Mario Rossi 333)"),
    ],
)
def test_what_people_typed_in_the_shape_of_the_systems_words_still_goes(texts, typed):
    import orders.privacy

    kept = getattr(orders.privacy, texts).erase(typed)
    assert "Roma" not in kept and "@" not in kept and "333" not in kept, kept


@pytest.mark.parametrize(
    ("texts", "written"),
    [
        ("ORDER_NOTES", "Placed via Website"),
        ("ORDER_NOTES", "Placed via Store · customer identified by loyalty card"),
        ("ORDER_NOTES", "Tracking 1Z999AA10123456784"),
        ("ORDER_NOTES", "Cancelled by the customer · approved by Marco R."),
        ("RETURN_NOTES", "Started via Website"),
        ("CREDIT_REASONS", "Return R-96NMJT of order OS-AA9F1-4MGXH"),
    ],
)
def test_what_the_system_wrote_stays_whole(texts, written):
    import orders.privacy

    assert getattr(orders.privacy, texts).erase(written) == written


def test_an_unlock_keeps_who_approved_it_and_loses_the_reason():
    from orders.privacy import ORDER_NOTES

    assert (
        ORDER_NOTES.erase(
            "Pickup unlocked: ID AX123, Via Roma 1 · approved by Marco Rossi"
        )
        == f"Pickup unlocked: {ERASED_TEXT} · approved by Marco Rossi"
    )
    assert ORDER_NOTES.erase("Pickup unlocked · approved by Marco R.") == (
        "Pickup unlocked · approved by Marco R."
    )
