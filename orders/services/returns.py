"""Returns anywhere: opened online or at a counter, closed or cancelled.

Rules kept here:
- ``request_return`` locks the order's lines (``SELECT ... FOR UPDATE``, pk order) and
  counts the units already on returns inside that lock: two desks returning the same
  line at once queue up and the second sees the first's units, so never more come
  back than were bought; a customer's request made again (its ``Idempotency-Key``,
  or the same return moments later) is decided under that lock too and answers the
  first return (``return_repeats``);
- the return window runs ``OMNISTORE_RETURN_WINDOW_DAYS`` from the handover; outside
  it only staff accept a return, with a reason kept on the return and its history;
- receive, refund, close and cancel lock the return row first (return → stock
  levels → payments → customer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from customers.services.timeline import record_event
from inventory.models import Location
from omnistore.core import webhooks
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel, is_online
from omnistore.core.exceptions import (
    IllegalTransition,
    NotFound,
    ValidationFailed,
)
from orders.emails import enqueue_return_email
from orders.models import (
    RETURN_REFERENCE,
    Order,
    OrderLine,
    RefundMethod,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
    ReturnStatusChange,
)
from orders.selectors.credit import ERASED_HOLDER, erased_holder
from orders.selectors.given_up import check_nothing_given_up
from orders.selectors.returns import (
    NEVER_LEFT,
    refund_parts,
    return_amount,
    returned_quantities,
    share_left,
    taken_by_returns,
)

from .approvals import (
    approved_by_note,
    guard_return_outside_window,
    guard_return_without_receipt,
)
from .common import check_quantity, to_money
from .credit import check_credit_currency
from .return_repeats import insert_return, repeated_return, return_key
from .return_window import check_return_policy, is_staff_actor

EVENT_RETURN_REQUESTED = "return_requested"
EVENT_RETURN_RECEIVED = "return_received"
EVENT_RETURN_REFUNDED = "return_refunded"
EVENT_RETURN_CLOSED = "return_closed"
EVENT_RETURN_CANCELLED = "return_cancelled"

# The most lines one return request lists, each order line once: twice what an
# online order holds (a cart holds 50 items); a bigger counter sale comes back in two.
MAX_RETURN_LINES = 100
TOO_MANY_RETURN_LINES = f"A return lists at most {MAX_RETURN_LINES} lines."


_RETURN_NEXT = {
    ReturnStatus.REQUESTED: {ReturnStatus.RECEIVED, ReturnStatus.CANCELLED},
    ReturnStatus.RECEIVED: {ReturnStatus.REFUNDED},
    ReturnStatus.REFUNDED: {ReturnStatus.CLOSED},
}
# A received return whose refund cannot be made, closed by a manager with why
# (``close_without_refund``): the one way from received to closed.
_UNREFUNDED_NEXT = {ReturnStatus.RECEIVED: {ReturnStatus.CLOSED}}


@dataclass(frozen=True)
class ReturnLineRequest:
    """Units of one order line to take back. ``condition`` is what the customer says
    (online) or what staff see (at the counter); ``disposition`` is used when the goods
    are received at once and defaults from the condition."""

    order_line: int
    quantity: int
    reason: str = ReturnReason.OTHER
    note: str = ""
    condition: str = ReturnCondition.SELLABLE
    disposition: str = ""


@dataclass(frozen=True)
class ReceiveLine:
    """What staff see on one returned line, and where it goes."""

    line: int
    condition: str = ""
    disposition: str = ""


def checked_choice(value, choices, field: str, errors: dict, default=""):
    value = value or default
    if value not in choices.values:
        errors.setdefault(field, []).append(
            f"Must be one of: {', '.join(choices.values)}."
        )
    return value


def _clean_return_lines(lines: Sequence[ReturnLineRequest]) -> list[ReturnLineRequest]:
    """Each order line once; a line listed again is named once, however many times
    it was repeated. More lines than ``MAX_RETURN_LINES`` are refused unread."""
    if not lines:
        raise ValidationFailed(
            "Choose at least one item to return.",
            extra={"lines": ["Choose at least one item to return."]},
        )
    if len(lines) > MAX_RETURN_LINES:
        raise ValidationFailed(
            TOO_MANY_RETURN_LINES, extra={"lines": [TOO_MANY_RETURN_LINES]}
        )
    errors: dict[str, list] = {}
    seen: set[int] = set()
    repeated: set[int] = set()
    clean = []
    for line in lines:
        try:
            order_line = int(line.order_line)
        except (TypeError, ValueError):
            errors.setdefault("lines", []).append("Unknown order line.")
            continue
        if order_line in seen:
            if order_line not in repeated:
                repeated.add(order_line)
                errors.setdefault("lines", []).append(
                    f"Order line {order_line} is listed more than once."
                )
            continue
        seen.add(order_line)
        check_quantity(line.quantity, "lines")
        reason = checked_choice(line.reason, ReturnReason, "reason", errors, "other")
        condition = checked_choice(
            line.condition, ReturnCondition, "condition", errors, "sellable"
        )
        disposition = line.disposition
        if disposition:
            checked_choice(disposition, ReturnDisposition, "disposition", errors)
        clean.append(
            ReturnLineRequest(
                order_line=order_line,
                quantity=line.quantity,
                reason=reason,
                note=(line.note or "").strip()[:250],
                condition=condition,
                disposition=disposition,
            )
        )
    if errors:
        raise ValidationFailed("The return is not valid.", extra=errors)
    return clean


def order_to_return(order, customer: Customer | None) -> Order:
    if isinstance(order, Order):
        found = Order.objects.filter(pk=order.pk)
    elif isinstance(order, int):
        found = Order.objects.filter(pk=order)
    else:
        found = Order.objects.filter(number=(order or "").strip().upper())
    if customer is not None:
        found = found.filter(customer=customer)
    result = found.first()
    if result is None:
        raise NotFound("Order not found.")
    return result


def _return_tax(line: OrderLine, *, before: int, units: int, taken: Decimal) -> Decimal:
    """The VAT in that refund: the line's VAT as sold (its rate then, whatever the
    rate is today), shared out as ``return_amount`` shares the refund."""
    return share_left(line.tax, line, before + units, taken)


def record_return_event(
    ret: Return,
    kind: str,
    summary: str,
    *,
    actor,
    location,
    now,
    data: dict | None = None,
    channel: str | None = None,
):
    """On the customer's timeline, from ``channel`` (the customer's own move), else
    from where the return was started."""
    if ret.customer_id is None:
        return
    record_event(
        customer=Customer(pk=ret.customer_id),
        kind=kind,
        summary=summary,
        actor=actor,
        location=location,
        channel=channel or ret.started_channel,
        data={
            "code": ret.code,
            "order": ret.order.number,
            "status": ret.status,
            "refund_total": str(ret.refund_total),
            **(data or {}),
        },
        reference_type=RETURN_REFERENCE,
        reference_id=ret.code,
        occurred_at=now,
    )


def return_webhook(ret: Return, event: str, parts: list[dict] | None = None) -> None:
    """``refund_total`` is the whole refund; ``refunded_as`` splits it by where it
    went (``parts``, read here when not given)."""
    webhooks.emit(
        f"return.{event}",
        {
            "code": ret.code,
            "order": ret.order.number,
            "customer_id": ret.customer_id,
            "status": ret.status,
            "refund_method": ret.refund_method,
            "refund_total": str(to_money(ret.refund_total)),
            "currency": ret.order.currency,
            "refunded_as": refund_parts(ret) if parts is None else parts,
            "receiving_location_id": ret.receiving_location_id,
        },
    )


def send_return_email(ret: Return, kind: str) -> None:
    enqueue_return_email(return_request=ret, kind=kind)


def transition_return(
    ret: Return,
    target: str,
    *,
    actor,
    now,
    location=None,
    note: str = "",
    unrefunded: bool = False,
) -> None:
    """``unrefunded``: closed without a refund (``_UNREFUNDED_NEXT``) instead."""
    allowed = _UNREFUNDED_NEXT if unrefunded else _RETURN_NEXT
    if target not in allowed.get(ret.status, set()):
        raise IllegalTransition(
            obj=f"Return {ret.code}", current=ret.status, target=target
        )
    ReturnStatusChange.objects.create(
        return_request=ret,
        from_status=ret.status,
        to_status=target,
        actor=acting_user(actor),
        location=location,
        at=now,
        note=(note or "")[:250],
    )
    ret.status = target
    ret.updated_at = now


def lock_return(value) -> Return:
    if isinstance(value, Return):
        where = Q(pk=value.pk)
    elif isinstance(value, int):
        where = Q(pk=value)
    else:
        where = Q(code=(value or "").strip().upper())
    found = (
        Return.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(where)
        .first()
    )
    if found is None:
        raise NotFound("Return not found.")
    return found


def _check_channel_and_method(channel: str, refund_method: str) -> str:
    """The refund method to use; both choices are checked before any lookup."""
    errors: dict[str, list] = {}
    checked_choice(channel, Channel, "channel", errors)
    refund_method = checked_choice(
        refund_method, RefundMethod, "refund_method", errors, RefundMethod.ORIGINAL
    )
    if errors:
        raise ValidationFailed("The return is not valid.", extra=errors)
    return refund_method


def check_refund_method(order: Order, refund_method: str) -> None:
    """Store credit lands on a customer profile, which a walk-in sale does not have
    and an erased one cannot take (``erased_holder``: nobody could ever spend it),
    and is kept in the home currency (``check_credit_currency``, as it is booked): a
    return asking for it where the refund could not give it is refused at once."""
    if refund_method != RefundMethod.STORE_CREDIT:
        return
    if order.customer_id is None:
        raise ValidationFailed(
            "Store credit needs a customer profile; this sale has none.",
            extra={"refund_method": ["Refund to the original payment instead."]},
        )
    try:
        check_credit_currency(order.currency, refunding=True)
    except ValidationFailed as refused:
        raise ValidationFailed(
            refused.message,
            code=refused.code,
            extra={"refund_method": [refused.message]},
        ) from None
    if erased_holder(order.customer):
        message = f"No store credit: {ERASED_HOLDER}. Refund to the original payment."
        raise ValidationFailed(
            message, code="profile_erased", extra={"refund_method": [message]}
        )


def _lock_order_lines(order: Order, ids: list[int]) -> dict[int, OrderLine]:
    """Lock the asked lines in pk order, so two desks returning the same line queue up;
    a line of another order is refused."""
    locked = {
        line.pk: line
        for line in OrderLine.objects.select_for_update()
        .filter(order=order, pk__in=ids)
        .order_by("pk")
    }
    unknown = [pk for pk in ids if pk not in locked]
    if unknown:
        raise ValidationFailed(
            "Some lines are not part of this order.",
            extra={
                "lines": [
                    f"Line {pk} is not part of order {order.number}." for pk in unknown
                ]
            },
        )
    return locked


def _check_returnable(
    wanted: list[ReturnLineRequest],
    locked: dict[int, OrderLine],
    returned: dict[int, int],
) -> None:
    """Refuse once, naming every line asked for more than bought minus returned. A
    line of a part cancelled before it left counts as all returned
    (``returned_quantities``); the refusal says it was cancelled."""
    refused = []
    for line in wanted:
        bought = locked[line.order_line]
        if line.quantity > bought.quantity - returned.get(bought.pk, 0):
            refused.append((bought, line.quantity))
    if not refused:
        return
    cancelled = set(
        OrderLine.objects.filter(
            pk__in=[bought.pk for bought, _ in refused],
            fulfilment__status=NEVER_LEFT,
        ).values_list("pk", flat=True)
    )
    too_many, messages = {}, []
    for bought, asked in refused:
        left = bought.quantity - returned.get(bought.pk, 0)
        too_many[str(bought.pk)] = left
        if bought.pk in cancelled:
            said = f"{bought.quantity} cancelled before they were shipped"
        else:
            said = f"{bought.quantity - left} already on a return"
        messages.append(
            f"{bought.sku}: {asked} asked, at most {left} can be returned "
            f"({bought.quantity} bought, {said})."
        )
    raise ValidationFailed(
        "More units than can be returned.",
        code="return_quantity",
        extra={"lines": messages, "returnable": too_many},
    )


def _return_lines(
    wanted: list[ReturnLineRequest],
    locked: dict[int, OrderLine],
    returned: dict[int, int],
) -> list[ReturnLine]:
    """The return's lines, each priced as it was paid, not written yet."""
    rows = []
    nothing = (Decimal("0.00"), Decimal("0.00"))
    taken_so_far = taken_by_returns(locked)
    for line in wanted:
        sold = locked[line.order_line]
        units = {"before": returned.get(line.order_line, 0), "units": line.quantity}
        taken_amount, taken_tax = taken_so_far.get(sold.pk, nothing)
        amount = return_amount(sold, **units, taken=taken_amount)
        tax = _return_tax(sold, **units, taken=taken_tax)
        rows.append(
            ReturnLine(
                order_line=sold,
                quantity=line.quantity,
                reason=line.reason,
                note=line.note,
                condition=line.condition,
                amount=amount,
                net=amount - tax,
                tax=tax,
            )
        )
    return rows


def _guard_acceptance(ret: Return, rows, without_receipt: bool, **asked) -> str:
    """A return accepted outside the window or without a receipt waits for a
    manager's yes (nothing is kept until then); what its history adds: who
    approved, and that there was no receipt."""
    said = ""
    if ret.override_reason:
        said += approved_by_note(
            guard_return_outside_window(
                order=ret.order, lines=rows, reason=ret.override_reason, **asked
            )
        )
    if without_receipt:
        approval = guard_return_without_receipt(
            order=ret.order, lines=rows, reason=ret.note, **asked
        )
        said += " · without a receipt" + approved_by_note(approval)
    return said


def _announce_request(
    ret: Return,
    rows: list[ReturnLine],
    *,
    channel: str,
    override: str,
    approved: str,
    actor,
    location: Location | None,
    now: datetime,
) -> None:
    """The first history row (its note ends with the managers who approved, whatever
    the reason's length), the timeline event, the email (online only) and the webhook
    of a new return."""
    opening = (
        f"Accepted outside the return window: {override}"
        if override
        else f"Started via {Channel(channel).label}"
    )
    ReturnStatusChange.objects.create(
        return_request=ret,
        to_status=ReturnStatus.REQUESTED,
        actor=acting_user(actor),
        location=location,
        at=now,
        note=opening[: 250 - len(approved)] + approved,
    )
    units = sum(row.quantity for row in rows)
    where = f" at {location.name}" if location is not None else ""
    record_return_event(
        ret,
        EVENT_RETURN_REQUESTED,
        f"Return {ret.code} started{where} for order {ret.order.number}: "
        f"{units} item{'s' if units != 1 else ''}",
        actor=actor,
        location=location,
        now=now,
    )
    if is_online(channel):
        send_return_email(ret, "return_requested")
    return_webhook(ret, "requested")


def _asked_before(key, order, customer, wanted, channel, refund_method, note, now):
    """The request's key (``return_key``) and the return it already made, if any."""
    asked = return_key(
        key,
        customer=customer,
        order=order,
        wanted=wanted,
        channel=channel,
        refund_method=refund_method,
        note=note,
    )
    return asked, repeated_return(order, customer, wanted, refund_method, asked, now)


@transaction.atomic
def request_return(
    *,
    order: Order | int | str,
    lines: Sequence[ReturnLineRequest],
    channel: str,
    customer: Customer | None = None,
    actor=None,
    location: Location | None = None,
    refund_method: str = RefundMethod.ORIGINAL,
    override_reason: str = "",
    note: str = "",
    without_receipt: bool = False,
    approvals: Sequence = (),
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Return:
    """Open a return for lines of any order from any channel. Online, ``customer``
    is the signed-in customer and only their orders are found. At a counter,
    ``location`` is where the goods land and ``actor`` the associate, who alone may
    accept a return outside the window (``override_reason``) or ``without_receipt``,
    with a manager's approval (``approvals``) when the settings ask for one.
    Quantities never exceed bought minus already returned. A request made again
    (its ``idempotency_key``, or the same lines moments later) answers the return it
    made (``return_repeats``), with ``idempotent_replay`` True. One whose refund
    would reach store credit or points its erased customer gave up is refused
    before anything is written (``check_nothing_given_up``)."""
    now = now or timezone.now()
    refund_method = _check_channel_and_method(channel, refund_method)
    wanted = _clean_return_lines(lines)
    order = order_to_return(order, customer)
    override = check_return_policy(
        order, now=now, actor=actor, override_reason=override_reason
    )
    check_refund_method(order, refund_method)
    ids = sorted(line.order_line for line in wanted)
    locked = _lock_order_lines(order, ids)
    asked, earlier = _asked_before(
        idempotency_key, order, customer, wanted, channel, refund_method, note, now
    )
    if earlier is not None:
        return earlier
    returned = returned_quantities(ids)
    _check_returnable(wanted, locked, returned)
    rows = _return_lines(wanted, locked, returned)
    check_nothing_given_up(order, sum((row.amount for row in rows), Decimal("0.00")))
    ret = insert_return(
        asked,
        order=order,
        customer_id=order.customer_id,
        status=ReturnStatus.REQUESTED,
        started_channel=channel,
        receiving_location=location,
        refund_method=refund_method,
        override_reason=override,
        note=(
            ("Without a receipt. " if without_receipt else "") + (note or "")
        ).strip()[:500],
        created_by=actor if is_staff_actor(actor) else None,
        created_at=now,
        updated_at=now,
    )
    ret.order, ret.idempotent_replay = order, False
    for row in rows:
        row.return_request = ret
    ReturnLine.objects.bulk_create(rows)
    approved = _guard_acceptance(
        ret,
        rows,
        without_receipt,
        location=location,
        actor=actor,
        approvals=approvals,
        now=now,
    )
    _announce_request(
        ret,
        rows,
        channel=channel,
        override=override,
        approved=approved,
        actor=actor,
        location=location,
        now=now,
    )
    return ret
