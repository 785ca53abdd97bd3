"""Managers who approve, and a manager's yes, for the tests of every guarded move."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group, Permission

from omnistore.approvals.models import Approval, ApprovalKind
from omnistore.approvals.services.approvals import (
    ApprovalRequired,
    Ask,
    decide_approval,
    request_approval,
)
from omnistore.approvals.services.pins import set_pin


def make_approver(user, group: str = "Store manager", pin: str | None = None):
    """Put ``user`` in a managers' group holding the approve permission (found or
    made: a flushed database has lost the migration's groups)."""
    found, _ = Group.objects.get_or_create(name=group)
    found.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="approvals",
            codename__in=["approve_request", "view_manager_pages"],
        )
    )
    user.groups.add(found)
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    if pin is not None:
        set_pin(user=user, pin=pin)
    return user


def waiting_request(
    location, requested_by, now=None, subject: str = "return:R-1"
) -> Approval:
    """A refund waiting for a manager, as the returns desk records it."""
    refund = Ask(
        kind=ApprovalKind.REFUND,
        location_id=location.pk,
        subject=subject,
        summary="Refund 200.00 EUR on order 1001, to the payments",
        amount=Decimal("200.00"),
        currency="EUR",
    )
    return request_approval(ask=refund, requested_by=requested_by, now=now)


def ask(error: ApprovalRequired, requested_by) -> Approval:
    return request_approval(ask=error.ask, requested_by=requested_by)


def approved(error: ApprovalRequired, requested_by, manager) -> Approval:
    """The request the associate's screen records, approved from the queue."""
    return decide_approval(
        approval=ask(error, requested_by), approver=manager, approve=True
    )
