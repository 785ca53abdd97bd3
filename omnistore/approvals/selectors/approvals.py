"""Who may approve at a shop, the managers a tablet offers for a PIN, the queue, and
an associate's own requests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils import timezone

from omnistore.accounts.models import Role
from omnistore.approvals.models import (
    APPROVE_PERMISSION,
    Approval,
    ApprovalPin,
    ApprovalStatus,
)
from omnistore.approvals.policy import approval_needed
from omnistore.staff.auth import visible_locations


def can_approve(user, location_id: int | None) -> bool:
    """The one rule: the approve permission (a manager's group, or granted to the
    user) and the shop among those the user may act on (HQ: every shop)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if location_id is None or not user.has_perm(APPROVE_PERMISSION):
        return False
    return visible_locations(user).filter(pk=location_id).exists()


def moves_without_asking(user, location, kind: str) -> bool:
    """Whether staff ``user`` makes a move of the flag ``kind`` at ``location`` with
    no one else's yes: a manager of the shop (HQ too), or anyone when that move is
    not approved (its setting off). What a page offers: the move itself, or asking
    a manager for it."""
    if not getattr(user, "is_authenticated", False) or not user.is_store_staff:
        return False
    if not approval_needed(kind):
        return True
    return location is not None and can_approve(user, location.pk)


def approves_everywhere(user) -> bool:
    """``can_approve`` at every shop (HQ, the superuser): the one who may make a
    move of no one shop (a gift card in the admin), recorded as approved by them."""
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.sees_all_stores
        and user.has_perm(APPROVE_PERMISSION)
    )


def _approve_permission() -> Permission | None:
    app_label, codename = APPROVE_PERMISSION.split(".")
    return Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()


def pin_approvers(location) -> list:
    """The managers a shop's tablet offers for a PIN: they hold the permission
    through a group or themselves, work at this shop (their home shop or one of
    theirs, as an area manager) or at HQ, and have set a PIN. Two queries. None
    for no shop (a move of no one shop is only ever its maker's own)."""
    permission = _approve_permission() if location is not None else None
    if permission is None:
        return []
    users = get_user_model().objects.filter(
        Q(groups__permissions=permission) | Q(user_permissions=permission),
        Q(store_id=location.pk) | Q(shops=location.pk) | Q(role=Role.HQ),
        is_active=True,
        approval_pin__isnull=False,
    )
    return list(users.distinct().order_by("first_name", "last_name", "username"))


def approval_queue(user, *, now: datetime | None = None) -> QuerySet[Approval]:
    """What waits for this manager: pending and unexpired, at the shops they may
    act on. Nothing for anyone without the permission. One query."""
    if not user.has_perm(APPROVE_PERMISSION):
        return Approval.objects.none()
    now = now or timezone.now()
    return (
        Approval.objects.filter(
            status=ApprovalStatus.PENDING,
            expires_at__gt=now,
            location__in=visible_locations(user),
        )
        .select_related("requested_by", "location")
        .order_by("requested_at", "id")
    )


# When an approval is still good: approved and not past ``expires_at`` (a yes not used
# in time is no yes, whether or not the expiry was recorded yet). The same rule in
# the database (``_unused_yes``) and on a row read (``is_usable``, ``has_lapsed``).


def _unused_yes(now: datetime) -> Q:
    return Q(status=ApprovalStatus.APPROVED, expires_at__gt=now)


def is_usable(approval: Approval, *, now: datetime) -> bool:
    """A yes the move may still go through with."""
    return approval.status == ApprovalStatus.APPROVED and approval.expires_at > now


def has_lapsed(approval: Approval, *, now: datetime) -> bool:
    """Still open (waiting, or approved and not used) but past its time: it ends
    expired, even before the expiry is recorded."""
    return (
        approval.status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
        and approval.expires_at <= now
    )


def approved_unused(user, *, now: datetime | None = None) -> QuerySet[Approval]:
    """Approved at the manager's shops and not used yet (nor expired): the move
    has not happened, whatever the yes. One query."""
    if not user.has_perm(APPROVE_PERMISSION):
        return Approval.objects.none()
    now = now or timezone.now()
    return (
        Approval.objects.filter(_unused_yes(now), location__in=visible_locations(user))
        .select_related("requested_by", "decided_by", "location")
        .order_by("-decided_at", "-id")
    )


def recent_decisions(
    user, *, limit: int = 20, now: datetime | None = None
) -> QuerySet[Approval]:
    """The latest approvals at the manager's shops that have ended: used, refused,
    expired or withdrawn (an approved one not used yet is in ``approved_unused``);
    for who approves everywhere, also those of no one shop (HQ's own gift card
    moves in the admin)."""
    now = now or timezone.now()
    where = Q(location__in=visible_locations(user))
    if approves_everywhere(user):
        where |= Q(location__isnull=True)
    return (
        Approval.objects.filter(where)
        .exclude(status=ApprovalStatus.PENDING)
        .exclude(_unused_yes(now))
        .select_related("requested_by", "decided_by", "location")
        .order_by("-requested_at", "-id")[:limit]
    )


def approval_window() -> timedelta:
    """How long a request waits for a manager, and a yes for its move
    (``OMNISTORE_APPROVAL_EXPIRY_MINUTES``); a no shows to the associate as long."""
    return timedelta(minutes=settings.OMNISTORE_APPROVAL_EXPIRY_MINUTES)


def own_requests_shown(
    user, location, *, kinds=(), in_panels=(), now: datetime | None = None
) -> QuerySet[Approval]:
    """``user``'s own requests at ``location`` as their screens list them: still
    open (waiting for a manager, or approved and not used yet: asked again, the
    move goes through), and refused within ``approval_window`` and not dismissed
    yet (``seen_at``), so the manager's no and note reach them wherever they are.
    Only ``kinds`` when given; never those in ``in_panels`` (ids), which the
    screen already shows in their own waiting panel, so a request reads once.
    One query."""
    now = now or timezone.now()
    still_open = Q(
        status__in=[ApprovalStatus.PENDING, ApprovalStatus.APPROVED],
        expires_at__gt=now,
    )
    refused_lately = Q(
        status=ApprovalStatus.REFUSED,
        decided_at__gt=now - approval_window(),
        seen_at__isnull=True,
    )
    rows = Approval.objects.filter(
        still_open | refused_lately, requested_by=user, location=location
    )
    if kinds:
        rows = rows.filter(kind__in=kinds)
    if in_panels:
        rows = rows.exclude(pk__in=in_panels)
    return rows.select_related("decided_by").order_by("requested_at", "id")


def pin_of(user) -> ApprovalPin | None:
    return ApprovalPin.objects.filter(user=user).first()


def is_pin_held(pin: ApprovalPin) -> bool:
    """Locked too often within 24 hours: refused until HQ lifts it, whatever the
    time."""
    return pin.held_since is not None


def is_pin_locked(pin: ApprovalPin, *, now: datetime) -> bool:
    """Refused even when right: held, or locked for a while after wrong tries."""
    return is_pin_held(pin) or (pin.locked_until is not None and pin.locked_until > now)
