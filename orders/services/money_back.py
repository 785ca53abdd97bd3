"""Where a refund's money goes: back through the payment's provider, or — a gift card
that can no longer take it (void, or past its date) — to the order customer's store
credit. ``Refund.given_as`` keeps which, so every receipt, email and report names the
refund by where the money went, not by how it was paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.text import capfirst

from omnistore.core.exceptions import Conflict
from orders.models import (
    CANCELLATION_REFUND,
    PARTS_CANCELLATION_REFUND,
    Order,
    Payment,
    PaymentMethod,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.payments.base import PaymentDeclined, PaymentProvider, RefundResult
from orders.payments.registry import get_provider
from orders.selectors.credit import store_credit_refusal

from .common import to_money
from .credit import book_store_credit
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


def refunded_for(order: Order, reference: str, *, actor, location) -> str:
    """What a refund of ``order`` gives money back for, as the ledgers it moves say
    it ("return R-… of order OS-…", "order OS-… cancelled"): the refund's
    ``reference`` (``refund_to_payments``: ``cancel:``, ``cancel-rest:``,
    ``return:<code>``, then the payment) names it, never itself. A customer who did
    it themselves (signed in, at no shop) did it online, and it says so: no ledger
    names a shop for it."""
    kind, _, rest = reference.partition(":")
    if f"{kind}:" == CANCELLATION_REFUND:
        said = f"order {order.number} cancelled"
    elif f"{kind}:" == PARTS_CANCELLATION_REFUND:
        said = f"order {order.number}, parts not shipped cancelled"
    elif kind == "return" and rest:
        said = f"return {rest.partition(':')[0]} of order {order.number}"
    else:
        said = f"refund on order {order.number}"
    if location is None and getattr(actor, "is_storefront_customer", False):
        said += " online"
    return said


def give_back(
    payment: Payment, *, amount: Decimal, reference: str, actor, location=None
) -> MoneyBack:
    """``amount`` back through the payment's provider, and where it went; stored
    value (a gift card, store credit, points) books it with who gave it, where
    (``location``) and what for (``refunded_for``). A void or expired gift card
    takes nothing back (it could never be spent): the order's customer gets store
    credit, the refund staying the payment's, so its refunded amount and both
    ledgers agree. Where store credit cannot take it either (no profile, another
    currency, an erased profile) nothing moves: the refusal says why."""
    order = payment.order
    why = refunded_for(order, reference, actor=actor, location=location)
    try:
        result = get_provider(payment.provider).refund(
            provider_reference=payment.provider_reference,
            amount=amount,
            currency=payment.currency,
            idempotency_key=reference,
            reason=why,
            actor=actor,
            location=location,
        )
    except GiftCardClosed as closed:
        card = f"the {closed.card}, which {closed.state}"
        refusal = store_credit_refusal(
            customer=order.customer, currency=payment.currency
        )
        if refusal:
            message = (
                f"{amount} {payment.currency} paid by {card}, cannot go back to it, "
                f"and {refusal}: nothing was refunded."
            )
            raise Conflict(
                message, code="gift_card_refund_blocked", extra={"refund": [message]}
            ) from None
        txn = credit_back(
            customer_id=order.customer_id,
            amount=amount,
            currency=payment.currency,
            reason=f"{capfirst(why)}: refund of a payment by {card}",
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


class StoreCreditProvider(PaymentProvider):
    """The customer's balance as a payment provider: spending happens at checkout
    (``spend_store_credit``, which knows the customer); refunding a credit payment —
    an order cancelled or a return — puts it back on the balance it came from, once
    per refund reference, with who gave it back and what for."""

    name = STORE_CREDIT_PROVIDER

    def charge(self, *, method, amount, currency, token, idempotency_key):
        raise PaymentDeclined(
            "Store credit is taken from the customer's balance at checkout.",
            extra={"payment": ["Pay with store credit through checkout."]},
        )

    def refund(
        self,
        *,
        provider_reference,
        amount,
        currency,
        idempotency_key,
        reason,
        actor,
        location,
    ):
        spent = StoreCreditTransaction.objects.select_related("order").get(
            reference=provider_reference
        )
        # The customer reads the reason (timeline, statement); the key stays the
        # ledger row's reference. The ledger keeps no place: ``reason`` says online.
        txn = credit_back(
            customer_id=spent.customer_id,
            amount=amount,
            currency=currency,
            reason=f"Store credit paid back: {reason}",
            reference=idempotency_key,
            order=spent.order,
            actor=actor,
        )
        return RefundResult(provider=self.name, reference=txn.reference, amount=amount)
