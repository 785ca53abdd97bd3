"""Assigning a customer to an associate's client book.

Who may change an assignment (docs/clienteling.md):
- a manager (store, area, HQ) gives any client to an associate of a shop they see,
  or takes them away, unless the client is now with an associate of a shop they do
  not see;
- an associate takes an unassigned client ("take this client") and releases their
  own; a client of a colleague stays theirs until a manager moves them;
- a client of someone who has left (login deactivated) stays in reach of the shops
  they worked at: any associate there takes them, and those shops' managers (and HQ)
  move them. Deactivating a login leaves their clients assigned: the card says who
  looked after them, and whoever takes them over is on the timeline.
Every change is on the customer's timeline (staff-only): who, when, from whom to whom.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from customers.selectors.identities import current_profile
from customers.selectors.team import has_left, is_shop_staff_of, is_team_member
from omnistore.accounts.scoping import shop_ids
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, PermissionDenied, ValidationFailed

from .identities import erased_profile
from .timeline import record_event

EVENT_ASSOCIATE_ASSIGNED = "associate_assigned"
EVENT_ASSOCIATE_UNASSIGNED = "associate_unassigned"


def associate_name(user) -> str:
    shop = f" ({user.store.name})" if user.store_id else ""
    return f"{user.display_name}{shop}"


def check_assignment(*, actor, current, new) -> None:
    """Refuse a change of associate ``actor`` may not make (see the module)."""
    if getattr(actor, "is_manager", False):
        ids = shop_ids(actor)
        if new is not None and not is_team_member(new, ids):
            raise ValidationFailed(
                "Choose an associate of one of your shops.",
                extra={"associate": ["Not on your team."]},
            )
        if current is not None and not is_shop_staff_of(current, ids):
            raise PermissionDenied(
                "This client is with an associate of another shop; "
                "their manager can move them."
            )
        return
    if not getattr(actor, "is_shop_staff", False):
        raise PermissionDenied("Only shop staff keep a client book.")
    if new is not None:
        if new.pk != actor.pk:
            raise PermissionDenied(
                "Ask your store manager to give a client to someone."
            )
        if current is not None and current.pk != actor.pk and not _free(current, actor):
            raise Conflict(
                f"Already a client of {current.display_name}; "
                "ask your store manager to move them."
            )
    elif current is not None and current.pk != actor.pk:
        raise PermissionDenied(
            "Only the client's associate or a manager can release them."
        )


def _free(current, actor) -> bool:
    """A client of someone who left is free for an associate of their shops."""
    return has_left(current) and is_shop_staff_of(current, shop_ids(actor))


@transaction.atomic
def assign_associate(
    *, customer: Customer, associate, actor, location=None
) -> Customer:
    """Put ``customer`` in ``associate``'s client book (``None``: in nobody's).

    The profile row is locked, so two associates taking one client at once end with
    one of them and a refusal for the other."""
    live = current_profile(customer)
    # The row alone is locked and read: a join read with it could come back as it
    # was before a concurrent assignment committed (PostgreSQL re-reads only the
    # locked row after the wait), so the associate is read after the lock.
    customer = Customer.objects.select_for_update(no_key=True).get(pk=live.pk)
    if customer.is_anonymised:
        raise erased_profile()
    current = None
    if customer.assigned_associate_id is not None:
        current = (
            get_user_model()
            .objects.select_related("store")
            .get(pk=customer.assigned_associate_id)
        )
    check_assignment(actor=actor, current=current, new=associate)
    if (current and current.pk) == (associate and associate.pk):
        return customer
    customer.assigned_associate = associate
    customer.updated_at = timezone.now()
    customer.save(update_fields=["assigned_associate", "updated_at"])
    if associate is not None:
        kind, summary = (
            EVENT_ASSOCIATE_ASSIGNED,
            f"Client of {associate_name(associate)}",
        )
        if current is not None:
            summary += f", before of {associate_name(current)}"
    else:
        kind = EVENT_ASSOCIATE_UNASSIGNED
        summary = f"No longer a client of {associate_name(current)}"
    record_event(
        customer=customer,
        kind=kind,
        summary=summary,
        actor=actor,
        location=location,
        channel=Channel.STORE if location is not None else "",
        data={
            "associate": associate.pk if associate else None,
            "previous": current.pk if current else None,
        },
        reference_type="associate",
        reference_id=str(associate.pk if associate else current.pk),
        locked=True,
    )
    return customer
