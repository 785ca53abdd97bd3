"""Stock: the level of each variant at each location, its append-only ledger and
the reservations held against it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from inventory.models.catalog import Variant
from inventory.models.locations import Location

MOST_UNITS = 1_000_000  # more than any shop or warehouse holds of one item


class StockLevel(models.Model):
    """Quantities of one variant at one location; ``available = on_hand - reserved``.

    Changed only by ``inventory.services``, always together with a StockMovement row.
    """

    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="stock_levels"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    # Set by managers in the admin: a form refuses what the database would (at the
    # field, in words), and the database holds the line for every other writer.
    safety_stock = models.IntegerField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MOST_UNITS)],
        help_text="Units kept back from online sale and click and collect.",
    )
    low_stock_threshold = models.IntegerField(
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(MOST_UNITS)],
        help_text="A notice opens when what can be sold falls to this many units.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location_id", "variant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "location"], name="stock_level_unique"
            ),
            models.CheckConstraint(
                name="stock_on_hand_gte_0", condition=Q(on_hand__gte=0)
            ),
            models.CheckConstraint(
                name="stock_reserved_gte_0", condition=Q(reserved__gte=0)
            ),
            models.CheckConstraint(
                name="stock_reserved_lte_on_hand",
                condition=Q(reserved__lte=F("on_hand")),
            ),
            models.CheckConstraint(
                name="stock_safety_gte_0", condition=Q(safety_stock__gte=0)
            ),
            models.CheckConstraint(
                name="stock_threshold_gte_0", condition=Q(low_stock_threshold__gte=0)
            ),
        ]
        indexes = [
            models.Index(fields=["location", "variant"], name="stock_location_variant")
        ]

    def __str__(self):
        """Read with the variant's product and the location (lists select them)."""
        return f"{self.variant.sku} {self.variant.product.name} at {self.location.name}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def free(self) -> int:
        """Units that may still be promised: see ``free_units``."""
        return self.on_hand - self.reserved - self.safety_stock

    @property
    def is_low(self) -> bool:
        return self.available <= self.low_stock_threshold


def free_units(prefix: str = ""):
    """Units of a stock level that may still be promised to a new order: on hand, less
    what is held for orders, less the safety stock kept back. The one definition of
    free stock; ``prefix`` reaches it across a relation (``"stock_levels__"``)."""
    return F(f"{prefix}on_hand") - F(f"{prefix}reserved") - F(f"{prefix}safety_stock")


def free_units_sql(alias: str) -> str:
    """``free_units`` for hand-written SQL over ``inventory_stocklevel AS alias``."""
    return f"{alias}.on_hand - {alias}.reserved - {alias}.safety_stock"


class MovementReason(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    SALE = "sale", "Sale"
    RESERVATION = "reservation", "Reservation"
    RELEASE = "release", "Release"
    PICKUP = "pickup", "Pickup"
    SHIPMENT = "shipment", "Shipment"
    RETURN_RESTOCK = "return_restock", "Return restock"
    DAMAGE = "damage", "Damage"
    ADJUSTMENT = "adjustment", "Adjustment"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    COUNT = "count", "Count"


class StockMovement(models.Model):
    """Append-only ledger: the sum of deltas per (variant, location) equals the level."""

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    delta_on_hand = models.IntegerField(default=0)
    delta_reserved = models.IntegerField(default=0)
    reason = models.CharField(max_length=20, choices=MovementReason.choices)
    reference_type = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=250, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["variant", "location"], name="movement_variant_location"
            ),
            models.Index(
                fields=["reference_type", "reference_id"], name="movement_reference"
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_reason_display()}: {self.variant.sku} at {self.location.name} "
            f"({self.delta_on_hand:+} on hand, {self.delta_reserved:+} reserved)"
        )


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RELEASED = "released", "Released"
    CONSUMED = "consumed", "Consumed"


class Reservation(models.Model):
    """Stock held at a location for an order line, a transfer or a checkout hold."""

    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="reservations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="reservations"
    )
    quantity = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10,
        choices=ReservationStatus.choices,
        default=ReservationStatus.ACTIVE,
    )
    reference_type = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="reservation_quantity_gt_0", condition=Q(quantity__gt=0)
            )
        ]
        indexes = [
            models.Index(
                fields=["reference_type", "reference_id"], name="reservation_reference"
            ),
            models.Index(
                fields=["expires_at"],
                name="reservation_active_expiry",
                condition=Q(status="active"),
            ),
        ]

    def __str__(self):
        return (
            f"{self.quantity} × {self.variant.sku} held at {self.location.name} "
            f"({self.get_status_display().lower()})"
        )


class LowStockNotice(models.Model):
    """A level that fell to or under its threshold, told to its location's staff.

    Opened by the sweep (``inventory.services.low_stock``) when a level it finds low
    has no open notice; resolved when the level is found above its threshold again.
    At most one open notice per level (a database constraint)."""

    level = models.ForeignKey(
        StockLevel, on_delete=models.PROTECT, related_name="low_notices"
    )
    available = models.IntegerField(help_text="Units available when noticed.")
    threshold = models.IntegerField(help_text="The level's threshold when noticed.")
    noticed_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-noticed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["level"],
                condition=Q(resolved_at__isnull=True),
                name="low_stock_notice_one_open",
            ),
            models.CheckConstraint(
                name="low_stock_notice_seen_with_who",
                condition=Q(seen_at__isnull=True) | Q(seen_by__isnull=False),
            ),
        ]

    def __str__(self):
        level = self.level
        return (
            f"Low stock: {level.variant.sku} at {level.location.name}, "
            f"{self.available} available"
        )
