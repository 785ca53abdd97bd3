"""Returned goods received back into stock and paid back, to the original payments or
as store credit, and the counter return that does all of it at once.

Refunding a return already refunded returns it unchanged; a payment is refunded once
per return (``ReturnRefund`` unique per return and payment, named by the reference).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.services.loyalty import PointsReversal
from inventory.models import Location, MovementReason
from inventory.services.stock import adjust_stock, receive_stock
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import (
    Order,
    Payment,
    PaymentMethod,
    RefundMethod,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnLine,
    ReturnRefund,
    ReturnStatus,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.selectors.given_up import check_nothing_given_up
from orders.selectors.payments import refund_sequence
from orders.selectors.returns import refund_parts, refund_said

from .approvals import approved_by_note
from .common import lock_order
from .counter_locks import lock_counter
from .credit import book_store_credit
from .invoices import credit_refunded_return
from .payments import refund_to_payments
from .refund_cash import guard_counter_refund
from .refund_limit import ExchangeRefund
from .return_points import points_reversed_said, reverse_return_points
from .return_window import accept_late
from .returns import (
    EVENT_RETURN_RECEIVED,
    EVENT_RETURN_REFUNDED,
    RETURN_REFERENCE,
    ReceiveLine,
    ReturnLineRequest,
    check_refund_method,
    checked_choice,
    lock_return,
    record_return_event,
    request_return,
    return_webhook,
    send_return_email,
    transition_return,
)
from .sizes import relearn_sizes_later
from .till_refunds import book_counter_credit


def _check_receiving_location(location: Location | None) -> None:
    if location is None or not location.active:
        raise ValidationFailed(
            "Choose the shop receiving the goods.", extra={"location": ["Required."]}
        )


def _given_lines(
    ret: Return, rows: list[ReturnLine], lines: Sequence[ReceiveLine], errors: dict
) -> dict[int, ReceiveLine]:
    """What staff saw, by return line; a line of another return is an error."""
    given = {}
    for item in lines:
        try:
            given[int(item.line)] = item
        except (TypeError, ValueError):
            errors.setdefault("lines", []).append("Unknown return line.")
    unknown = set(given) - {row.pk for row in rows}
    if unknown:
        errors.setdefault("lines", []).append(
            f"Lines {sorted(unknown)} are not part of return {ret.code}."
        )
    return given


def _set_received_state(
    ret: Return, rows: list[ReturnLine], lines: Sequence[ReceiveLine]
) -> None:
    """Each row's condition (staff's word over the customer's, which the receipt's
    history keeps: ``_conditions_seen_otherwise``) and disposition (by default
    restock if sellable, written off if damaged); damaged goods never go back to
    sellable stock. Refuses once, naming every problem."""
    errors: dict[str, list] = {}
    given = _given_lines(ret, rows, lines, errors)
    for row in rows:
        seen = given.get(row.pk)
        if seen is not None and seen.condition:
            row.condition = checked_choice(
                seen.condition, ReturnCondition, "condition", errors
            )
        default = (
            ReturnDisposition.RESTOCK
            if row.condition == ReturnCondition.SELLABLE
            else ReturnDisposition.DAMAGED
        )
        disposition = (seen.disposition if seen is not None else "") or default
        row.disposition = checked_choice(
            disposition, ReturnDisposition, "disposition", errors
        )
        if (
            row.condition == ReturnCondition.DAMAGED
            and row.disposition == ReturnDisposition.RESTOCK
        ):
            errors.setdefault("disposition", []).append(
                f"{row.order_line.sku} is damaged: it cannot go back to sellable stock."
            )
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"Not received: {first}", extra=errors)


def _conditions_seen_otherwise(
    ret: Return, rows: list[ReturnLine], said: dict[int, str]
) -> str:
    """Each line received in another condition than the return was started with, for
    the receipt's history: the line then keeps only what staff saw, so what the
    customer said online (or staff at the counter) is kept here."""
    who = "started as" if ret.started_channel == Channel.STORE else "customer said"
    return "; ".join(
        f"{row.order_line.sku}: {who} {ReturnCondition(said[row.pk]).label.lower()}, "
        f"received {ReturnCondition(row.condition).label.lower()}"
        for row in rows
        if row.condition != said[row.pk]
    )


def _restock_returned(
    ret: Return, rows: list[ReturnLine], location: Location, actor
) -> None:
    """Every unit comes in through the ledger (``return_restock``), in variant order
    so stock rows lock in a fixed order; damaged units go out again (``damage``)."""
    for row in sorted(rows, key=lambda r: (r.order_line.variant_id, r.pk)):
        variant = row.order_line.variant
        damaged = row.disposition == ReturnDisposition.DAMAGED
        receive_stock(
            variant=variant,
            location=location,
            quantity=row.quantity,
            actor=acting_user(actor),
            reason=MovementReason.RETURN_RESTOCK,
            reference_type=RETURN_REFERENCE,
            reference_id=ret.code,
            note=(
                f"Return {ret.code}: damaged, written off"
                if damaged
                else f"Return {ret.code}"
            ),
        )
        if damaged:
            adjust_stock(
                variant=variant,
                location=location,
                delta=-row.quantity,
                reason=MovementReason.DAMAGE,
                note=f"Return {ret.code}: damaged, not sellable",
                actor=acting_user(actor),
                reference_type=RETURN_REFERENCE,
                reference_id=ret.code,
            )


def _announce_receipt(
    ret: Return, rows: list[ReturnLine], *, location: Location, actor, now: datetime
) -> None:
    restocked = sum(
        r.quantity for r in rows if r.disposition == ReturnDisposition.RESTOCK
    )
    damaged = sum(r.quantity for r in rows) - restocked
    record_return_event(
        ret,
        EVENT_RETURN_RECEIVED,
        f"Return {ret.code} received at {location.name}: {restocked} back in stock"
        + (f", {damaged} damaged" if damaged else ""),
        actor=actor,
        location=location,
        now=now,
    )
    return_webhook(ret, "received")
    relearn_sizes_later(customer_id=ret.customer_id, reference=f"return:{ret.code}")


@transaction.atomic
def receive_return(
    *,
    return_request: Return | int | str,
    location: Location,
    actor,
    lines: Sequence[ReceiveLine] = (),
    note: str = "",
    override_reason: str = "",
    approvals: Sequence = (),
    now: datetime | None = None,
) -> Return:
    """The goods are at ``location``: each line goes back to its sellable stock
    (reason ``return_restock``) or, damaged, through the ledger and out again as a
    write-off (``return_restock`` in, ``damage`` out), so the shop's sellable stock
    never counts it. ``lines`` set what staff saw, the receipt's history saying each
    line seen otherwise than the customer said; unlisted lines keep what the
    customer said. A return brought in late (``return_brought_by``) takes an
    ``override_reason`` and a manager's ``approvals``, as one outside the window.
    One whose refund would reach store credit or points its erased customer gave
    up is refused, nothing received (``check_nothing_given_up``): its refund could
    never be made."""
    now = now or timezone.now()
    ret = lock_return(return_request)
    _check_receiving_location(location)
    rows = list(
        ReturnLine.objects.filter(return_request=ret)
        .select_related("order_line__variant")
        .order_by("id")
    )
    if ret.status == ReturnStatus.REQUESTED:  # else refused as such
        amount = sum((row.amount for row in rows), Decimal("0.00"))
        check_nothing_given_up(ret.order, amount, besides=ret)
    asked = {"location": location, "actor": actor, "approvals": approvals}
    late = accept_late(ret, override_reason, now=now, **asked)
    said = {row.pk: row.condition for row in rows}
    _set_received_state(ret, rows, lines)
    seen = _conditions_seen_otherwise(ret, rows, said)
    transition_return(
        ret,
        ReturnStatus.RECEIVED,
        actor=actor,
        now=now,
        location=location,
        note=" · ".join(part for part in (late, seen, note) if part),
    )
    _restock_returned(ret, rows, location, actor)
    ReturnLine.objects.bulk_update(rows, ["condition", "disposition"])
    ret.receiving_location = location
    ret.received_at = now
    ret.save(
        update_fields=["status", "updated_at", "receiving_location", "received_at"]
    )
    _announce_receipt(ret, rows, location=location, actor=actor, now=now)
    return ret


def _refund_to_payments(
    ret: Return, order: Order, amount: Decimal, actor, location=None
) -> None:
    """Back to the payments that paid in ``refund_sequence`` (money first, then gift
    cards, store credit, points; the latest first within a kind), each through its
    provider once per return; given at a shop counter, each refund is booked into
    the shop's open till session."""
    # Locked (in key order) before their refundable amounts are read: two returns
    # of one order refunded at once then share them out instead of both counting
    # the same money and the second being refused.
    locked = Payment.objects.select_for_update().filter(order=order).order_by("pk")
    payments = refund_sequence(list(locked))
    refundable = sum((p.refundable for p in payments), Decimal("0.00"))
    if refundable < amount:
        raise Conflict(
            f"Only {refundable} {order.currency} of order {order.number} can still go "
            f"back to its payments, {amount} is due: refund it as store credit.",
            code="refund_exceeds_payments",
            extra={"refund_method": ["Refund as store credit."]},
        )
    _refund_return_to(ret, order, amount, payments, actor, location)


def _refund_return_to(ret: Return, order: Order, amount, payments, actor, location):
    """``amount`` of the return back to ``payments`` (locked, in their sequence),
    once per return, and which payments it went to recorded; the refunds."""
    refunds = refund_to_payments(
        order=order,
        amount=amount,
        reason=f"Return {ret.code}",
        reference=f"return:{ret.code}",
        actor=actor,
        location=location,
        payments=payments,
    )
    _record_return_refunds(ret, refunds)
    return refunds


def _record_return_refunds(ret: Return, refunds) -> None:
    """Which payments the return's refunds went back to (once per payment)."""
    for refund in refunds:
        ReturnRefund.objects.create(
            return_request=ret,
            payment=refund.payment,
            refund=refund,
            amount=refund.amount,
        )


def _store_credit_refund(
    ret: Return, order: Order, amount: Decimal, actor, location=None
) -> None:
    """Store credit on the customer's profile, booked on the counter's till; the
    order's points not had back go back first, as points: they never become money."""
    check_refund_method(order, RefundMethod.STORE_CREDIT)
    credit = amount - _points_back(ret, order, amount, actor, location)
    if credit <= 0:
        return
    txn = book_store_credit(
        customer_id=order.customer_id,
        amount=credit,
        currency=order.currency,
        kind=StoreCreditKind.RETURN,
        reason=f"Return {ret.code} of order {order.number}",
        reference=_credit_reference(ret),
        return_request=ret,
        order=order,
        actor=actor,
    )
    book_counter_credit(credit=txn, location=location, actor=actor)


def return_store_credit(ret: Return) -> Decimal:
    """What a return refunded as store credit put on the customer's balance: its
    refund less the share paid in points, which went back as points."""
    booked = StoreCreditTransaction.objects.filter(
        reference=_credit_reference(ret)
    ).values_list("amount", flat=True)
    return next(iter(booked), Decimal("0.00"))


def _credit_reference(ret: Return) -> str:
    return f"return:{ret.code}"


def _points_back(
    ret: Return, order: Order, amount: Decimal, actor, location
) -> Decimal:
    """Up to ``amount`` back to the order's points payments still holding some
    (the points restored to the customer); what they took. Points come first here
    because a refund to the payments gives money first: a part refunded as store
    credit out of the money share would leave points that a later part, refunded to
    the payments, pays back in money."""
    locked = Payment.objects.select_for_update().filter(order=order).order_by("pk")
    points = _points_payments(locked)
    if not points:
        return Decimal("0.00")
    refunds = _refund_return_to(ret, order, amount, points, actor, location)
    return sum((refund.amount for refund in refunds), Decimal("0.00"))


def _points_payments(payments) -> list[Payment]:
    """The order's points payments still holding some, in ``refund_sequence``."""
    return [
        payment
        for payment in refund_sequence(list(payments))
        if payment.method == PaymentMethod.LOYALTY_POINTS and payment.refundable > 0
    ]


def points_share(order: Order, amount: Decimal) -> Decimal:
    """What of ``amount`` refunded as store credit now goes back as points
    (``_points_back``), read before anything moves: an exchange's review shows it."""
    held = _points_payments(Payment.objects.filter(order=order).order_by("pk"))
    return min(amount, sum((p.refundable for p in held), Decimal("0.00")))


def _pay_back(
    ret: Return, order: Order, amount: Decimal, method: str, actor, location=None
) -> None:
    if amount <= 0:
        return
    if method == RefundMethod.ORIGINAL:
        _refund_to_payments(ret, order, amount, actor, location)
    else:
        _store_credit_refund(ret, order, amount, actor, location)


def _announce_refund(
    ret: Return, *, reversal: PointsReversal, actor, location, now: datetime
) -> None:
    parts = refund_parts(ret)  # what went back as points is not store credit
    record_return_event(
        ret,
        EVENT_RETURN_REFUNDED,
        f"Return {ret.code} refunded: {refund_said(ret)}"
        + points_reversed_said(reversal),
        actor=actor,
        location=location,
        now=now,
        data={"refunded_as": parts},
    )
    send_return_email(ret, "refund")
    return_webhook(ret, "refunded", parts)


@transaction.atomic
def refund_return(
    *,
    return_request: Return | int | str,
    actor=None,
    method: str = "",
    location: Location | None = None,
    approvals: Sequence = (),
    now: datetime | None = None,
    exchange: ExchangeRefund | None = None,
) -> Return:
    """Pay a received return back, once: to the original payments (the last tender
    first) or as store credit; loyalty points for the returned value are reversed and
    the customer is told. Submitting it again returns the refunded return unchanged
    (``already_refunded`` is True). Above the refund limit (an ``exchange``'s return
    judged as the exchange's) an associate needs a manager's approval (``approvals``),
    asked once the till can pay its cash. Refunded at a counter (``location``), its
    till's session is locked first (``lock_counter``: the counter's lock order)."""
    now = now or timezone.now()
    lock_counter(location=location, actor=actor)
    ret = lock_return(return_request)
    if ret.status in (ReturnStatus.REFUNDED, ReturnStatus.CLOSED):
        ret.already_refunded = True
        return ret
    errors: dict[str, list] = {}
    method = checked_choice(
        method, RefundMethod, "refund_method", errors, ret.refund_method
    )
    if errors:
        raise ValidationFailed("Choose how to refund.", extra=errors)
    # Locked before its payments and customer: its points credited meanwhile are seen.
    order = ret.order = lock_order(ret.order_id)
    amount = sum(
        (line.amount for line in ReturnLine.objects.filter(return_request=ret)),
        Decimal("0.00"),
    )
    approval = guard_counter_refund(
        order=order,
        amount=amount,
        counter=location,
        location=location or ret.receiving_location,
        actor=actor,
        approvals=approvals,
        now=now,
        method=method,
        exchange=exchange,
    )
    transition_return(
        ret,
        ReturnStatus.REFUNDED,
        actor=actor,
        now=now,
        location=location or ret.receiving_location,
        note=RefundMethod(method).label + approved_by_note(approval),
    )
    _pay_back(ret, order, amount, method, actor, location)
    reversal = reverse_return_points(ret, order, amount, actor)
    ret.points_reversed = reversal.asked
    ret.refund_method = method
    ret.refund_total = amount
    ret.refunded_at = now
    ret.save(
        update_fields=[
            "status",
            "updated_at",
            "refund_method",
            "refund_total",
            "points_reversed",
            "refunded_at",
        ]
    )
    credit_refunded_return(return_request=ret, actor=actor, now=now)
    _announce_refund(
        ret,
        reversal=reversal,
        actor=actor,
        location=location or ret.receiving_location,
        now=now,
    )
    ret.already_refunded = False
    return ret


@transaction.atomic
def receive_and_refund_return(
    *,
    return_request: Return | int | str,
    location: Location,
    actor,
    lines: Sequence[ReceiveLine] = (),
    method: str = "",
    note: str = "",
    override_reason: str = "",
    approvals: Sequence = (),
    now: datetime | None = None,
) -> Return:
    """Receive and refund in one confirm: both happen or neither; the till's session
    locked first, before the stock the goods go back to (``lock_counter``)."""
    lock_counter(location=location, actor=actor)
    ret = receive_return(
        return_request=return_request,
        location=location,
        actor=actor,
        lines=lines,
        note=note,
        override_reason=override_reason,
        approvals=approvals,
        now=now,
    )
    return refund_return(
        return_request=ret,
        actor=actor,
        method=method,
        location=location,
        approvals=approvals,
        now=now,
    )


@transaction.atomic
def return_at_counter(
    *,
    order: Order | int | str,
    lines: Sequence[ReturnLineRequest],
    location: Location,
    actor,
    refund_method: str = RefundMethod.ORIGINAL,
    refund_now: bool = True,
    override_reason: str = "",
    note: str = "",
    without_receipt: bool = False,
    approvals: Sequence = (),
    now: datetime | None = None,
    exchange: ExchangeRefund | None = None,
) -> Return:
    """Goods brought to the counter: the return opened, received here (each line's
    condition and disposition as staff chose) and, with ``refund_now``, refunded (an
    ``exchange``'s as such) in one transaction. Outside the window, without a receipt
    or above the refund limit, an associate needs a manager's approval for each.
    Refunded now, the till's session is locked first, before the order's lines and
    the stock the goods go back to (``lock_counter``: the counter's lock order)."""
    now = now or timezone.now()
    if refund_now:
        lock_counter(location=location, actor=actor)
    ret = request_return(
        order=order,
        lines=lines,
        channel=Channel.STORE,
        actor=actor,
        location=location,
        refund_method=refund_method,
        override_reason=override_reason,
        note=note,
        without_receipt=without_receipt,
        approvals=approvals,
        now=now,
    )
    by_order_line = {
        row.order_line_id: row.pk
        for row in ReturnLine.objects.filter(return_request=ret)
    }
    ret = receive_return(
        return_request=ret,
        location=location,
        actor=actor,
        lines=[
            ReceiveLine(
                by_order_line[int(line.order_line)], line.condition, line.disposition
            )
            for line in lines
        ],
        now=now,
    )
    if refund_now:
        ret = refund_return(
            return_request=ret,
            actor=actor,
            location=location,
            approvals=approvals,
            now=now,
            exchange=exchange,
        )
    return ret
