"""The approval state machine: an action asks, a manager decides, the action uses it.

How an action is guarded (inside the action's own transaction)::

    check_approval(kind=..., location=shop, subject="return:R-1", actor=user,
                   summary="Refund 240.00 EUR on order 1001", amount=total,
                   approvals=ids_sent_back_by_the_screen)

- the actor may approve here themselves (a manager's own refund): recorded as
  approved by them and used at once;
- one of ``approvals`` is a request for this very move (same kind, subject and
  shop, asked by the same person): when approved, unexpired and for at least this
  amount, it is marked used, once, under a row lock; refused or expired, the move
  is refused;
- otherwise ``ApprovalRequired`` is raised and the action changes nothing; the door
  (a staff page) records the request with ``request_approval`` and waits.

``pending`` → ``approved`` (PIN or the manager's queue) → ``used``; ``pending`` →
``refused``; ``pending``/``approved`` → ``expired`` after
``OMNISTORE_APPROVAL_EXPIRY_MINUTES``. Every end keeps who asked, who decided, what,
why, when and how much.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalStatus,
)
from omnistore.approvals.selectors.approvals import can_approve
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

from .pins import verify_pin

OPEN_STATUSES = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)


@dataclass(frozen=True)
class Ask:
    """What an action needs approved, as the door records it."""

    kind: str
    location_id: int
    subject: str
    summary: str
    amount: Decimal | None = None
    currency: str = ""
    reason: str = ""


class ApprovalRequired(Conflict):
    """The move waits for a manager; nothing was changed."""

    default_code = "approval_required"

    def __init__(self, ask: Ask):
        self.ask = ask
        extra = {k: (str(v) if v is not None else None) for k, v in asdict(ask).items()}
        super().__init__(f"{ask.summary}: a manager must approve.", extra=extra)


def _expiry(now: datetime) -> datetime:
    return now + timedelta(minutes=settings.OMNISTORE_APPROVAL_EXPIRY_MINUTES)


def check_approval(
    *,
    kind: str,
    location,
    subject: str,
    actor,
    summary: str,
    amount: Decimal | None = None,
    currency: str = "",
    reason: str = "",
    approvals: Iterable = (),
    now: datetime | None = None,
) -> Approval | None:
    """Let the move through (returns the approval used) or raise
    ``ApprovalRequired``. A move with no signed-in staff behind it (a task, the
    system) is not asked about. Call inside the move's transaction."""
    user = acting_user(actor)
    if user is None or not user.is_store_staff or location is None:
        return None
    now = now or timezone.now()
    reason = (reason or "").strip()[:250]
    ask = Ask(kind, location.pk, subject, summary[:250], amount, currency, reason)
    given = _given(approvals, ask, user)
    if given is not None:
        return _use(given, ask, now)
    if can_approve(user, location.pk):
        return Approval.objects.create(
            **_row(ask),
            reason=reason,
            status=ApprovalStatus.USED,
            channel=ApprovalChannel.SELF,
            requested_by=user,
            requested_at=now,
            expires_at=now,
            decided_by=user,
            decided_at=now,
            used_at=now,
        )
    raise ApprovalRequired(ask)


def _row(ask: Ask) -> dict:
    return {
        "kind": ask.kind,
        "location_id": ask.location_id,
        "subject": ask.subject,
        "summary": ask.summary,
        "amount": ask.amount,
        "currency": ask.currency,
    }


def _given(approvals: Iterable, ask: Ask, user) -> Approval | None:
    """The request among those sent back that is for this very move, locked."""
    ids = []
    for value in approvals or ():
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    if not ids:
        return None
    return (
        Approval.objects.select_for_update()
        .filter(
            pk__in=ids,
            kind=ask.kind,
            subject=ask.subject,
            location_id=ask.location_id,
            requested_by=user,
        )
        .order_by("-pk")
        .first()
    )


def _use(row: Approval, ask: Ask, now: datetime) -> Approval:
    if row.status == ApprovalStatus.APPROVED and row.expires_at <= now:
        _expire(row, now)
    if row.status != ApprovalStatus.APPROVED:
        raise Conflict(
            f"The manager's approval is {row.get_status_display().lower()}: "
            "nothing was changed.",
            code="approval_not_granted",
        )
    if ask.amount is not None and (row.amount is None or ask.amount > row.amount):
        raise ApprovalRequired(ask)
    row.status = ApprovalStatus.USED
    row.used_at = now
    row.save(update_fields=["status", "used_at"])
    return row


def _expire(row: Approval, now: datetime) -> None:
    Approval.objects.filter(pk=row.pk, status__in=OPEN_STATUSES).update(
        status=ApprovalStatus.EXPIRED, decided_at=now
    )
    row.refresh_from_db()


@transaction.atomic
def request_approval(
    *, ask: Ask, requested_by, reason: str = "", now: datetime | None = None
) -> Approval:
    """Record the request the associate's screen waits on. Asking again for the
    same move (a double tap, a reload) finds the open request instead of a second."""
    now = now or timezone.now()
    open_ = (
        Approval.objects.select_for_update()
        .filter(
            **_row(ask),
            requested_by=requested_by,
            status=ApprovalStatus.PENDING,
            expires_at__gt=now,
        )
        .first()
    )
    if open_ is not None:
        return open_
    return Approval.objects.create(
        **_row(ask),
        reason=((reason or "").strip() or ask.reason)[:250],
        requested_by=requested_by,
        requested_at=now,
        expires_at=_expiry(now),
    )


def _lock(approval: Approval | int) -> Approval:
    pk = approval.pk if isinstance(approval, Approval) else approval
    try:
        return Approval.objects.select_for_update().get(pk=pk)
    except (Approval.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such approval.") from None


@transaction.atomic
def decide_approval(
    *,
    approval: Approval | int,
    approver,
    approve: bool,
    note: str = "",
    channel: str = ApprovalChannel.QUEUE,
    now: datetime | None = None,
) -> Approval:
    """A manager says yes or no. Only a waiting, unexpired request of a shop the
    manager may approve at; never one's own. Deciding twice is refused. A no says
    why in ``note`` (the asking screen shows it); a yes may."""
    now = now or timezone.now()
    note = (note or "").strip()[:250]
    row = _lock(approval)
    if not can_approve(approver, row.location_id):
        raise PermissionDenied("You cannot approve at this shop.")
    if row.status == ApprovalStatus.PENDING and row.expires_at <= now:
        _expire(row, now)
    if row.status != ApprovalStatus.PENDING:
        raise Conflict(
            f"This request is already {row.get_status_display().lower()}.",
            code="approval_decided",
        )
    if row.requested_by_id == approver.pk:
        raise PermissionDenied("Someone else must approve your own request.")
    if not approve and not note:
        raise ValidationFailed(
            "Say why you refuse: the associate sees your note.",
            code="approval_refusal_note",
            extra={"note": ["Required to refuse."]},
        )
    row.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
    row.decided_by = approver
    row.decided_at = now
    row.channel = channel
    row.decision_note = note
    row.save(
        update_fields=["status", "decided_by", "decided_at", "channel", "decision_note"]
    )
    return row


def approve_with_pin(
    *, approval: Approval | int, manager, pin: str, now: datetime | None = None
) -> Approval:
    """The manager types their PIN on the asking device. The PIN is checked (and a
    wrong one counted) before the request is touched."""
    verify_pin(user=manager, pin=pin, now=now)
    return decide_approval(
        approval=approval,
        approver=manager,
        approve=True,
        channel=ApprovalChannel.PIN,
        now=now,
    )


@transaction.atomic
def cancel_approval(*, approval: Approval | int, actor, now=None) -> Approval:
    """The associate gives up waiting: the request ends as expired, kept."""
    row = _lock(approval)
    if row.requested_by_id != getattr(actor, "pk", None):
        raise NotFound("No such approval.")
    if row.status in OPEN_STATUSES:
        _expire(row, now or timezone.now())
    return row


@transaction.atomic
def expire_approvals(*, now: datetime | None = None) -> int:
    """Requests left waiting (or approved and never used) past their time end as
    expired. The queue page and a periodic task call it."""
    now = now or timezone.now()
    return Approval.objects.filter(
        status__in=OPEN_STATUSES, expires_at__lte=now
    ).update(status=ApprovalStatus.EXPIRED, decided_at=now)
