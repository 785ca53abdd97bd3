"""The cash a refund to an order's payments pays out at a shop counter, checked before
a manager is asked to approve the refund: an approval of a refund the till then
refuses would be spent for nothing. The returns desk reads the same rule to say up
front when the cash cannot go out here (``cash_refund_refusal``), and a cancellation
at a warehouse, which has no till, is refused up front (``guard_cancel_refund``).

The drawer's rule itself (an open session, in its currency, holding enough) is the
till's: ``cash_session`` when the cash moves, ``cash_refusal`` for a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from omnistore.approvals.models import Approval
from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, Payment, PaymentMethod, RefundMethod
from orders.selectors.access import cancelled_elsewhere

from .approvals import guard_refund
from .refund_limit import ExchangeRefund
from .tenders import refund_sequence
from .till import cash_refusal, cash_session

# A refund of no amount yet known reaches the cash when the cash goes back first: the
# smallest refund tells.
ANY_REFUND = Decimal("0.01")


def cash_out_of_refund(
    payments: Iterable[Payment], amount: Decimal | None
) -> tuple[str, Decimal]:
    """The currency and the cash of ``amount`` (None: any refund) going back to
    ``payments``: each takes in ``refund_sequence`` as much as it still holds, as
    ``refund_to_payments`` pays it back. ("", 0.00): no cash is reached."""
    remaining = ANY_REFUND if amount is None else amount
    currency, cash = "", Decimal("0.00")
    for payment in refund_sequence(list(payments)):
        if remaining <= 0:
            break
        take = min(remaining, payment.refundable)
        if take <= 0:
            continue
        if payment.method == PaymentMethod.CASH:
            currency, cash = payment.currency, cash + take
        remaining -= take
    return currency, cash


def guard_counter_refund(
    *,
    order: Order,
    amount: Decimal,
    method: str,
    counter,
    location,
    actor,
    approvals: Iterable = (),
    now: datetime | None = None,
    exchange: ExchangeRefund | None = None,
) -> Approval | None:
    """``guard_refund`` of ``amount`` going back by ``method`` (an ``exchange``'s
    return: as the exchange's), its cash share (to the payments, given at the
    ``counter`` shop) first checked against the till that pays it out (``cash_session``: open, holding enough): refused there, the
    refund is refused before any manager is asked. The order's payments are locked
    in key order before the till's session, as the refund itself locks them."""
    if method == RefundMethod.ORIGINAL and counter is not None:
        locked = Payment.objects.select_for_update().filter(order=order).order_by("pk")
        currency, cash = cash_out_of_refund(locked, amount)
        if cash > 0:
            cash_session(
                location=counter, actor=actor, paying_out=cash, currency=currency
            )
    return guard_refund(
        order=order,
        amount=amount,
        location=location,
        actor=actor,
        approvals=approvals,
        now=now,
        method=method,
        exchange=exchange,
    )


def cash_refund_refusal(
    *, order: Order, amount: Decimal | None, location, actor
) -> ValidationFailed | None:
    """Why the cash of a refund of ``amount`` (None: any refund) to the order's
    payments cannot go out at the shop ``location`` now (its till not open, its
    drawer holding less), as ``guard_counter_refund`` would refuse it; None when it
    can or no cash is reached. Read for a page, nothing locked; inside
    ``at_counter`` the device's register is the one read."""
    currency, cash = cash_out_of_refund(order.payments.all(), amount)
    if cash <= 0:
        return None
    paying_out = None if amount is None else cash
    return cash_refusal(
        location=location, actor=actor, paying_out=paying_out, currency=currency
    )


def guard_cancel_refund(
    *,
    order: Order,
    amount: Decimal,
    location,
    actor,
    approvals: Iterable = (),
    now: datetime | None = None,
    reason: str = "",
) -> Approval | None:
    """``guard_refund`` of what cancelling ``order`` at ``location`` gives back, its
    cash first: a warehouse has no till to pay it from, so there the cancellation is
    refused before anything moves or a manager is asked, saying who cancels it
    instead (``cancelled_elsewhere``)."""
    elsewhere = cancelled_elsewhere(order, location)
    if elsewhere:
        message = f"{elsewhere} Nothing was changed."
        raise ValidationFailed(message, code="not_a_shop", extra={"till": [message]})
    return guard_refund(
        order=order,
        amount=amount,
        location=location,
        actor=actor,
        approvals=approvals,
        now=now,
        cancelling=True,
        reason=reason,
    )
