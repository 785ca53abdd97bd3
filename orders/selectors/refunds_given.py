"""Money given back as a customer reads it: each refund named by where its money
went (``Refund.given_as`` — store credit for a gift card that could no longer take
it, not the card), with the day store credit runs out. The receipts, the return's
page and emails, its timeline entry and the order's cancellation all read it here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from orders.models import (
    Order,
    PaymentMethod,
    Refund,
    Return,
    ReturnRefund,
    StoreCreditKind,
    StoreCreditTransaction,
)

ZERO = Decimal("0.00")


@dataclass
class Tender:
    method: str
    label: str
    amount: Decimal
    valid_until: date | None = None  # store credit given back: the day it expires


def refund_tender(refund, amount: Decimal, expires: datetime | None = None) -> Tender:
    """A refund as a tender: where its money went (``Refund.given_as``) and, for
    store credit whose expiry is known, the day it runs out."""
    method = refund.given_as
    label = dict(PaymentMethod.choices).get(method, method)
    credit = method == PaymentMethod.STORE_CREDIT and expires is not None
    until = timezone.localdate(expires) if credit else None
    return Tender(method, label, amount, valid_until=until)


def credit_expires_at(reference: str) -> Subquery:
    """When the store credit a refund booked (instead of a gift card, or back from a
    credit payment) runs out: its ledger row's expiry, found by the refund's
    provider reference (the path to it in ``reference``), read in the query that
    reads the refund."""
    credit = StoreCreditTransaction.objects.filter(
        kind=StoreCreditKind.PAYMENT_REFUND, reference=OuterRef(reference)
    )
    return Subquery(credit.values("expires_at")[:1])


def refunds_with_returns():
    """A payment's refunds as ``payment_refunds`` reads them: with the return each
    paid back, if any, and ``credit_expires_at`` (``credit_expires_at()``), in the
    same query."""
    return (
        Refund.objects.select_related("return_refund")
        .annotate(credit_expires_at=credit_expires_at("provider_reference"))
        .order_by("id")
    )


def payment_refunds(order: Order) -> list[Tender]:
    """What the order's payments gave back besides its returns (its payments and
    their refunds loaded, as ``refunds_with_returns``; a payment that gave nothing
    back is not read), each where its money went — store credit with the day it
    expires: its cancellation, or its parts cancelled before they left. A return's
    refunds are on the return's own receipt."""
    return [
        refund_tender(refund, refund.amount, getattr(refund, "credit_expires_at", None))
        for p in order.payments.all()
        if p.refunded_amount
        for refund in p.refunds.all()
        if not hasattr(refund, "return_refund")
    ]


def refunds_made():
    """A return's refunds (``ReturnRefund``) as ``return_refunds`` reads them: with
    the payment and the refund, and ``credit_expires_at`` (``credit_expires_at()``)
    in the same query."""
    return (
        ReturnRefund.objects.select_related("payment", "refund")
        .annotate(credit_expires_at=credit_expires_at("refund__provider_reference"))
        .order_by("id")
    )


def return_refunds(ret: Return) -> list[Tender]:
    """How a return's money went back, each refund as it was made: to the order's
    payments (points, gift card, card, cash: its ``ReturnRefund`` rows, loaded as
    ``refunds_made``), each where its money went — store credit, with the day it
    expires, for a gift card void or past its date — then the store credit it put
    on the customer's balance, with the day that expires. A return refunded as
    store credit lists the points share as points, for it went back as points."""
    made = [
        refund_tender(r.refund, r.amount, getattr(r, "credit_expires_at", None))
        for r in ret.refunds.all()
    ]
    for credit in ret.store_credit.all():
        if credit.kind == StoreCreditKind.RETURN and credit.amount > 0:
            expires = credit.expires_at
            made.append(
                Tender(
                    PaymentMethod.STORE_CREDIT,
                    "Store credit",
                    credit.amount,
                    valid_until=timezone.localdate(expires) if expires else None,
                )
            )
    return made


def exchange_given_back(ret: Return, order: Order) -> list[Tender]:
    """What the return an exchange ``order`` was paid with gave back besides paying
    it: its refunds as made (``return_refunds``: points back, money back) and its
    store credit less what the order spent of it — the credit left, with the day it
    expires. With the order's store credit tender they come to the returned value."""
    spent = sum(
        (
            p.amount
            for p in order.payments.all()
            if p.method == PaymentMethod.STORE_CREDIT
        ),
        ZERO,
    )
    back = []
    for tender in return_refunds(ret):
        if tender.method == PaymentMethod.STORE_CREDIT:
            used = min(spent, tender.amount)
            spent -= used
            left = "Store credit left" if used else tender.label
            tender = replace(tender, amount=tender.amount - used, label=left)
        if tender.amount > 0:
            back.append(tender)
    return back
