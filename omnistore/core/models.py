from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .labels import described, label_of, status_step
from .netguard import validate_public_url


class OutboxMessage(models.Model):
    """A side effect written in the same transaction as the change that causes it.

    A task drains pending rows after commit; a periodic task drains whatever a broker
    outage left behind, so nothing is lost between commit and delivery.
    """

    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(processed_at__isnull=True),
            )
        ]
        ordering = ["id"]

    def __str__(self):
        return f"{self.topic} #{self.pk}"


# Every event the code sends (``webhooks.emit``), one list: a subscription names
# these, or a family (``order.*``) of them. A name outside it would never match.
EVENT_TYPES = (
    "order.placed",
    "order.status_changed",
    "order.address_changed",
    "return.requested",
    "return.received",
    "return.refunded",
    "return.closed",
    "return.cancelled",
    "stock.changed",
    "stock.low",
    "customer.created",
    "customer.merged",
    "customer.erased",
)


def _names_events(name) -> bool:
    if not isinstance(name, str):
        return False
    if name.endswith(".*"):
        return any(event.startswith(name[:-1]) for event in EVENT_TYPES)
    return name in EVENT_TYPES


def validate_event_types(value) -> None:
    """A list of event names (``order.placed``), or of families (``order.*``), each
    of which the code sends; an empty list is every event."""
    if not isinstance(value, list) or len(value) > 50:
        raise ValidationError(
            'List event names such as "order.placed" or "order.*".',
            code="not_event_list",
        )
    unknown = [repr(str(name)[:40]) for name in value if not _names_events(name)]
    if unknown:
        raise ValidationError(
            "Not an event: %(unknown)s. The events are %(events)s, or a family "
            'such as "order.*" for all of its events.',
            code="unknown_event",
            params={"unknown": ", ".join(unknown), "events": ", ".join(EVENT_TYPES)},
        )


class WebhookEndpoint(models.Model):
    """A subscriber to domain events (order, return, stock, customer), called with a
    signed JSON body; ``event_types`` empty means every event. The URL must lead to a
    public address (checked on save through forms and again at each delivery)."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, validators=[validate_public_url])
    secret = models.CharField(
        max_length=128, help_text="Shared key for the HMAC signature."
    )
    event_types = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_event_types],
        help_text='Event names ("order.placed") or families ("order.*"); '
        "empty for every event.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def wants(self, event_type: str) -> bool:
        """Whether this subscriber takes ``event_type``. A list stored past the
        form's check (by hand, in the database) is read as far as it makes sense:
        what is not a name matches nothing, and never stops an event."""
        wanted = self.event_types if isinstance(self.event_types, list) else [None]
        return not wanted or any(
            isinstance(t, str)
            and (
                event_type == t or (t.endswith(".*") and event_type.startswith(t[:-1]))
            )
            for t in wanted
        )


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    event_type = models.CharField(max_length=60, db_index=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Pending: when the next attempt may start (empty: now). An attempt in progress
    # holds it past its timeout; a refused one sets the back-off.
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        # The worker's claim reads only the pending rows, oldest first: delivered and
        # failed ones (kept for the record) never slow it down as they pile up.
        indexes = [
            models.Index(
                fields=["id"],
                name="webhook_delivery_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self):
        return (
            f"{self.event_type} to {self.endpoint.name} "
            f"({self.get_status_display().lower()})"
        )


class StatusChange(models.Model):
    """One step in the life of an order, a return, ...: from what, to what, who, where,
    when and why. Subclasses add the object's foreign key and ``to_status`` with the
    object's choices."""

    from_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=250, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self):
        return status_step(self._status_choices(), self.from_status, self.to_status)

    @described("from status")
    def get_from_status_display(self) -> str:
        return label_of(self._status_choices(), self.from_status)

    def _status_choices(self):
        return self._meta.get_field("to_status").flatchoices
