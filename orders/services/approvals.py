"""The counter moves of orders that need a manager, asked in the shop floor's words.

The state machine, the PINs and the thresholds live in ``omnistore.approvals``; each
guard here says what the move is (its subject, amount and summary) and is called by
the move's own service inside its transaction. A guard returns the approval that let
the move through (``None`` when none was needed) or raises ``ApprovalRequired`` with
nothing changed. ``approvals`` are the ids the associate's screen sends back once a
manager said yes; each guard uses only the one given for its own kind and subject.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalKind,
    ApprovalStatus,
)
from omnistore.approvals.policy import approval_needed, threshold
from omnistore.approvals.selectors.approvals import can_approve
from omnistore.approvals.services.approvals import Ask, check_approval
from omnistore.core.actors import acting_user
from orders.models import Order, RefundMethod, TillSession
from orders.selectors.access import approving_shop
from orders.selectors.orders import APPROVED_BY, approval_subject

from .refund_limit import ExchangeRefund, guard_exchange_refund, refunds_before


def approved_by_note(approval: Approval | None) -> str:
    """What a status history note adds when a manager approved the move."""
    if approval is None or approval.channel == ApprovalChannel.SELF:
        return ""
    return f"{APPROVED_BY}{approval.decided_by.display_name}"


def _order_subject(order: Order) -> str:
    return approval_subject(order)


REFUND_TO = {
    RefundMethod.ORIGINAL: "to the payments",
    RefundMethod.STORE_CREDIT: "as store credit",
}


def guard_refund(
    *,
    order: Order,
    amount: Decimal,
    location,
    actor,
    approvals: Iterable = (),
    now: datetime | None = None,
    cancelling: bool = False,
    reason: str = "",
    method: str = "",
    exchange: ExchangeRefund | None = None,
) -> Approval | None:
    """A refund taking what ``order`` has given back above
    ``OMNISTORE_APPROVAL_REFUND_ABOVE``: its earlier refunds count with this one, so
    returning an order in parts asks a manager as returning it whole would. The
    approval covers ``amount``, the money going back now; ``cancelling`` says it is
    the order's cancellation that refunds it; ``reason`` is what the associate gave,
    shown to the manager who decides; ``method``, where the money goes (a refund
    method), is part of what is approved. The earlier refunds are read under the
    payments' lock (``refunds_before``). The refund of an ``exchange``'s return
    counts only what the replacement does not take (``guard_exchange_refund``).
    Away from a counter (no ``location``: the admin) a manager's own refund is
    approved at the order's shop they manage (``approving_shop``)."""
    if amount <= 0 or threshold(ApprovalKind.REFUND) is None:
        return None
    if exchange is not None:
        return guard_exchange_refund(
            exchange,
            order=order,
            amount=amount,
            location=location,
            actor=actor,
            approvals=approvals,
            now=now,
        )
    earlier = refunds_before(order)
    total = earlier + amount
    if not approval_needed(ApprovalKind.REFUND, amount=total):
        return None
    currency = order.currency
    destination = "cancel" if cancelling else method or RefundMethod.ORIGINAL
    if cancelling:
        summary = f"Cancel order {order.number} and refund {amount} {currency}"
    else:
        summary = f"Refund {amount} {currency} on order {order.number}"
    if earlier > 0:
        summary += f" ({total} {currency} with earlier refunds)"
    if not cancelling:
        summary += f", {REFUND_TO.get(destination, destination)}"
    return check_approval(
        kind=ApprovalKind.REFUND,
        location=location or approving_shop(acting_user(actor), order),
        subject=approval_subject(order, destination),
        actor=actor,
        summary=summary,
        amount=amount,
        currency=currency,
        reason=reason,
        approvals=approvals,
        now=now,
    )


def _guard_order(
    kind: str,
    *,
    order: Order,
    summary: str,
    location,
    actor,
    reason: str,
    approvals,
    now,
    amount: Decimal | None = None,
) -> Approval | None:
    """A move on ``order`` that waits for a manager when the setting of ``kind`` asks
    for one; the approval that lets it through, else None."""
    if not approval_needed(kind):
        return None
    return check_approval(
        kind=kind,
        location=location,
        subject=_order_subject(order),
        actor=actor,
        summary=summary,
        amount=amount,
        currency=order.currency if amount is not None else "",
        reason=reason,
        approvals=approvals,
        now=now,
    )


def _return_asked(order: Order, lines: Iterable, why: str) -> tuple[str, Decimal]:
    """What a manager reads of a return (``lines``: its return lines, each with its
    order line), and the value it refunds: the items (SKU × units) and the sum, so
    a yes to one shirt does not cover three. Items past the summary's room end in
    "…" (the sum still tells them apart)."""
    lines = list(lines)
    value = sum((line.amount for line in lines), Decimal("0.00"))
    head = f"Return on order {order.number} {why}: {value} {order.currency} for "
    items = ", ".join(f"{line.quantity} × {line.order_line.sku}" for line in lines)
    room = 250 - len(head)
    if len(items) > room:
        items = items[: room - 1] + "…"
    return head + items, value


def guard_return_outside_window(
    *,
    order: Order,
    lines: Iterable,
    location,
    actor,
    reason: str,
    approvals: Iterable = (),
    now=None,
) -> Approval | None:
    """A return of ``lines`` taken back after the window closed (the associate's
    reason kept); the approval covers those items, their value and that reason."""
    if not approval_needed(ApprovalKind.RETURN_OUTSIDE_WINDOW):
        return None
    days = settings.OMNISTORE_RETURN_WINDOW_DAYS
    summary, value = _return_asked(order, lines, f"outside the {days}-day window")
    return _guard_order(
        ApprovalKind.RETURN_OUTSIDE_WINDOW,
        order=order,
        summary=summary,
        amount=value,
        location=location,
        actor=actor,
        reason=reason,
        approvals=approvals,
        now=now,
    )


def guard_return_without_receipt(
    *,
    order: Order,
    lines: Iterable,
    location,
    actor,
    reason: str,
    approvals: Iterable = (),
    now=None,
) -> Approval | None:
    """The customer has no receipt: the order was found by their details. The
    approval covers ``lines``, their value and the reason, as for one outside the
    window."""
    if not approval_needed(ApprovalKind.RETURN_WITHOUT_RECEIPT):
        return None
    summary, value = _return_asked(order, lines, "without a receipt")
    return _guard_order(
        ApprovalKind.RETURN_WITHOUT_RECEIPT,
        order=order,
        summary=summary,
        amount=value,
        location=location,
        actor=actor,
        reason=reason,
        approvals=approvals,
        now=now,
    )


def guard_pickup_by_identity(
    *, order: Order, location, actor, note: str, approvals: Iterable = (), now=None
) -> Approval | None:
    """A pickup handed over on the customer's identity, without the code; the
    approval covers the ``note`` of what was seen, as the manager read it."""
    return _guard_order(
        ApprovalKind.PICKUP_BY_IDENTITY,
        order=order,
        summary=f"Hand over order {order.number} without the pickup code",
        location=location,
        actor=actor,
        reason=note,
        approvals=approvals,
        now=now,
    )


def guard_pickup_unlock(
    *, order: Order, location, actor, note: str, approvals: Iterable = (), now=None
) -> Approval | None:
    """A pickup locked after wrong codes let back to the desk. The manager reads
    when it locked and after how many codes, so a yes unlocks that lock only (one
    unused, found again once the order locked anew, does not), and the ``note``."""
    locked = timezone.localtime(order.pickup_locked_at)
    codes = order.pickup_code_failures
    return _guard_order(
        ApprovalKind.PICKUP_UNLOCK,
        order=order,
        summary=f"Unlock the pickup of order {order.number}, locked after {codes} "
        f"wrong code{'s' if codes != 1 else ''} on {locked:%d %b %H:%M:%S}",
        location=location,
        actor=actor,
        reason=note,
        approvals=approvals,
        now=now,
    )


def guard_till_difference(
    *,
    session: TillSession,
    difference: Decimal,
    counted: Decimal | None = None,
    actor,
    note: str,
    approvals: Iterable = (),
    now: datetime | None = None,
) -> Approval | None:
    """A close whose over/short is beyond ``OMNISTORE_TILL_TOLERANCE``. The way it
    goes is part of what is approved: a yes to a drawer over does not cover one
    short (nor the other way round), whatever the counts sent with it."""
    if not approval_needed(ApprovalKind.TILL_OVER_SHORT, amount=difference):
        return None
    word = "over" if difference > 0 else "short"
    return check_approval(
        kind=ApprovalKind.TILL_OVER_SHORT,
        location=session.register.location,
        subject=f"till:{session.pk}:{word}",
        actor=actor,
        summary=(
            f"Close {session.register.name}: {abs(difference)} {session.currency} "
            f"{word}"
            + (
                f" (counted {counted}, expected {counted - difference})"
                if counted is not None
                else ""
            )
        ),
        amount=abs(difference),
        currency=session.currency,
        reason=note,
        approvals=approvals,
        now=now or timezone.now(),
    )


def _percent_off(listed: Decimal, price: Decimal) -> Decimal:
    """The exact cut, compared to the limit as it is: 10.02 % off is above 10 %
    (rounded first, it would pass). ``_shown`` rounds it for the summary only."""
    if listed <= 0:
        return Decimal("0")
    return (listed - price) * 100 / listed


def _shown(percent: Decimal) -> Decimal:
    return percent.quantize(Decimal("0.1"))


@dataclass(frozen=True)
class _PriceMove:
    """What a manager is asked about a counter price: the approval's subject, how
    far the price is from the list price per unit, and how that reads."""

    subject: str
    per_unit: Decimal
    how: str

    @property
    def raise_(self) -> bool:
        return self.subject.endswith(":up")


def price_move(line, listed: Decimal, price: Decimal) -> _PriceMove | None:
    """The move a counter price makes, when it needs a manager: a cut more than
    ``OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT`` below the list price, or any
    price above it (a raise is rare: it waits for a manager whenever price overrides
    are approved); None when no one is asked. A yes to a cut does not cover a raise
    (another subject)."""
    if price > listed:
        if threshold(ApprovalKind.PRICE_OVERRIDE) is None:
            return None
        above = _shown(-_percent_off(listed, price))
        return _PriceMove(
            f"cartline:{line.pk}:up", price - listed, f"{above}% above the list price"
        )
    off = _percent_off(listed, price)
    if not approval_needed(ApprovalKind.PRICE_OVERRIDE, amount=max(off, 0)):
        return None
    return _PriceMove(f"cartline:{line.pk}", listed - price, f"{_shown(off)}% off")


def guard_price_override(
    *,
    line,
    listed: Decimal,
    price: Decimal,
    currency: str,
    location,
    actor,
    reason: str,
    approvals: Iterable = (),
    now: datetime | None = None,
) -> Approval | None:
    """A counter price beyond the limits (``price_move``) on the line's units, the
    shelf price ``listed`` and ``price`` both in the sale's ``currency``. The
    amount approved is the cut, or the raise, on all the units the manager is
    shown: a deeper cut, a higher raise or more units ask again (checkout stops a
    line whose units outgrew it, ``counter_prices_outgrown``)."""
    move = price_move(line, listed, price)
    if move is None:
        return None
    return check_approval(
        kind=ApprovalKind.PRICE_OVERRIDE,
        location=location,
        subject=move.subject,
        actor=actor,
        summary=_price_summary(line, price, listed, currency, move),
        amount=move.per_unit * line.quantity,
        currency=currency,
        reason=reason,
        approvals=approvals,
        now=now,
    )


def _price_summary(
    line, price: Decimal, listed: Decimal, currency: str, move: _PriceMove
) -> str:
    """What the manager reads of a counter price: the units, the item, the prices,
    how far they are apart and, for more than one unit, how much in all."""
    units, how = line.quantity, move.how
    if units != 1:
        more = "more" if move.raise_ else "off"
        how += f", {move.per_unit * units} {currency} {more} in all"
    return (
        f"Sell {f'{units} × ' if units != 1 else ''}{line.variant.name} · "
        f"{line.variant.sku} at {price} {currency} instead of {listed} ({how})"
    )


def counter_prices_outgrown(
    *, lines: Iterable[tuple], currency: str, actor, location
) -> list[str]:
    """Why lines sold at a counter price may not go through as they are: the price
    needs a manager, and the units now take more off (or add more) than the
    approval it was set with covered (units added since), or it was set with none.
    ``lines`` are (cart line, shelf price) pairs; one query for them all. A manager
    selling needs no one; a price under the limit needs no one for more units."""
    user = acting_user(actor)
    if user is None or not user.is_store_staff or location is None:
        return []
    moves = []
    for line, listed in lines:
        price = line.counter_price
        move = price_move(line, listed, price) if price else None
        if move is not None:
            moves.append((line, move))
    if not moves or can_approve(user, location.pk):
        return []
    approved = latest_price_approvals([move.subject for _, move in moves], location)
    problems = []
    for line, move in moves:
        needed = move.per_unit * line.quantity
        latest = approved.get(move.subject)
        covered = latest.amount if latest is not None else None
        if covered is not None and needed <= covered:
            continue
        more = "more" if move.raise_ else "off"
        what = f"The price of {line.variant.sku} ({line.counter_price} {currency})"
        problems.append(
            f"{what} was approved for {covered} {currency} {more}; "
            f"{line.quantity} units make it {needed} {currency}: set the price again "
            "for a manager's approval."
            if covered is not None
            else f"{what} has no manager's approval: set the price again."
        )
    return problems


def latest_price_approvals(subjects, location) -> dict[str, Approval]:
    """The latest approval used for each counter price subject at ``location``, with
    who decided it: one query."""
    rows = Approval.objects.filter(
        kind=ApprovalKind.PRICE_OVERRIDE,
        location=location,
        status=ApprovalStatus.USED,
        subject__in=list(subjects),
    ).select_related("decided_by")
    return {approval.subject: approval for approval in rows.order_by("pk")}


def counter_discount_percent(subtotal: Decimal, discount: Decimal) -> Decimal:
    """What a discount takes off a counter sale, in percent (exact)."""
    return _percent_off(subtotal, subtotal - discount) if subtotal else Decimal("0")


def accepted_discount(*, subtotal: Decimal, discount: Decimal) -> dict[str, str]:
    """What the counter keeps of a discount code when it is applied (approved, or
    under the limit then), for ``counter_discount_grew``: the share of the basket
    it took and the amount, as text (it is kept in the session)."""
    off = counter_discount_percent(subtotal, discount)
    return {"percent": str(off), "amount": str(discount)}


def _held(accepted, name: str) -> Decimal | None:
    try:
        return Decimal(accepted[name])
    except (ArithmeticError, KeyError, TypeError, ValueError):
        return None


def counter_discount_grew(
    *,
    subtotal: Decimal,
    discount: Decimal,
    accepted,
    currency: str,
    actor,
    location,
) -> str:
    """Why a counter discount may not go through as it is: it needs a manager and
    takes more off than when it was applied (``accepted``, see
    ``accepted_discount``): a larger share (a fixed amount weighs more once items
    leave the basket) or a larger amount (a percentage of items added since, which
    the manager never saw); "" when it may."""
    off = counter_discount_percent(subtotal, discount)
    if not discount or not approval_needed(ApprovalKind.DISCOUNT, amount=off):
        return ""
    percent, amount = _held(accepted, "percent"), _held(accepted, "amount")
    if None not in (percent, amount) and off <= percent and discount <= amount:
        return ""
    user = acting_user(actor)
    if user is None or not user.is_store_staff or can_approve(user, location.pk):
        return ""
    if amount is not None and discount > amount:
        return (
            f"The code now takes {discount} {currency} off this basket, more than "
            f"the {amount} {currency} it took when applied: apply it again for a "
            "manager's approval."
        )
    return (
        f"The code now takes {_shown(off)}% off this basket: apply it again for a "
        "manager's approval."
    )


def guard_counter_discount(
    *,
    cart,
    code: str,
    subtotal: Decimal,
    discount: Decimal,
    currency: str,
    location,
    actor,
    approvals: Iterable = (),
    now: datetime | None = None,
) -> Approval | None:
    """A discount code taking more than ``OMNISTORE_APPROVAL_DISCOUNT_ABOVE_PERCENT``
    off a counter sale (``subtotal`` and ``discount`` in the sale's ``currency``),
    asked when the code is applied to the basket."""
    off = counter_discount_percent(subtotal, discount)
    if not approval_needed(ApprovalKind.DISCOUNT, amount=off):
        return None
    return check_approval(
        kind=ApprovalKind.DISCOUNT,
        location=location,
        # The basket's subtotal is part of what is approved: an approval for 50.00
        # off 203.90 is not one for 50.00 off 14.90.
        subject=f"cart:{cart.pk}:{subtotal}:{code}"[:80],
        actor=actor,
        summary=(
            f"Discount {code}: {discount} {currency} off {subtotal} ({_shown(off)}%)"
        ),
        amount=discount,
        currency=currency,
        approvals=approvals,
        now=now,
    )


def fee_waiver_subject(cart) -> str:
    """What a manager's approval of a waived delivery fee is for: the sale's basket
    (a counter basket becomes one order, once)."""
    return f"cart:{cart.pk}:delivery_fee"


# How much of a customer's name the summary of a waived fee keeps.
NAME_ROOM = 80


def fee_waiver_ask(
    *,
    cart,
    location,
    fee: Decimal,
    currency: str,
    country: str,
    customer: str,
    goods: Decimal,
    reason: str,
) -> Ask:
    """What a manager reads of a delivery fee waived, as ``check_approval`` records
    it, all of it part of what a yes covers: the fee (``fee`` in ``currency``),
    whose sale (``customer``: their name as staff see it, none attached yet: "a
    sale"), its goods (``goods``), where it goes and why, for the sale's basket at
    ``location``. A yes for one customer's sale is none for another's, nor for the
    same basket once its goods changed."""
    if len(customer) > NAME_ROOM:
        customer = customer[: NAME_ROOM - 1] + "…"
    whose = f"{customer}'s sale" if customer else "a sale"
    return Ask(
        kind=ApprovalKind.DELIVERY_FEE_WAIVER,
        location_id=location.pk,
        subject=fee_waiver_subject(cart),
        summary=f"Waive the {fee} {currency} delivery fee of {whose} of {goods} "
        f"{currency} delivered to {country}"[:250],
        amount=fee,
        currency=currency,
        reason=(reason or "").strip()[:250],
    )


def guard_delivery_fee_waiver(
    *, ask: Ask, location, actor, approvals: Iterable = (), now: datetime | None = None
) -> Approval | None:
    """The approval of a delivery fee waived on a sale the shop sends home
    (``fee_waiver_ask``), used by the order that leaves the fee out, in its
    transaction, once: the manager's yes among ``approvals``, or a manager's own,
    recorded as theirs then. None when ``OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER``
    asks no one; else ``ApprovalRequired`` or a refusal, nothing changed. Until the
    order, the sale holds the waiver and the yes stays approved (read, not used:
    ``orders.services.delivery_waiver``)."""
    if not approval_needed(ApprovalKind.DELIVERY_FEE_WAIVER):
        return None
    return check_approval(
        kind=ask.kind,
        location=location,
        subject=ask.subject,
        actor=actor,
        summary=ask.summary,
        amount=ask.amount,
        currency=ask.currency,
        reason=ask.reason,
        approvals=approvals,
        now=now,
    )
