"""Profiles that seem to be one person, and the record of every merge."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models.profile import Customer


class DuplicateStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Dismissed"


class DuplicateCandidate(models.Model):
    """Two profiles that seem to be one person; staff decide, nothing merges alone."""

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=250)
    status = models.CharField(
        max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.PENDING
    )
    channel = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_a", "customer_b"],
                name="duplicate_candidate_pair_unique",
            ),
            models.CheckConstraint(
                name="duplicate_candidate_ordered_pair",
                condition=Q(customer_a__lt=models.F("customer_b")),
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer_a"],
                name="duplicate_pending_a",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["customer_b"],
                name="duplicate_pending_b",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self):
        return (
            f"Possible duplicate: {self.customer_a} and {self.customer_b} "
            f"({self.get_status_display().lower()})"
        )


class CustomerMerge(models.Model):
    """Record of a merge: who, when, what moved (``summary``: counts per relation)."""

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.merged} merged into {self.survivor}"
