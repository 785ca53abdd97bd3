"""Discount codes.

A code prices an order at checkout, online and at the counter alike, so it lives here
with pricing; the campaigns app creates codes (``campaign_id``) and reads their
redemptions. ``times_used`` moves only by conditional UPDATEs in ``orders.services``
(claimed in the order's transaction, given back when the order is cancelled), so the
database, not a read-then-write, keeps it within ``max_uses``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from simple_history import register

from omnistore.core.audit import AdminHistory
from orders.models.orders import Order


class DiscountKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage of the subtotal"
    FIXED = "fixed", "Fixed amount"


class DiscountChannels(models.TextChoices):
    ONLINE = "online", "Online only (web, app, phone)"
    STORE = "store", "In store only"
    BOTH = "both", "Online and in store"


# Each said by a model form beside its field, and by the constraint to other writers.
PERCENTAGE_RANGE = "A percentage is above 0 and at most 100."
FIXED_ABOVE_ZERO = "A fixed discount is an amount above zero."
MIN_SUBTOTAL_NOT_NEGATIVE = "The minimum order is zero or more."
USE_LIMIT_AT_LEAST_1 = "A use limit is at least 1 (empty: none)."
VALIDITY_ENDS_AFTER_START = "The end of validity must be after its start."


class DiscountCode(models.Model):
    code = models.CharField(
        max_length=40, unique=True, help_text="Upper-case, as customers type it."
    )
    kind = models.CharField(max_length=12, choices=DiscountKind.choices)
    value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="Percent (0–100] for a percentage, an amount for a fixed discount.",
    )
    min_subtotal = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, message=MIN_SUBTOTAL_NOT_NEGATIVE)],
        help_text="Smallest order subtotal the code applies to.",
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1, message=USE_LIMIT_AT_LEAST_1)],
        help_text="Orders in all; empty for no limit.",
    )
    max_uses_per_customer = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1, message=USE_LIMIT_AT_LEAST_1)],
        help_text="Orders per customer; empty for no limit.",
    )
    times_used = models.PositiveIntegerField(
        default=0,
        help_text="Orders holding a use now (a cancelled order gives it back).",
    )
    channels = models.CharField(
        max_length=10, choices=DiscountChannels.choices, default=DiscountChannels.BOTH
    )
    active = models.BooleanField(default=True)
    campaign_id = models.PositiveIntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The campaign that gave the code out, if any.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="discount_code_upper_not_blank",
                condition=Q(code=Upper("code")) & ~Q(code=""),
                violation_error_message="Codes are upper-case and not blank.",
            ),
            models.CheckConstraint(
                name="discount_percentage_within_0_100",
                condition=~Q(kind="percentage") | Q(value__gt=0, value__lte=100),
                violation_error_message=PERCENTAGE_RANGE,
            ),
            models.CheckConstraint(
                name="discount_fixed_gt_0",
                condition=~Q(kind="fixed") | Q(value__gt=0),
                violation_error_message=FIXED_ABOVE_ZERO,
            ),
            models.CheckConstraint(
                name="discount_kind_known",
                condition=Q(kind__in=["percentage", "fixed"]),
            ),
            models.CheckConstraint(
                name="discount_min_subtotal_gte_0",
                condition=Q(min_subtotal__gte=0),
                violation_error_message=MIN_SUBTOTAL_NOT_NEGATIVE,
            ),
            models.CheckConstraint(
                name="discount_max_uses_gt_0",
                condition=Q(max_uses__isnull=True) | Q(max_uses__gt=0),
                violation_error_message=USE_LIMIT_AT_LEAST_1,
            ),
            models.CheckConstraint(
                name="discount_max_uses_per_customer_gt_0",
                condition=Q(max_uses_per_customer__isnull=True)
                | Q(max_uses_per_customer__gt=0),
                violation_error_message=USE_LIMIT_AT_LEAST_1,
            ),
            models.CheckConstraint(
                name="discount_times_used_within_max",
                condition=Q(times_used__gte=0)
                & (Q(max_uses__isnull=True) | Q(times_used__lte=F("max_uses"))),
                violation_error_message="The code is used more often than that limit.",
            ),
            models.CheckConstraint(
                name="discount_valid_until_after_from",
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                violation_error_message=VALIDITY_ENDS_AFTER_START,
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        """The terms that depend on one another, each refused at the field to change
        (the constraints alone would speak of the whole form)."""
        super().clean()
        errors = {}
        if self.value is not None:
            if self.kind == DiscountKind.PERCENTAGE and not 0 < self.value <= 100:
                errors["value"] = PERCENTAGE_RANGE
            elif self.kind == DiscountKind.FIXED and self.value <= 0:
                errors["value"] = FIXED_ABOVE_ZERO
        dated = self.valid_from is not None and self.valid_until is not None
        if dated and self.valid_until <= self.valid_from:
            errors["valid_until"] = VALIDITY_ENDS_AFTER_START
        if errors:
            raise ValidationError(errors)

    @property
    def uses_left(self) -> int | None:
        if self.max_uses is None:
            return None
        return max(self.max_uses - self.times_used, 0)


class DiscountRedemption(models.Model):
    """One order's use of a code; ``released_at`` is set when the order is cancelled
    and the use goes back to the code."""

    code = models.ForeignKey(
        DiscountCode, on_delete=models.PROTECT, related_name="redemptions"
    )
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="discount_redemption"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discount_redemptions",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="discount_redemption_amount_gte_0", condition=Q(amount__gte=0)
            ),
        ]
        indexes = [
            models.Index(
                fields=["code", "customer"],
                name="discount_redemption_held",
                condition=Q(released_at__isnull=True),
            ),
            models.Index(
                fields=["code", "-created_at"], name="discount_redemption_code"
            ),
        ]

    def __str__(self):
        return f"{self.code.code} on order {self.order.number}"


# Codes are written in the admin: each change is kept on the code's history page
# (uses move with checkouts by a conditional UPDATE, which writes no history).
register(
    DiscountCode,
    app="orders",  # the history model is found in orders.models, beside the code
    manager_name="audit",
    records_class=AdminHistory,
    excluded_fields=["times_used"],
)
