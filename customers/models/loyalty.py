"""The loyalty points ledger."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models.profile import Customer


class LoyaltyKind(models.TextChoices):
    EARN = "earn", "Earned"
    REVERSE = "reverse", "Reversed"
    REDEEM = "redeem", "Spent on an order"
    RESTORE = "restore", "Given back from an order"
    REPAY = "repay", "Paid what was owed"


class LoyaltyTransaction(models.Model):
    """Points ledger: the sum of ``points`` per customer equals
    ``Customer.points_balance`` and the sum of ``owed`` equals
    ``Customer.points_owed``.

    One row per (kind, reference): earning or reversing for the same order or return
    twice changes nothing, so retried tasks are safe.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="loyalty_transactions"
    )
    kind = models.CharField(max_length=10, choices=LoyaltyKind.choices)
    points = models.IntegerField(
        help_text="Signed: positive when earned, negative reversed."
    )
    owed = models.IntegerField(
        default=0,
        help_text=(
            "Signed change to the points owed: positive when a reversal found "
            "them spent already, negative when points coming back paid them."
        ),
    )
    reason = models.CharField(max_length=250)
    reference_type = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference_type", "reference_id"],
                name="loyalty_reference_once",
                condition=~Q(reference_id=""),
            ),
            models.CheckConstraint(
                name="loyalty_moves_points_or_owed",
                condition=~Q(points=0) | ~Q(owed=0),
            ),
        ]

    def __str__(self):
        owed = f" ({self.owed:+} owed)" if self.owed else ""
        return f"{self.points:+} points{owed}: {self.reason}"
