"""Warehouses and shops."""

from django.db import models
from django.db.models import Q

from inventory.models.markets import LegalEntity, Market


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", "Warehouse"
    SHOP = "shop", "Shop"


class Location(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=LocationKind.choices)
    address = models.CharField(max_length=250, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="IT")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
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
            ),
            models.CheckConstraint(
                name="location_longitude_range",
                condition=Q(longitude__gte=-180, longitude__lte=180),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_shop(self) -> bool:
        return self.kind == LocationKind.SHOP
