"""The customer's timeline across channels and the notes staff keep on them."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from customers.models.profile import Customer
from omnistore.core.channels import Channel
from omnistore.core.labels import described, humanized, label_of


class StaffNote(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="notes"
    )
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text[:60]


class CustomerEvent(models.Model):
    """One timeline across channels; every app writes here through ``record_event``.

    ``kind`` is a free string owned by the writing app ("order_placed",
    "return_received", "wishlist_item_added", "message_sent", ...).
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(max_length=10, blank=True)
    data = models.JSONField(default=dict, blank=True)
    reference_type = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "-occurred_at", "-id"],
                name="customer_event_timeline",
            ),
            models.Index(fields=["kind", "occurred_at"], name="customer_event_kind"),
            models.Index(
                fields=["reference_type", "reference_id"], name="customer_event_ref"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.summary}"

    @described("kind")
    def get_kind_display(self) -> str:
        """The free kind read as words ("Order placed")."""
        return humanized(self.kind)

    @described("channel")
    def get_channel_display(self) -> str:
        return label_of(Channel, self.channel)
