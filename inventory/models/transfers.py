"""Transfers of stock between locations, their lines and status history."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from inventory.models.catalog import Variant
from inventory.models.locations import Location
from omnistore.core.labels import described, label_of, status_step


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    IN_TRANSIT = "in_transit", "In transit"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


class Transfer(models.Model):
    source = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_out"
    )
    destination = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(
        max_length=20, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    note = models.CharField(max_length=250, blank=True)
    reference_type = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="transfer_source_not_destination",
                condition=~Q(source=F("destination")),
            )
        ]

    def __str__(self):
        return f"T{self.pk:06d}" if self.pk else "new transfer"

    @property
    def units_missing(self) -> int:
        """Units shipped that will not arrive: those still out on a received
        transfer, which was closed short (``close_transfer_short``); 0 on any other.
        Read from ``units_out`` where a list annotated it, else from the lines."""
        if self.status != TransferStatus.RECEIVED:
            return 0
        out = getattr(self, "units_out", None)
        if out is None:
            out = sum(line.missing for line in self.lines.all())
        return out

    @property
    def units_received(self) -> int:
        """Units that arrived: none on a transfer closed short before it shipped
        (``close_unsent_short``). Read from its lines (prefetched on its page)."""
        return sum(line.quantity_received for line in self.lines.all())

    @property
    def status_label(self) -> str:
        """The status as staff read it: one closed short says so, with the units
        that will not arrive, unlike one received in full."""
        if missing := self.units_missing:
            return f"Closed short ({missing} missing)"
        return self.get_status_display()


class TransferLine(models.Model):
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="lines"
    )
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_received = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="transfer_line_qty_gt_0", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="transfer_line_shipped_lte_qty",
                condition=Q(quantity_shipped__lte=F("quantity")),
            ),
            models.CheckConstraint(
                name="transfer_line_received_lte_shipped",
                condition=Q(quantity_received__lte=F("quantity_shipped")),
            ),
            models.UniqueConstraint(
                fields=["transfer", "variant"], name="transfer_line_unique"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant}"

    @property
    def outstanding(self) -> int:
        return self.quantity_shipped - self.quantity_received

    @property
    def missing(self) -> int:
        """Units asked that have not arrived: on a received transfer, those that
        will not come (shipped and lost, or never sent: closed short before
        shipping, ``close_unsent_short``)."""
        return self.quantity - self.quantity_received


class TransferEvent(models.Model):
    """Status history of a transfer: who moved it, when, from what to what."""

    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="events"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return status_step(TransferStatus, self.from_status, self.to_status)

    @described("from status")
    def get_from_status_display(self) -> str:
        return label_of(TransferStatus, self.from_status)

    @described("to status")
    def get_to_status_display(self) -> str:
        return label_of(TransferStatus, self.to_status)
