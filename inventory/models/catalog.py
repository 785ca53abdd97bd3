"""The catalogue: categories, products and the variants that are sold."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from inventory.models.taxes import TaxClass


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Product(models.Model):
    name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True)
    brand = models.CharField(max_length=100, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products"
    )
    active = models.BooleanField(default=True)
    tax_class = models.CharField(
        max_length=16,
        choices=TaxClass.choices,
        default=TaxClass.STANDARD,
        db_default=TaxClass.STANDARD,
        help_text="Decides the VAT rate in each country (see tax rates).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


# Said by a form at the price field, and by the constraint to every other writer.
PRICE_NOT_NEGATIVE = "A price is zero or more."


class Variant(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="variants"
    )
    sku = models.CharField(max_length=64, unique=True)
    barcode = models.CharField(max_length=32, unique=True, null=True, blank=True)
    size = models.CharField(max_length=20, blank=True)
    colour = models.CharField(max_length=40, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0, message=PRICE_NOT_NEGATIVE)],
    )
    weight_grams = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_id", "sku"]
        constraints = [
            models.CheckConstraint(
                name="variant_price_not_negative",
                condition=Q(price__gte=0),
                violation_error_message=PRICE_NOT_NEGATIVE,
            )
        ]

    def __str__(self):
        return f"{self.sku} · {self.name}"

    @property
    def name(self) -> str:
        details = " / ".join(x for x in (self.colour, self.size) if x)
        return f"{self.product.name} ({details})" if details else self.product.name
