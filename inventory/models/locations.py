"""Warehouses and shops."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from inventory.models.markets import LegalEntity, Market


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", "Warehouse"
    SHOP = "shop", "Shop"


# A form refuses what the database would, at the field and in words; the database
# holds the line for every other writer.
LATITUDE_RANGE = "Latitude must be between -90 and 90."
LONGITUDE_RANGE = "Longitude must be between -180 and 180."


def _within(low: int, high: int, message: str) -> list:
    return [
        MinValueValidator(Decimal(low), message=message),
        MaxValueValidator(Decimal(high), message=message),
    ]


class Location(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=LocationKind.choices)
    address = models.CharField(max_length=250, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="IT")
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=_within(-90, 90, LATITUDE_RANGE)
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=_within(-180, 180, LONGITUDE_RANGE)
    )
    opening_hours = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    sells_in_store = models.BooleanField(default=False)
    click_and_collect = models.BooleanField(default=False)
    ships_online_orders = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    market = models.ForeignKey(
        Market,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="locations",
        help_text="Empty: the market of the location's country.",
    )
    legal_entity = models.ForeignKey(
        LegalEntity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="locations",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="location_latitude_range",
                condition=Q(latitude__gte=-90, latitude__lte=90),
                violation_error_message=LATITUDE_RANGE,
            ),
            models.CheckConstraint(
                name="location_longitude_range",
                condition=Q(longitude__gte=-180, longitude__lte=180),
                violation_error_message=LONGITUDE_RANGE,
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_shop(self) -> bool:
        return self.kind == LocationKind.SHOP
