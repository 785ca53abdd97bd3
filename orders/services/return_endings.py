"""The end of a return's life: closed once refunded and filed, closed without a
refund by a manager when its refund can never be made (``close_without_refund``), or
cancelled before its goods arrive, by a shop or by the customer who started it
(``withdraw_return``; ``orders.services.returns`` opens and moves it)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from inventory.models import Location
from omnistore.accounts.scoping import manages
from omnistore.core.channels import is_online
from omnistore.core.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from orders.models import Return, ReturnStatus
from orders.selectors.returns import parse_return_code

from .returns import (
    EVENT_RETURN_CANCELLED,
    EVENT_RETURN_CLOSED,
    lock_return,
    record_return_event,
    return_webhook,
    send_return_email,
    transition_return,
)


@transaction.atomic
def close_return(
    *,
    return_request: Return | int | str,
    actor=None,
    note: str = "",
    now: datetime | None = None,
) -> Return:
    """Nothing more to do on a refunded return (filed, paperwork done)."""
    now = now or timezone.now()
    ret = lock_return(return_request)
    transition_return(
        ret,
        ReturnStatus.CLOSED,
        actor=actor,
        now=now,
        location=ret.receiving_location,
        note=note,
    )
    ret.closed_at = now
    ret.save(update_fields=["status", "updated_at", "closed_at"])
    record_return_event(
        ret,
        EVENT_RETURN_CLOSED,
        f"Return {ret.code} closed",
        actor=actor,
        location=ret.receiving_location,
        now=now,
    )
    return_webhook(ret, "closed")
    return ret


NO_REFUND_REASON = "Say why the return is closed without a refund."


@transaction.atomic
def close_without_refund(
    *,
    return_request: Return | int | str,
    actor,
    reason: str,
    location: Location | None = None,
    now: datetime | None = None,
) -> Return:
    """A received return whose refund can never be made (a gift card that takes no
    refund, with no profile to hold store credit in its place; a provider that
    refuses it) is closed without one: the goods stay received, nothing is paid.
    Only a manager of the shop that received it (or HQ) does it, with why; the
    return's history and the customer's timeline say who, when, where (``location``,
    else the receiving shop) and why. The one way from received to closed
    (``transition_return``'s ``unrefunded``): a refunded return is closed by
    ``close_return``."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(NO_REFUND_REASON, extra={"reason": [NO_REFUND_REASON]})
    ret = lock_return(return_request)
    if not manages(actor, ret.receiving_location_id):
        raise PermissionDenied(
            "Only a manager of the shop that received it closes a return without "
            "a refund."
        )
    where = location or ret.receiving_location
    transition_return(
        ret,
        ReturnStatus.CLOSED,
        actor=actor,
        now=now,
        location=where,
        note=f"Closed without a refund: {reason}",
        unrefunded=True,
    )
    ret.closed_at = now
    ret.save(update_fields=["status", "updated_at", "closed_at"])
    record_return_event(
        ret,
        EVENT_RETURN_CLOSED,
        f"Return {ret.code} closed without a refund: {reason}",
        actor=actor,
        location=where,
        now=now,
        data={"refunded": False, "reason": reason},
    )
    return_webhook(ret, "closed")
    return ret


@transaction.atomic
def cancel_return(
    *,
    return_request: Return | int | str,
    actor=None,
    reason: str = "",
    location: Location | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> Return:
    """Drop a return before the goods arrive; its units can be returned again. A
    customer who started it online is told (``return_cancelled``, after commit).
    ``channel`` is where the customer withdrew it (their timeline records it there);
    a shop's cancellation is recorded as the return's."""
    now = now or timezone.now()
    ret = lock_return(return_request)
    reason = (reason or "").strip()
    transition_return(
        ret,
        ReturnStatus.CANCELLED,
        actor=actor,
        now=now,
        location=location,
        note=reason or "Cancelled",
    )
    ret.cancelled_at = now
    ret.save(update_fields=["status", "updated_at", "cancelled_at"])
    record_return_event(
        ret,
        EVENT_RETURN_CANCELLED,
        f"Return {ret.code} cancelled" + (f": {reason}" if reason else ""),
        actor=actor,
        location=location,
        now=now,
        channel=channel,
    )
    if is_online(ret.started_channel):
        send_return_email(ret, "return_cancelled")
    return_webhook(ret, "cancelled")
    return ret


# What the return's history and the customer's timeline say of a return its customer
# withdrew.
WITHDRAWN = "Withdrawn by the customer"


@transaction.atomic
def withdraw_return(
    *,
    code: str,
    customer: Customer | None,
    actor,
    channel: str,
    now: datetime | None = None,
) -> Return:
    """The customer drops a return of theirs while nothing of it has reached us
    (``requested``): cancelled as a shop cancels it, with the customer's login as who,
    ``WITHDRAWN`` as why and ``channel`` (the website or the app they used) as where.
    Another person's return, or an unknown code, is not found; once its items are
    back (or it is cancelled already) it is a 409, the status read under the row's
    lock so a return received meanwhile is not withdrawn."""
    ret = lock_return(parse_return_code(code) or "")
    if customer is None or ret.customer_id != customer.pk:
        raise NotFound("Return not found.")
    if ret.status != ReturnStatus.REQUESTED:
        raise Conflict(
            _not_withdrawn(ret),
            code="illegal_transition",
            extra={"from": ret.status, "to": ReturnStatus.CANCELLED},
        )
    return cancel_return(
        return_request=ret, actor=actor, reason=WITHDRAWN, channel=channel, now=now
    )


def _not_withdrawn(ret: Return) -> str:
    if ret.status == ReturnStatus.CANCELLED:
        return f"Return {ret.code} is already cancelled."
    refund = (
        "its refund follows"
        if ret.status == ReturnStatus.RECEIVED
        else "it has been refunded"
    )
    return (
        f"Return {ret.code} can no longer be withdrawn: its items have reached us "
        f"and {refund}."
    )
