"""What the refund limit (``OMNISTORE_APPROVAL_REFUND_ABOVE``) counts: what an order
gave back before, read under its payments' lock, with the refund asked now; and, when
the refund is an exchange's, only the value that leaves the shop.

An exchange refunds its return as store credit and pays the replacement with it, in
one transaction (``orders.services.exchanges``). The replacement takes back what the
credit would have given: only the returned value less the replacement's, when
positive, leaves as store credit (or points), and only that counts against the limit.
The exchange hands its terms (``ExchangeRefund``) down with its return's refund
(``return_at_counter``, ``refund_return``, ``guard_refund``), which then asks in the
exchange's words (``guard_exchange_refund``): an even swap, or one where the customer
pays the difference, asks no one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from omnistore.approvals.models import Approval, ApprovalKind
from omnistore.approvals.policy import approval_needed
from omnistore.approvals.services.approvals import check_approval
from orders.models import Order, OrderLine, Payment, RefundMethod
from orders.selectors.orders import approval_subject, refunded_so_far

# How much of the summary each side's items (SKU × units) may fill.
ITEMS_ROOM = 50


def refunds_before(order: Order) -> Decimal:
    """What has left the shop for ``order`` until now (``refunded_so_far``: an
    earlier exchange only for what it left). Its payments are locked first (in key
    order, as a refund to them locks them): two refunds of one order at once are
    judged one after the other, never both against the same total."""
    list(
        Payment.objects.select_for_update()
        .filter(order=order)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return refunded_so_far(order)


@dataclass(frozen=True)
class ExchangeRefund:
    """An exchange of goods of an order: the return lines coming back
    (``ReturnLineRequest``), the replacement going out ((variant, units) pairs) and
    its balance (``exchange_balance`` of the order and the replacement's value,
    given the returned value), as the exchange will book it. ``taken_now``: the
    replacement leaves with the customer now; one to pick up later may never leave
    (cancelled, or not collected), its credit then back with the customer."""

    back: Sequence
    out: Sequence[tuple[Any, int]]
    balance: Callable[..., Any]
    taken_now: bool = True


def _items(pairs: Iterable[tuple[str, int]]) -> str:
    """The items as the manager reads them, "2 × TEE-S, 1 × TEE-M", ending in "…"
    past their room."""
    text = ", ".join(f"{units} × {sku}" for sku, units in pairs)
    return text if len(text) <= ITEMS_ROOM else text[: ITEMS_ROOM - 1] + "…"


def _exchange_summary(
    exchange: ExchangeRefund, order: Order, split, *, returned: Decimal, total: Decimal
) -> str:
    """What the manager reads: what comes back and what goes out (items and value),
    what the customer is left with (``split``: the exchange's balance) and, with
    earlier refunds, the ``total`` the limit judged."""
    lines: dict[int, int] = {}
    for line in exchange.back:  # checked by the return before it is refunded
        lines[int(line.order_line)] = lines.get(int(line.order_line), 0) + line.quantity
    skus = dict(
        OrderLine.objects.filter(order=order, pk__in=lines).values_list("pk", "sku")
    )
    back = _items((skus.get(pk, "?"), units) for pk, units in lines.items())
    out = _items((variant.sku, units) for variant, units in exchange.out)
    cur = order.currency
    summary = (
        f"Exchange on order {order.number}: {back} back ({returned} {cur}) for "
        f"{out} ({split.total} {cur}); {split.credit_left} {cur} left as store credit"
    )
    if split.as_points:
        summary += f", {split.as_points} {cur} back as points"
    if split.to_pay:
        summary += f", {split.to_pay} {cur} to pay"
    if total > returned - split.total:
        summary += f" ({total} {cur} with earlier refunds)"
    return summary


def guard_exchange_refund(
    exchange: ExchangeRefund,
    *,
    order: Order,
    amount: Decimal,
    location,
    actor,
    approvals: Iterable = (),
    now: datetime | None = None,
) -> Approval | None:
    """The refund of an exchange's return, ``amount`` its returned value: what the
    replacement taken now does not take (``amount`` less its value), with the
    order's earlier refunds, against the refund limit; a replacement to pick up
    later takes nothing yet, so all of ``amount`` counts. Nothing leaving, nothing
    is asked; above the limit, a manager approves that value, worded as the
    exchange it is."""
    split = exchange.balance(returned=amount)
    leaving = amount - split.total if exchange.taken_now else amount
    if leaving <= 0:
        return None
    total = refunds_before(order) + leaving
    if not approval_needed(ApprovalKind.REFUND, amount=total):
        return None
    return check_approval(
        kind=ApprovalKind.REFUND,
        location=location,
        subject=approval_subject(order, RefundMethod.STORE_CREDIT),
        actor=actor,
        summary=_exchange_summary(exchange, order, split, returned=amount, total=total),
        amount=leaving,
        currency=order.currency,
        approvals=approvals,
        now=now,
    )
