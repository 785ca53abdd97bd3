"""Card-present payments: the payment terminals of a shop and the intents sent to them.

An intent asks one terminal to collect one amount for one basket. It starts
``pending`` and takes one result (``succeeded``, ``declined``, ``cancelled``,
``timed_out``); a succeeded intent becomes ``completed`` when its sale is placed, or
``reversed`` when the sale could not be placed and the money was given back. Every
move is a ``TerminalIntentEvent`` (who, when, from where).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from omnistore.core.labels import status_step
from orders.models.carts import Cart
from orders.models.orders import Order


class TerminalDevice(models.Model):
    """A card reader paired with a shop; ``provider`` names the ``TerminalProvider``
    that talks to it and ``device_id`` is the reader's id there."""

    location = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, related_name="terminals"
    )
    label = models.CharField(max_length=100)
    provider = models.CharField(max_length=30)
    device_id = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location_id", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "device_id"], name="terminal_device_unique"
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.provider})"


class TerminalIntentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the card"
    SUCCEEDED = "succeeded", "Paid"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    TIMED_OUT = "timed_out", "Timed out"
    COMPLETED = "completed", "Sale completed"
    REVERSED = "reversed", "Paid, sale refused, money given back"


# The results a terminal reports for a pending intent.
TERMINAL_RESULTS = frozenset(
    {
        TerminalIntentStatus.SUCCEEDED,
        TerminalIntentStatus.DECLINED,
        TerminalIntentStatus.CANCELLED,
        TerminalIntentStatus.TIMED_OUT,
    }
)


class TerminalIntent(models.Model):
    """One amount a terminal is asked to collect for one basket.

    ``sale`` keeps the checkout the associate chose (lines, fulfilment, tenders,
    customer), so the sale is placed as it was when the card was presented, whoever
    delivers the result. At most one intent waits per terminal and per basket, and an
    order completes at most one intent (database constraints).
    """

    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    device = models.ForeignKey(
        TerminalDevice, on_delete=models.PROTECT, related_name="intents"
    )
    location = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, related_name="+"
    )
    cart = models.ForeignKey(
        Cart, on_delete=models.PROTECT, related_name="terminal_intents"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=30)
    provider_reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=12,
        choices=TerminalIntentStatus.choices,
        default=TerminalIntentStatus.PENDING,
    )
    message = models.CharField(max_length=250, blank=True)
    sale = models.JSONField(default=dict)
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="terminal_intents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="terminal_intent_amount_gt_0", condition=Q(amount__gt=0)
            ),
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(status="pending"),
                name="terminal_one_pending_intent_per_device",
            ),
            models.UniqueConstraint(
                fields=["cart"],
                condition=Q(status="pending"),
                name="terminal_one_pending_intent_per_cart",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(order__isnull=False),
                name="terminal_intent_one_per_order",
            ),
            models.CheckConstraint(
                name="terminal_intent_completed_has_order",
                condition=~Q(status="completed") | Q(order__isnull=False),
            ),
        ]

    def __str__(self):
        return (
            f"{self.reference} {self.amount} {self.currency} "
            f"({self.get_status_display().lower()})"
        )

    @property
    def waiting(self) -> bool:
        return self.status == TerminalIntentStatus.PENDING


class TerminalIntentEvent(models.Model):
    """One move of an intent: from which status to which, who or what reported it
    (``source``: the counter, the terminal's webhook, a poll, the simulator)."""

    intent = models.ForeignKey(
        TerminalIntent, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        max_length=12, choices=TerminalIntentStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=12, choices=TerminalIntentStatus.choices)
    source = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=250, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return status_step(TerminalIntentStatus, self.from_status, self.to_status)
