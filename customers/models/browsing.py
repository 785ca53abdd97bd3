"""What a customer looked at: product views sent by the website and the app.

Stored only with the customer's consent to personalisation (``ConsentChannel.TRACKING``)
and written in batches by ``customers.services.browsing.drain_browse_events``, never one
row per request. A device that is not signed in keeps its views against its device id;
they join the customer's the first time the same device sends views signed in.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from omnistore.core.channels import Channel


class BrowseKind(models.TextChoices):
    PRODUCT_VIEWED = "product_viewed", "Product viewed"


BROWSE_CHANNELS = (Channel.WEB, Channel.APP)


class BrowseEvent(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="browse_events",
        db_index=False,  # ``browse_customer_time`` leads with it
    )
    device_id = models.CharField(
        max_length=64, blank=True, help_text="The client's own random id of a device."
    )
    session_id = models.CharField(max_length=64, blank=True)
    product = models.ForeignKey(
        "inventory.Product",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # ``browse_product_time`` leads with it
    )
    variant = models.ForeignKey(
        "inventory.Variant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(
        max_length=20, choices=BrowseKind.choices, default=BrowseKind.PRODUCT_VIEWED
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    dedupe_key = models.CharField(
        max_length=40,
        unique=True,
        help_text="The caller and its event id (or the event itself), hashed: an "
        "event sent or drained twice is stored once.",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "-occurred_at"], name="browse_customer_time"
            ),
            models.Index(fields=["product", "occurred_at"], name="browse_product_time"),
            models.Index(
                fields=["device_id"],
                name="browse_anonymous_device",
                condition=Q(customer__isnull=True),
            ),
        ]

    def __str__(self):
        who = f"customer {self.customer_id}" if self.customer_id else self.device_id
        return f"{who} viewed product {self.product_id} at {self.occurred_at}"
