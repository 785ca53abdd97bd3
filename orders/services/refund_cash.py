"""The cash a refund to an order's payments pays out at a shop counter, checked before
a manager is asked to approve the refund: an approval of a refund the till then
refuses would be spent for nothing. The returns desk reads the same rule to say up
front when the cash cannot go out here (``cash_refund_refusal``), and a cancellation
where there is no till to give its cash back from (at a warehouse; away from every
counter, as in the admin) is refused up front (``guard_cancel_refund``).

The drawer's rule itself (an open session, in its currency, holding enough) is the
till's: ``cash_session`` when the cash moves, ``cash_refusal`` for a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from omnistore.approvals.models import Approval
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import Order, Payment, PaymentMethod, RefundMethod
from orders.selectors.access import cancelled_at_its_shop, cancelled_elsewhere
from orders.selectors.payments import refund_sequence
from orders.selectors.till import cash_paid_back

from .approvals import guard_refund
from .refund_limit import ExchangeRefund
from .till import cash_refusal, cash_session

# A refund of no amount yet known reaches the cash when the cash goes back first: the
# smallest refund tells.
ANY_REFUND = Decimal("0.01")
# A cancellation away from every counter of an order still holding cash: refused.
CASH_NEEDS_TILL = "cash_needs_till"


def refund_shares(
    payments: Iterable[Payment], amount: Decimal
) -> Iterator[tuple[Payment, Decimal]]:
    """The payments ``amount`` goes back to, each with its share: in
    ``refund_sequence``, each as much as it still holds, as ``refund_to_payments``
    pays it back (read for a page: the cash, a gift card, before the refund)."""
    remaining = amount
    for payment in refund_sequence(list(payments)):
        if remaining <= 0:
            break
        take = min(remaining, payment.refundable)
        if take <= 0:
            continue
        yield payment, take
        remaining -= take


def cash_out_of_refund(
    payments: Iterable[Payment], amount: Decimal | None
) -> tuple[str, Decimal]:
    """The currency and the cash of ``amount`` (None: any refund) going back to
    ``payments`` (``refund_shares``). ("", 0.00): no cash is reached."""
    currency, cash = "", Decimal("0.00")
    for payment, take in refund_shares(
        payments, ANY_REFUND if amount is None else amount
    ):
        if payment.method == PaymentMethod.CASH:
            currency, cash = payment.currency, cash + take
    return currency, cash


def cash_paid_out(payments: Iterable[Payment], amount: Decimal) -> Decimal:
    """The coins the drawer pays out for the cash of a refund of ``amount`` to
    ``payments`` (``cash_out_of_refund``): each cash payment's share as the till
    will book it, rounded with that payment's earlier cash refunds to the smallest
    coin (``cash_paid_back``). Read for a page: a query per cash payment reached."""
    return sum(
        (
            -cash_paid_back(payment.pk, -take, payment.currency)
            for payment, take in refund_shares(payments, amount)
            if payment.method == PaymentMethod.CASH
        ),
        Decimal("0.00"),
    )


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
    cash first: it goes back only from a shop's till, so where there is none the
    cancellation is refused before anything moves or a manager is asked, saying who
    cancels it instead: at a warehouse (``cancelled_elsewhere``), and away from
    every counter (no ``location``: the admin) an order still holding cash
    (``cancelled_at_its_shop``, ``CASH_NEEDS_TILL``)."""
    at_its_shop = cancelled_at_its_shop(order) if location is None else ""
    if at_its_shop:
        raise Conflict(at_its_shop, code=CASH_NEEDS_TILL)
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
