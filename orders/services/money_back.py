"""Where a refund's money goes: back through the payment's provider, or — a gift card
that can no longer take it (void, or past its date) — to the order customer's store
credit. ``Refund.given_as`` keeps which, so every receipt, email and report names the
refund by where the money went, not by how it was paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from omnistore.core.exceptions import Conflict
from orders.models import (
    Payment,
    PaymentMethod,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.payments.base import RefundResult
from orders.payments.registry import get_provider

from .common import to_money
from .credit import book_store_credit, store_credit_refusal
from .giftcards import GiftCardClosed

STORE_CREDIT_PROVIDER = "store_credit"


@dataclass(frozen=True)
class MoneyBack:
    """A refund made: the provider's answer, where the money went (a payment
    method) and, when that is not the payment, why ("as store credit: the gift card
    … is void")."""

    result: RefundResult
    given_as: str
    elsewhere: str = ""


def given_as(payment: Payment, result: RefundResult) -> str:
    """Where a refund of ``payment`` went: store credit when the store credit
    provider took it, else the payment's own method."""
    if result.provider == STORE_CREDIT_PROVIDER:
        return PaymentMethod.STORE_CREDIT
    return payment.method


def give_back(payment: Payment, *, amount: Decimal, reference: str, actor) -> MoneyBack:
    """``amount`` back through the payment's provider, and where it went. A void or
    expired gift card takes nothing back (it could never be spent): the order's
    customer gets store credit, the refund staying the payment's, so its refunded
    amount and both ledgers agree. Where store credit cannot take it either (no
    profile, another currency, an erased profile) nothing moves: the refusal says
    why."""
    try:
        result = get_provider(payment.provider).refund(
            provider_reference=payment.provider_reference,
            amount=amount,
            currency=payment.currency,
            idempotency_key=reference,
        )
    except GiftCardClosed as closed:
        order = payment.order
        refusal = store_credit_refusal(
            customer=order.customer, currency=payment.currency
        )
        if refusal:
            message = (
                f"{amount} {payment.currency} paid by {closed.why} cannot go back "
                f"to it, and {refusal}: nothing was refunded."
            )
            raise Conflict(
                message, code="gift_card_refund_blocked", extra={"refund": [message]}
            ) from None
        txn = credit_back(
            customer_id=order.customer_id,
            amount=amount,
            currency=payment.currency,
            reason=f"Order {order.number}: refund of a payment by {closed.why}",
            reference=reference,
            order=order,
            actor=actor,
        )
        result = RefundResult(STORE_CREDIT_PROVIDER, txn.reference, amount)
        return MoneyBack(
            result, given_as(payment, result), f"as store credit: the {closed.why}"
        )
    return MoneyBack(result, given_as(payment, result))


def credit_back(
    *, customer_id, amount, currency, reason, reference, order, actor=None
) -> StoreCreditTransaction:
    """A payment given back as store credit, once per refund ``reference``."""
    return book_store_credit(
        customer_id=customer_id,
        amount=to_money(amount),
        currency=currency,
        kind=StoreCreditKind.PAYMENT_REFUND,
        reason=reason,
        reference=f"refund:{reference}",
        order=order,
        actor=actor,
    )
