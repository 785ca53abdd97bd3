"""A delivery fee a shop waived on an order it sent home: written once, with the order,
by ``orders.services.delivery_waiver``; read by the staff order page and the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class DeliveryFeeWaiver(models.Model):
    """The fee the order did not pay (its market's fee then, in ``currency``), who
    waived it, the manager's approval that let it through (none where none was
    asked) and why. One approval waives one order's fee."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="delivery_fee_waiver"
    )
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The delivery fee not charged."
    )
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=250)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approval = models.OneToOneField(
        "approvals.Approval",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delivery_fee_waiver",
    )
    waived_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="delivery_fee_waiver_amount_gt_0", condition=Q(amount__gt=0)
            ),
            models.CheckConstraint(
                name="delivery_fee_waiver_has_reason", condition=~Q(reason="")
            ),
        ]

    def __str__(self):
        return f"Delivery fee {self.amount} {self.currency} waived: {self.reason}"
