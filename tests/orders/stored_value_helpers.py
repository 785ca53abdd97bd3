"""Gift cards, points and store credit made through the real services."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from customers.models import Customer
from customers.services.loyalty import earn_points
from orders.models import GiftCard, GiftCardTransaction, Order, StoreCreditKind
from orders.services.credit import book_store_credit
from orders.services.giftcards import issue_gift_card
from orders.services.refunds import receive_and_refund_return
from orders.services.returns import ReturnLineRequest, request_return

PIN = "482913"


def gift_card(amount="50.00", currency="EUR", pin=PIN, **kwargs) -> GiftCard:
    return issue_gift_card(
        amount=Decimal(amount), currency=currency, pin=pin, **kwargs
    ).card


def balance(card: GiftCard) -> Decimal:
    card.refresh_from_db()
    return card.balance


def ledger_total(card: GiftCard) -> Decimal:
    """The card's ledger summed, to the cent (SQLite sums in binary floating point)."""
    total = GiftCardTransaction.objects.filter(card=card).aggregate(s=Sum("amount"))
    return (total["s"] or Decimal(0)).quantize(Decimal("0.01"))


def give_points(customer: Customer, points: int, ref: str = "seed") -> None:
    earn_points(
        customer=customer,
        points=points,
        reason="Welcome",
        reference_type="test",
        reference_id=ref,
    )


def give_credit(
    customer: Customer,
    amount: str,
    ref: str = "seed",
    *,
    now=None,
    kind: str = StoreCreditKind.RETURN,
    reason: str = "Goodwill",
):
    return book_store_credit(
        customer_id=customer.pk,
        amount=Decimal(amount),
        currency="EUR",
        kind=kind,
        reason=reason,
        reference=f"test:{ref}",
        now=now,
    )


def spend_credit(customer: Customer, amount: str, ref: str, *, now=None):
    """Store credit spent on an order (reference ``spend:<ref>``)."""
    return book_store_credit(
        customer_id=customer.pk,
        amount=-Decimal(amount),
        currency="EUR",
        kind=StoreCreditKind.PAYMENT,
        reason="Order",
        reference=f"spend:{ref}",
        now=now,
    )


def points_of(customer: Customer) -> int:
    return Customer.objects.get(pk=customer.pk).points_balance


def credit_of(customer: Customer) -> Decimal:
    return Customer.objects.get(pk=customer.pk).store_credit_balance


def return_and_refund(
    order: Order, line, *, actor, location, quantity: int = 1
) -> dict[str, Decimal]:
    """Return ``quantity`` of ``line`` at the shop ``location`` and refund it; what each
    tender of the order has had back so far, by payment method."""
    returned = request_return(
        order=order,
        lines=[ReturnLineRequest(line.pk, quantity)],
        actor=actor,
        location=location,
        channel="store",
    )
    receive_and_refund_return(return_request=returned, location=location, actor=actor)
    return {p.method: p.refunded_amount for p in order.payments.all()}
