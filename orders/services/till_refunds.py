"""Refunds given at a shop counter, booked on its till: the cash its drawer pays out,
the other tenders the counter handles (``counter_takes``: a card on its terminal,
any tender of a sale rung up at a counter) and the store credit it gives for goods
brought back, so its Z report lists them. An online payment refunded at a shop (a
web order's card or gift card) goes back through its provider, not the drawer: the
till books nothing for it.
"""

from __future__ import annotations

from decimal import Decimal

from omnistore.core.actors import acting_user
from orders.models import (
    PaymentMethod,
    Refund,
    StoreCreditTransaction,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.till import cash_paid_back, counter_takes

from .till import cash_session, counter_session_to_book


def book_counter_refund(
    *, refund: Refund, location, actor, session=None
) -> TillMovement | None:
    """A refund given at a shop counter is booked into the open session (the cash
    paid out, rounded to the drawer's smallest coin with the rounding beside it;
    zero for other tenders), once. Cash needs an open session (the caller checked
    it with ``cash_session`` before paying out); another tender given where no till
    is open has nothing to book into, nor one in another currency than the
    drawer's (a franc card refund at a euro shop: the session's totals never add
    two currencies), nor an online payment (``counter_takes``). Call inside the
    refund's transaction (the payment and its order loaded with it)."""
    payment = refund.payment
    cash = payment.method == PaymentMethod.CASH
    if cash:
        session = cash_session(
            location=location, actor=actor, session=session, currency=refund.currency
        )
    else:
        if not counter_takes(
            method=payment.method,
            provider=payment.provider,
            channel=payment.order.channel,
        ):
            return None
        session = counter_session_to_book(
            location=location, actor=actor, session=session
        )
        if session is None or payment.currency != session.currency:
            return None
    if TillMovement.objects.filter(refund=refund).exists():
        return None
    owed = -refund.amount if cash else Decimal("0.00")
    paid = cash_paid_back(refund.payment_id, owed, session.currency) if cash else owed
    return TillMovement.objects.create(
        session=session,
        kind=TillMovementKind.REFUND,
        amount=paid,
        rounding=paid - owed,
        order_id=payment.order_id,
        refund=refund,
        reason=refund.reason,
        actor=acting_user(actor),
    )


def book_counter_credit(
    *, credit: StoreCreditTransaction, location, actor, session=None
) -> TillMovement | None:
    """Store credit given at a shop counter for goods brought back (a return
    refunded as credit, an exchange's return) is booked into the open session
    there, as the counter's other refunds are (``counter_session_to_book``: the
    device's register's, else the actor's or the shop's latest), once: a refund
    by store credit that moves no cash. Given away from a counter (no
    ``location``), at a warehouse or where no till is open, or in another
    currency than the drawer's, it is on no till. Call inside the refund's
    transaction, with the credit's return loaded."""
    if location is None:
        return None
    session = counter_session_to_book(location=location, actor=actor, session=session)
    if session is None or credit.currency != session.currency:
        return None
    if TillMovement.objects.filter(store_credit=credit).exists():
        return None
    return TillMovement.objects.create(
        session=session,
        kind=TillMovementKind.REFUND,
        amount=Decimal("0.00"),
        order_id=credit.order_id,
        store_credit=credit,
        reason=f"Return {credit.return_request.code}",
        actor=acting_user(actor),
    )
