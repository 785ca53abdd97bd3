"""What happened to a payment after checkout, and the provider events already handled.

A payment row holds its current status; each later change (captured at handover,
released at cancellation, lapsed at the provider, refunded) adds a ``PaymentEvent``
with who, when and why, shown read-only in the order's admin page. The status a
payment was taken with is the ``from_status`` of its first event (or its status, when
nothing happened since).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from omnistore.core.labels import status_step
from orders.models.orders import Payment, PaymentStatus


class PaymentEventKind(models.TextChoices):
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"
    LAPSED = "lapsed", "Authorisation lapsed"
    REFUNDED = "refunded", "Refunded"


class PaymentEvent(models.Model):
    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=12, choices=PaymentEventKind.choices)
    from_status = models.CharField(max_length=12, choices=PaymentStatus.choices)
    to_status = models.CharField(max_length=12, choices=PaymentStatus.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    provider_reference = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        max_length=40,
        blank=True,
        help_text="Where the change came from: a staff action, a task, or the "
        "provider's webhook event id.",
    )
    note = models.CharField(max_length=250, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        step = status_step(PaymentStatus, self.from_status, self.to_status)
        return f"{self.get_kind_display()} {self.amount} ({step})"


class ProcessedWebhookEvent(models.Model):
    """A provider event handled once: the unique ``(provider, event_id)`` makes a
    repeated delivery, even a parallel one, find the first and change nothing."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=100)
    outcome = models.CharField(max_length=250, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="webhook_event_once"
            )
        ]

    def __str__(self):
        return f"{self.provider} {self.event_id} ({self.kind})"
