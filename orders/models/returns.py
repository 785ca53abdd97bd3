"""Returns.

A return (RMA) takes back lines of any order from any channel, wherever it lands; the
refund goes to the original payments (``ReturnRefund`` links each ``Refund``) or to
the customer's store credit (``StoreCreditTransaction``). Rows change only through
``orders.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from omnistore.core.channels import Channel
from omnistore.core.models import StatusChange
from orders.models.orders import Order, OrderLine, Payment, Refund


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Received"
    REFUNDED = "refunded", "Refunded"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# What a return's rows in other ledgers (stock, points) name as their reference type.
RETURN_REFERENCE = "return"


class RefundMethod(models.TextChoices):
    ORIGINAL = "original", "Original payment method"
    STORE_CREDIT = "store_credit", "Store credit"


class ReturnReason(models.TextChoices):
    TOO_SMALL = "too_small", "Too small"
    TOO_BIG = "too_big", "Too big"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    DAMAGED = "damaged", "Arrived damaged"
    CHANGED_MIND = "changed_mind", "Changed their mind"
    OTHER = "other", "Other"


class ReturnCondition(models.TextChoices):
    SELLABLE = "sellable", "Sellable"
    DAMAGED = "damaged", "Damaged"


class ReturnDisposition(models.TextChoices):
    RESTOCK = "restock", "Back to sellable stock"
    DAMAGED = "damaged", "Damaged, not sellable"


class Return(models.Model):
    """A return of order lines: requested online or at a counter, received at a shop,
    refunded once. ``code`` is what the customer brings (also as a QR)."""

    code = models.CharField(max_length=12, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    status = models.CharField(
        max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    started_channel = models.CharField(max_length=10, choices=Channel.choices)
    receiving_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The shop where the goods land (set at the counter or on receipt).",
    )
    refund_method = models.CharField(
        max_length=12, choices=RefundMethod.choices, default=RefundMethod.ORIGINAL
    )
    override_reason = models.CharField(
        max_length=250,
        blank=True,
        help_text="Why staff accepted it outside the return window.",
    )
    note = models.CharField(max_length=500, blank=True)
    refund_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    points_reversed = models.IntegerField(default=0)
    exchange_order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Replacement order placed when this return was an exchange.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Whose keys the ``Idempotency-Key`` is among ("customer:<id>", kept as text so a
    # merge of profiles moves the return without two of its keys meeting), the key,
    # and a digest of what the keyed request asked for: the key again with another
    # request is refused instead of answered with this return.
    idempotency_scope = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="return_refund_total_gte_0", condition=Q(refund_total__gte=0)
            ),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="return_idempotency_per_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="return_customer"),
            models.Index(
                fields=["receiving_location", "status"], name="return_location"
            ),
            models.Index(fields=["status", "created_at"], name="return_status"),
        ]

    def __str__(self):
        return self.code


class ReturnLine(models.Model):
    """Units of one order line coming back; ``amount`` is their share of what was paid."""

    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    note = models.CharField(max_length=250, blank=True)
    condition = models.CharField(
        max_length=10,
        choices=ReturnCondition.choices,
        default=ReturnCondition.SELLABLE,
    )
    disposition = models.CharField(
        max_length=10, choices=ReturnDisposition.choices, blank=True
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # ``amount`` split as the order line was sold (its rate, not today's).
    net = models.DecimalField(max_digits=12, decimal_places=2, default=0, db_default=0)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0, db_default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="return_line_quantity_gt_0", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="return_line_amount_gte_0", condition=Q(amount__gte=0)
            ),
            models.UniqueConstraint(
                fields=["return_request", "order_line"],
                name="return_line_once_per_return",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_line.sku}"


class ReturnStatusChange(StatusChange):
    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="history"
    )
    to_status = models.CharField(max_length=10, choices=ReturnStatus.choices)


class ReturnRefund(models.Model):
    """Which refund paid a return back on which payment: one per (return, payment), so
    a refund submitted twice pays out once."""

    return_request = models.ForeignKey(
        Return, on_delete=models.PROTECT, related_name="refunds"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    refund = models.OneToOneField(
        Refund, on_delete=models.PROTECT, related_name="return_refund"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request", "payment"], name="return_refund_per_payment"
            ),
        ]

    def __str__(self):
        return f"{self.amount} back on {self.payment}"
