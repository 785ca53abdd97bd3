"""Consent to be written to (email, SMS, push) and to personalisation: the current
decision per channel and the append-only history of every decision."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models.profile import Customer
from omnistore.core.channels import Channel


class ConsentChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"
    # Not a way to reach the customer: their yes to product views being kept and used
    # to personalise (recently viewed, messages about what they looked at).
    TRACKING = "tracking", "Personalisation (browsing)"


class ConsentDecision(models.Model):
    """What a consent decision says: channel, granted or not, where and by whom."""

    channel = models.CharField(max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField()
    source_channel = models.CharField(max_length=10, choices=Channel.choices)
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def decision(self) -> str:
        return "granted" if self.granted else "withdrawn"


class Consent(ConsentDecision):
    """Current consent per (customer, channel): what campaigns read, one row each."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel"], name="consent_current_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["channel", "customer"],
                name="consent_granted",
                condition=Q(granted=True),
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.decision}"


class ConsentChange(ConsentDecision):
    """Append-only history of every consent decision: what, when, where, by whom."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consent_changes"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        day = timezone.localtime(self.at).strftime("%d %b %Y")
        return f"{self.get_channel_display()}: {self.decision} on {day}"
