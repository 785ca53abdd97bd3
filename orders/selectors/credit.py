"""Reads of store credit: a customer's ledger and the books check."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import Customer
from orders.models import StoreCreditTransaction


def store_credit_history(customer: Customer) -> QuerySet[StoreCreditTransaction]:
    return StoreCreditTransaction.objects.filter(customer=customer).order_by(
        "-created_at", "-id"
    )


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
            ledger=Coalesce(
                Subquery(
                    ledger, output_field=DecimalField(max_digits=12, decimal_places=2)
                ),
                Value(Decimal("0.00")),
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
