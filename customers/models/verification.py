"""Codes and claims by which a login proves it owns an email, a phone or a
receipt (``customers.services.verification``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from omnistore.core.channels import Channel


class VerificationKind(models.TextChoices):
    EMAIL = "email", "Email code"
    PHONE = "phone", "SMS code"
    RECEIPT = "receipt", "Receipt claim"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    BURNED = "burned", "Too many wrong tries"
    SUPERSEDED = "superseded", "Replaced by a newer code"
    REFUSED = "refused", "Refused"


class VerificationCode(models.Model):
    """A login proving it owns an email, a phone or a receipt: a row per code and per
    claim, so limits are counts; a code only as a keyed hash (services.verification)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=VerificationKind.choices)
    target = models.CharField(max_length=254)  # email, phone or order number
    status = models.CharField(
        max_length=12, choices=VerificationStatus, default=VerificationStatus.PENDING
    )
    code_hash = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="verification_by_user"),
            models.Index(
                fields=["kind", "target", "created_at"], name="verification_by_target"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.target} ({self.status})"
