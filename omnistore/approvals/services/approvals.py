"""The approval state machine: an action asks, a manager decides, the action uses it.

How an action is guarded (inside the action's own transaction)::

    check_approval(kind=..., location=shop, subject="return:R-1", actor=user,
                   summary="Refund 240.00 EUR on order 1001", amount=total,
                   approvals=ids_sent_back_by_the_screen)

- the actor may approve here themselves (a manager's own refund): recorded as
  approved by them and used at once;
- one of ``approvals`` is a request for this very move (same kind, subject, shop,
  summary and reason, asked by the same person): when approved, unexpired and for
  at least this amount, it is marked used, once, under a row lock; refused or
  expired, the move is refused;
- else a request the same person made for the very same move (what the manager
  read: kind, shop, subject, summary, reason, amount), approved, unexpired and not
  used yet, is used the same way: asked again after the screen was left (a reload),
  the move goes through with the yes it already has. A yes covers exactly what was
  asked: other lines, another sum or another reason ask again;
- a move of no shop (``location`` None: HQ in the admin) by one who approves at
  every shop is recorded as approved by them, with no shop;
- otherwise ``ApprovalRequired`` is raised and the action changes nothing; the door
  (a staff page) records the request with ``request_approval`` (which finds the one
  still open for the same move rather than making a second) and waits.

``pending`` → ``approved`` (PIN or the manager's queue) → ``used``; ``pending`` →
``refused`` (shown to the associate who asked until they dismiss it, ``seen_at``);
``pending``/``approved`` → ``expired`` after ``OMNISTORE_APPROVAL_EXPIRY_MINUTES``
(an approved one keeps when the manager decided), or → ``withdrawn`` by the
associate who asked. Every end keeps who asked, who decided, what, why, when and
how much.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from omnistore.approvals.models import (
    OPEN_STATUSES,
    Approval,
    ApprovalChannel,
    ApprovalStatus,
)
from omnistore.approvals.selectors.approvals import (
    approval_window,
    approves_everywhere,
    can_approve,
    has_lapsed,
    is_usable,
)
from omnistore.core.actors import acting_user
from omnistore.core.db import insert_unless_duplicate
from omnistore.core.exceptions import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

from .pins import check_pin_shape, try_pin


@dataclass(frozen=True)
class Ask:
    """What an action needs approved, as the door records it."""

    kind: str
    location_id: int | None
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
    return now + approval_window()


@transaction.atomic
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
    system) is not asked about, nor one of no shop by staff who do not approve
    everywhere. Call inside the move's transaction (alone, as for a code applied
    to a basket, it runs in its own)."""
    user = acting_user(actor)
    if user is None or not user.is_store_staff:
        return None
    if location is None and not approves_everywhere(user):
        return None
    now = now or timezone.now()
    reason = (reason or "").strip()  # all of it: a yes covers every word read
    shop = location.pk if location is not None else None
    ask = Ask(kind, shop, subject, summary[:250], amount, currency, reason)
    if shop is None:
        return _self_approved(ask, user, now)
    given = _given(approvals, ask, user)
    if given is not None:
        return _use(given, ask, now)
    if can_approve(user, location.pk):
        return _self_approved(ask, user, now)
    earlier = _open_request(ask, user, now, statuses=[ApprovalStatus.APPROVED])
    if earlier is not None:
        return _use(earlier, ask, now)
    raise ApprovalRequired(ask)


def _self_approved(ask: Ask, user, now: datetime) -> Approval:
    """A manager's own move: approved by them and used at once, recorded."""
    return Approval.objects.create(
        **_row(ask),
        status=ApprovalStatus.USED,
        channel=ApprovalChannel.SELF,
        requested_by=user,
        requested_at=now,
        expires_at=now,
        decided_by=user,
        decided_at=now,
        used_at=now,
    )


def _row(ask: Ask) -> dict:
    """What the manager reads of a request, all of it part of what a yes covers."""
    return {
        "kind": ask.kind,
        "location_id": ask.location_id,
        "subject": ask.subject,
        "summary": ask.summary,
        "amount": ask.amount,
        "currency": ask.currency,
        "reason": ask.reason,
    }


def _given(approvals: Iterable, ask: Ask, user) -> Approval | None:
    """The request among those sent back that is for this very move, locked: all
    the manager read but the amount, which may be less than approved (``_use``)."""
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
            **{k: v for k, v in _row(ask).items() if k != "amount"},
            pk__in=ids,
            requested_by=user,
        )
        .order_by("-pk")
        .first()
    )


def _open_request(
    ask: Ask, user, now: datetime, *, statuses=OPEN_STATUSES
) -> Approval | None:
    """``user``'s request for this very move still open (in ``statuses``) and
    unexpired, locked: the one asking again finds, rather than a second. Matched on
    all the manager read, so a yes is never stretched to another price or sum."""
    return (
        Approval.objects.select_for_update()
        .filter(
            **_row(ask),
            requested_by=user,
            status__in=statuses,
            expires_at__gt=now,
            used_at__isnull=True,
        )
        .order_by("-pk")
        .first()
    )


def _use(row: Approval, ask: Ask, now: datetime) -> Approval:
    if has_lapsed(row, now=now):
        _expire(row, now)
    if not is_usable(row, now=now):
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


def _expired(now: datetime) -> dict:
    """How an open request ends expired: one waiting records when (it was never
    decided); one approved keeps when the manager said yes."""
    return {
        "status": ApprovalStatus.EXPIRED,
        "decided_at": Coalesce(F("decided_at"), Value(now)),
    }


def end_open_requests(approvals: QuerySet[Approval], *, note: str) -> int:
    """The open requests among ``approvals`` end expired, ``note`` saying why (the
    person they are about was erased: their words go, the request cannot go on)."""
    return approvals.filter(status__in=OPEN_STATUSES).update(
        **_expired(timezone.now()), decision_note=note
    )


def _expire(row: Approval, now: datetime) -> None:
    Approval.objects.filter(pk=row.pk, status__in=OPEN_STATUSES).update(**_expired(now))
    row.refresh_from_db()


@transaction.atomic
def request_approval(
    *, ask: Ask, requested_by, now: datetime | None = None
) -> Approval:
    """Record the request the associate's screen waits on, with the reason the move
    gave (``ask.reason``: part of what is approved). Asking again for the same move
    (a double tap, a reload) finds the open request, waiting or approved and not
    used yet, instead of a second; so do taps at the same moment: the database
    holds one open request per move of one person (``approval_open_once``), and
    the insert of a second is skipped, waiting for the first to commit. One left
    open past its time ends expired before the new one is recorded."""
    now = now or timezone.now()
    for attempt in range(2):
        open_ = _open_request(ask, requested_by, now)
        if open_ is not None:
            return open_
        if attempt:
            _expire_lapsed(ask, requested_by, now)
        row = Approval(
            **_row(ask),
            requested_by=requested_by,
            requested_at=now,
            expires_at=_expiry(now),
        )
        if insert_unless_duplicate(row):
            return row
    raise Conflict(
        "This request was just asked from another screen: ask again.",
        code="approval_asked_at_once",
    )


def _expire_lapsed(ask: Ask, user, now: datetime) -> None:
    """``user``'s request for this very move left open past its time ends expired,
    as ``expire_approvals`` would end it, making room for a new one."""
    Approval.objects.filter(
        **_row(ask), requested_by=user, status__in=OPEN_STATUSES, expires_at__lte=now
    ).update(**_expired(now))


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
    _refuse_undecidable(row, approver, now)
    if not approve and not note:
        raise ValidationFailed(
            "Say why you refuse: the associate sees your note.",
            code="approval_refusal_note",
            extra={"note": ["Required to refuse."]},
        )
    return _record_decision(row, approver, approve, note, channel, now)


def _refuse_undecidable(row: Approval, approver, now: datetime) -> None:
    """What a manager may decide, ``row`` locked: a request waiting and unexpired,
    at a shop they approve at, not their own. Checked before anything sent with
    the decision (a PIN) is looked at, so that the answer never depends on it."""
    if not can_approve(approver, row.location_id):
        raise PermissionDenied("You cannot approve at this shop.")
    if has_lapsed(row, now=now):
        _expire(row, now)
    if row.status != ApprovalStatus.PENDING:
        raise Conflict(
            f"This request is already {row.get_status_display().lower()}.",
            code="approval_decided",
        )
    if row.requested_by_id == approver.pk:
        raise PermissionDenied("Someone else must approve your own request.")


def _record_decision(
    row: Approval, approver, approve: bool, note: str, channel: str, now: datetime
) -> Approval:
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
    *,
    approval: Approval | int,
    manager,
    pin: str,
    actor,
    now: datetime | None = None,
) -> Approval:
    """The manager types their PIN on the device of ``actor``, who asked (anyone
    else's request is not there: 404). Only a request the manager could approve
    from their queue is tried: waiting, unexpired, at their shop, not their own;
    any other is refused before the PIN is looked at, the same answer whatever was
    typed, and costs no try. A wrong PIN is counted and kept in the PIN's history
    (who typed it, for which request), committed before the refusal is raised:
    call it outside any transaction."""
    now = now or timezone.now()
    row, refused = _approve_if_pin_right(approval, manager, pin, actor, now)
    if refused is not None:
        raise refused
    return row


@transaction.atomic
def _approve_if_pin_right(
    approval: Approval | int, manager, pin: str, actor, now: datetime
) -> tuple[Approval, ApplicationError | None]:
    """The request stays locked from its check to its decision, so it cannot end
    (withdrawn, decided elsewhere) between the two; a wrong PIN returns its
    refusal, so that the count and the history commit."""
    row = _lock(approval)
    if row.requested_by_id != getattr(actor, "pk", None):
        raise NotFound("No such approval.")
    _refuse_undecidable(row, manager, now)
    pin = check_pin_shape(pin)
    refused = try_pin(user=manager, pin=pin, actor=actor, approval=row, now=now)
    if refused is not None:
        return row, refused
    return _record_decision(row, manager, True, "", ApprovalChannel.PIN, now), None


@transaction.atomic
def cancel_approval(*, approval: Approval | int, actor, now=None) -> Approval:
    """The associate who asked withdraws it, waiting or approved and not used yet:
    it leaves the manager's queue and can no longer be approved or used; who (the
    one who asked: nobody else may) and when are kept, and a manager's yes with
    them. One already ended stays as it ended; one past its time ends expired."""
    now = now or timezone.now()
    row = _lock(approval)
    if row.requested_by_id != getattr(actor, "pk", None):
        raise NotFound("No such approval.")
    if has_lapsed(row, now=now):
        _expire(row, now)
    elif row.status in OPEN_STATUSES:
        row.status = ApprovalStatus.WITHDRAWN
        row.withdrawn_at = now
        row.save(update_fields=["status", "withdrawn_at"])
    return row


@transaction.atomic
def dismiss_refusal(*, approval: Approval | int, actor, now=None) -> Approval:
    """The associate who asked has read the manager's no and its note: it leaves
    their screens, and when they saw it is kept. Only one's own request (anyone
    else's is not there), only a refusal; dismissed twice, the first time stays."""
    now = now or timezone.now()
    row = _lock(approval)
    if row.requested_by_id != getattr(actor, "pk", None):
        raise NotFound("No such approval.")
    if row.status != ApprovalStatus.REFUSED:
        raise Conflict(
            f"This request is {row.get_status_display().lower()}, not refused.",
            code="approval_not_refused",
        )
    if row.seen_at is None:
        row.seen_at = now
        row.save(update_fields=["seen_at"])
    return row


@transaction.atomic
def expire_approvals(*, now: datetime | None = None) -> int:
    """Requests left waiting (or approved and never used) past their time end as
    expired. The queue page and a periodic task call it."""
    now = now or timezone.now()
    return Approval.objects.filter(
        status__in=OPEN_STATUSES, expires_at__lte=now
    ).update(**_expired(now))
