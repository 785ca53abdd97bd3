"""The return window: a return is accepted inside it; outside it a customer is
refused and staff accept it with a reason and a manager's approval — when it is
asked for at the counter and again when a return started online is brought in late
(``return_brought_by``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from omnistore.core.exceptions import ReturnNotAllowed
from orders.models import Order, Return, ReturnStatus
from orders.selectors.returns import (
    RETURNABLE_ORDER_STATUSES,
    handed_over_at,
    return_brought_by,
    return_deadline,
)

from .approvals import approved_by_note, guard_return_outside_window
from .fulfilment import calling_off


def is_staff_actor(actor) -> bool:
    return bool(getattr(actor, "is_store_staff", False))


def check_return_policy(order: Order, *, now, actor, override_reason: str) -> str:
    """The override reason to keep ('' inside the window); refuses otherwise."""
    if order.status not in RETURNABLE_ORDER_STATUSES:
        raise ReturnNotAllowed(
            f"Order {order.number} is {order.get_status_display().lower()}: nothing "
            "has been handed over yet, so there is nothing to return "
            f"({calling_off(order, by_staff=is_staff_actor(actor))}).",
            extra={"order": ["Nothing handed over yet."], "overridable": False},
        )
    deadline = return_deadline(order)
    if deadline is None:
        return ""
    since = timezone.localtime(handed_over_at(order))
    why = (
        f"order {order.number} was handed over on {since:%d %b %Y} and the "
        f"{settings.OMNISTORE_RETURN_WINDOW_DAYS}-day return window closed on {{}}"
    )
    return check_window(
        closes=deadline, now=now, actor=actor, reason=override_reason, why=why
    )


def check_window(*, closes: datetime, now, actor, reason: str, why: str) -> str:
    """The override reason to keep past ``closes`` ('' until then): a customer is
    refused, staff accept it late with a reason (``guard_return_outside_window``
    then asks a manager). ``why`` says what closed, ``{}`` standing for the date."""
    if now <= closes:
        return ""
    closed = timezone.localtime(closes)
    why = why.format(f"{closed:%d %b %Y}")
    if not is_staff_actor(actor):
        raise ReturnNotAllowed(
            f"Outside the return window: {why}. Please bring it to a shop, where "
            "staff can look at it.",
            extra={"returnable_until": closed.isoformat(), "overridable": False},
        )
    reason = (reason or "").strip()[:250]
    if not reason:
        raise ReturnNotAllowed(
            f"Outside the return window: {why}. Give a reason to accept it anyway.",
            extra={
                "override_reason": ["Required outside the return window."],
                "returnable_until": closed.isoformat(),
                "overridable": True,
            },
        )
    return reason


def accept_late(ret: Return, reason: str, *, now, actor, **asked) -> str:
    """A return received after ``return_brought_by`` is accepted as one outside the
    window is at the counter: a reason (kept on the return) and a manager's
    approval. What the history of its receipt adds ('' when on time)."""
    due = return_brought_by(ret)
    if due is None or ret.status != ReturnStatus.REQUESTED:
        return ""  # nothing handed over, or not to be received: refused as such
    started = timezone.localtime(ret.created_at)
    why = f"return {ret.code} was started on {started:%d %b %Y} and was to be "
    why += "brought in by {}"
    reason = check_window(closes=due, now=now, actor=actor, reason=reason, why=why)
    if not reason:
        return ""
    approval = guard_return_outside_window(
        order=ret.order,
        lines=ret.lines.select_related("order_line").order_by("pk"),
        reason=reason,
        actor=actor,
        now=now,
        **asked,
    )
    ret.override_reason = reason
    ret.save(update_fields=["override_reason"])
    return f"Received outside the return window: {reason}" + approved_by_note(approval)
