"""Store credit: a per-customer ledger, credited by returns and spent on orders; what
is left of a credit past its ``expires_at`` expires (``orders.services.credit``), and
what a person gives up with the erasure of their data is written off
(``orders.privacy``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models.orders import Order
from orders.models.returns import Return


class StoreCreditKind(models.TextChoices):
    RETURN = "return", "Return refunded as credit"
    PAYMENT = "payment", "Spent on an order"
    PAYMENT_REFUND = "payment_refund", "Credit payment given back"
    EXPIRY = "expiry", "Expired unused"
    FORFEIT = "forfeit", "Given up at erasure"


class StoreCreditTransaction(models.Model):
    """Store credit ledger: per customer the amounts sum to
    ``Customer.store_credit_balance``. ``reference`` is unique, so crediting a return
    or spending on an order twice changes nothing. A credit (positive row) carries the
    moment it expires; debits and expiries carry none."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="store_credit_transactions",
    )
    kind = models.CharField(max_length=16, choices=StoreCreditKind.choices)
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Signed: positive credited, negative spent.",
    )
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=250)
    reference = models.CharField(max_length=100, unique=True)
    return_request = models.ForeignKey(
        Return,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="store_credit",
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A credit: what is left of it expires then. Empty: never.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="store_credit_amount_not_zero", condition=~Q(amount=0)
            ),
            models.CheckConstraint(
                name="store_credit_expiry_only_on_credit",
                condition=Q(expires_at__isnull=True) | Q(amount__gt=0),
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "-created_at"], name="store_credit_customer"
            ),
        ]

    def __str__(self):
        return f"{self.amount:+} {self.currency} {self.reason}"
