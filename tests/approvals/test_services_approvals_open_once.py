"""One open request per move of one person: asked again (a double tap, a reload) the
associate's screen waits on the request already open, the database refuses a
second open one for the same move, and one left open past its time ends expired
when the move is asked anew."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.approvals.services.approvals import (
    Ask,
    decide_approval,
    request_approval,
)
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def big_discount(store, **changes) -> Ask:
    """A 30 % code on a basket of 55.00 EUR, above what an associate may give."""
    fields = {
        "kind": ApprovalKind.DISCOUNT,
        "location_id": store.pk,
        "subject": "cart:62:55.00:BIG30",
        "summary": "Discount BIG30: 16.50 EUR off 55.00 (30%)",
        "amount": Decimal("16.50"),
        "currency": "EUR",
        **changes,
    }
    return Ask(**fields)


def pickup_by_identity(store) -> Ask:
    """A move with no sum: an order handed over on an identity check."""
    return Ask(
        kind=ApprovalKind.PICKUP_BY_IDENTITY,
        location_id=store.pk,
        subject="order:1001",
        summary="Hand over order 1001 without the pickup code",
        reason="Identity card checked: Ada Lovelace",
    )


def open_row(ask: Ask, requested_by, **fields) -> Approval:
    """A request written straight to the table, as a second tap would write it."""
    now = timezone.now()
    return Approval.objects.create(
        kind=ask.kind,
        location_id=ask.location_id,
        subject=ask.subject,
        summary=ask.summary,
        amount=ask.amount,
        currency=ask.currency,
        reason=ask.reason,
        requested_by=requested_by,
        expires_at=now + timedelta(minutes=10),
        **fields,
    )


def test_asking_twice_for_the_same_move_waits_on_the_one_request(store, associate):
    first = request_approval(ask=big_discount(store), requested_by=associate)
    again = request_approval(ask=big_discount(store), requested_by=associate)

    assert again.pk == first.pk
    assert Approval.objects.get().status == ApprovalStatus.PENDING


@pytest.mark.parametrize("move", [big_discount, pickup_by_identity])
def test_the_database_refuses_a_second_open_request_for_the_same_move(
    store, associate, manager, move
):
    asked = move(store)
    first = open_row(asked, associate)

    with pytest.raises(IntegrityError), transaction.atomic():
        open_row(asked, associate)
    # Approved and not used yet, it is still open: no second one either.
    decide_approval(approval=first, approver=manager, approve=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        open_row(asked, associate)

    assert Approval.objects.count() == 1


def test_other_moves_and_ended_requests_do_not_hold_a_place(store, associate, manager):
    asked = big_discount(store)
    first = open_row(asked, associate)
    open_row(asked, StaffFactory(store=store))  # another associate
    open_row(big_discount(store, amount=Decimal("20.00")), associate)
    open_row(big_discount(store, reason="A loyal customer"), associate)
    decide_approval(approval=first, approver=manager, approve=False, note="No")

    again = request_approval(ask=asked, requested_by=associate)

    assert again.pk != first.pk and again.status == ApprovalStatus.PENDING
    assert Approval.objects.count() == 5


def test_asked_again_once_the_request_lapsed_it_ends_expired_and_a_new_one_waits(
    store, associate
):
    now = timezone.now()
    first = request_approval(ask=big_discount(store), requested_by=associate, now=now)
    later = now + timedelta(minutes=11)

    again = request_approval(ask=big_discount(store), requested_by=associate, now=later)

    first.refresh_from_db()
    assert (first.status, first.decided_at) == (ApprovalStatus.EXPIRED, later)
    assert again.pk != first.pk and again.status == ApprovalStatus.PENDING
    assert again.expires_at > later
