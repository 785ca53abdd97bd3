"""The end of a return's life: closed once refunded and filed, or cancelled before
its goods arrive (``orders.services.returns`` opens and moves it)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from inventory.models import Location
from omnistore.core.channels import is_online
from orders.models import Return, ReturnStatus

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


@transaction.atomic
def cancel_return(
    *,
    return_request: Return | int | str,
    actor=None,
    reason: str = "",
    location: Location | None = None,
    now: datetime | None = None,
) -> Return:
    """Drop a return before the goods arrive; its units can be returned again. A
    customer who started it online is told (``return_cancelled``, after commit)."""
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
    )
    if is_online(ret.started_channel):
        send_return_email(ret, "return_cancelled")
    return_webhook(ret, "cancelled")
    return ret
