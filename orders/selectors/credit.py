"""Reads of store credit: a customer's ledger, what of it expires and when, and the
books check.

Expiry is first-expiring-first-spent: the spends and the earlier expiries are taken
from the credits that expire soonest, so what expires at a moment is what is left of
the credits due by then — ``max(0, credits due - spent - expired before)``. A credit
given back from a store credit payment is a credit of its own, expiring from the
day it is given back; it never reduces what was spent, so credit spent and then given
back is not lost to an older credit's date. The rule errs only in the customer's
favour: where a spend came before a credit that expires sooner than older ones (the
expiry setting shortened, credit from before expiry existed), the spend still counts
against the credit expiring first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from customers.models import Customer
from orders.models import StoreCreditTransaction

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)


def credit_currency() -> str:
    """Store credit is one balance per customer, in the home currency."""
    return settings.OMNISTORE_CURRENCY


# Why an erased profile takes no store credit: nobody can sign in to it, find it or
# attach it to a sale, and its erasure wrote off what it held.
ERASED_HOLDER = (
    "the customer's profile was erased, so nobody could ever spend store credit on it"
)


def erased_holder(customer: Customer) -> bool:
    """``customer`` was erased: store credit put on it could never be spent, and the
    liability report would count it as owed forever. A profile merged into an
    erased one was erased with it (and an erased one is never merged)."""
    return customer.is_anonymised


def store_credit_refusal(*, customer: Customer | None, currency: str) -> str:
    """Why money in ``currency`` cannot be credited to ``customer`` (an order
    without a profile, a sale in another currency, an erased profile), or nothing
    when it can."""
    if customer is None:
        return "the order has no customer profile to hold store credit"
    if currency != credit_currency():
        return f"store credit is kept in {credit_currency()}, not in {currency}"
    if erased_holder(customer):
        return ERASED_HOLDER
    return ""


@dataclass(frozen=True)
class StoreCreditExpiry:
    """``amount`` of the customer's store credit expires at ``expires_at``."""

    amount: Decimal
    currency: str
    expires_at: datetime


def store_credit_history(customer: Customer) -> QuerySet[StoreCreditTransaction]:
    return StoreCreditTransaction.objects.filter(customer=customer).order_by(
        "-created_at", "-id"
    )


def _due_and_spent(now: datetime) -> dict:
    """Per customer: the credits due by ``now`` and what was taken off (spends and
    expiries, negative)."""
    return {
        "due": Coalesce(
            Sum("amount", filter=Q(amount__gt=0, expires_at__lte=now)),
            Value(ZERO),
            output_field=MONEY,
        ),
        "spent": Coalesce(
            Sum("amount", filter=Q(amount__lt=0)), Value(ZERO), output_field=MONEY
        ),
    }


def customers_with_store_credit_due(now: datetime) -> list[int]:
    """Ids of the live customers with store credit to expire at ``now``, in id order
    (one query: the rule above as SQL, to find them; ``next_store_credit_expiry``
    gives one customer's amount)."""
    return list(
        StoreCreditTransaction.objects.filter(
            customer__store_credit_balance__gt=0, customer__merged_into__isnull=True
        )
        .values("customer_id")
        .annotate(**_due_and_spent(now))
        .annotate(left=Round(F("due") + F("spent"), 2))
        .filter(left__gt=0)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
    )


def next_store_credit_expiry(
    customer: Customer, *, now: datetime | None = None
) -> StoreCreditExpiry | None:
    """The next store credit to expire: how much and when, as things stand (one query;
    none without a balance). A date already past means the hourly expiry is about to
    take it: the amount due at ``now`` and the latest date among its credits."""
    balance = customer.store_credit_balance
    if not balance or balance <= 0:
        return None
    now = now or timezone.now()
    rows = list(
        StoreCreditTransaction.objects.filter(customer=customer).values_list(
            "amount", "expires_at", "currency"
        )
    )
    spent = -sum((amount for amount, _, _ in rows if amount < 0), ZERO)
    credits = sorted((row for row in rows if row[0] > 0 and row[1]), key=_expiry)
    due = [row for row in credits if row[1] <= now]
    credited = sum((amount for amount, _, _ in due), ZERO)
    if due and credited > spent:
        return StoreCreditExpiry(min(credited - spent, balance), due[-1][2], due[-1][1])
    for when, group in groupby((row for row in credits if row[1] > now), key=_expiry):
        group = list(group)
        credited += sum((amount for amount, _, _ in group), ZERO)
        if credited > spent:
            return StoreCreditExpiry(min(credited - spent, balance), group[0][2], when)
    return None


def _expiry(row) -> datetime:
    return row[1]


def store_credit_discrepancies() -> list[dict]:
    """Customers whose store credit balance is not the sum of their ledger (empty when
    the books are right)."""
    ledger = (
        StoreCreditTransaction.objects.filter(customer=OuterRef("pk"))
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        Customer.objects.annotate(
            ledger=Round(  # to the cent: SQLite sums in binary floating point
                Coalesce(Subquery(ledger, output_field=MONEY), Value(ZERO)), 2
            )
        )
        .exclude(ledger=F("store_credit_balance"))
        .values("pk", "store_credit_balance", "ledger")
    )
    return [
        {
            "customer_id": row["pk"],
            "balance": row["store_credit_balance"],
            "ledger": row["ledger"],
        }
        for row in rows
    ]
