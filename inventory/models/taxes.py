"""VAT: the tax class of a product and the rate of each class in each country."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class TaxClass(models.TextChoices):
    """What kind of goods a product is for VAT; each country sets a rate per class
    (``TaxRate``). The EU allows a standard rate, up to two reduced rates and a
    super-reduced one; zero covers zero-rated and exempt goods."""

    STANDARD = "standard", "Standard rate"
    REDUCED = "reduced", "Reduced rate"
    SECOND_REDUCED = "second_reduced", "Second reduced rate"
    SUPER_REDUCED = "super_reduced", "Super-reduced rate"
    ZERO = "zero", "Zero rate or exempt"


RATE_RANGE = "A rate is a percentage from 0 up to, but not including, 100."


class TaxRate(models.Model):
    """The VAT rate of a tax class in a country from ``valid_from`` on. A change of
    rate is a new row from its date, never an edit: an order keeps the rate it was
    sold at on its lines, and the rate on a past date stays answerable."""

    country = models.CharField(max_length=2)
    tax_class = models.CharField(max_length=16, choices=TaxClass.choices)
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        # Below 100 with two decimals: at most 99.99.
        validators=[
            MinValueValidator(0, message=RATE_RANGE),
            MaxValueValidator(Decimal("99.99"), message=RATE_RANGE),
        ],
        help_text="Percent.",
    )
    valid_from = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["country", "tax_class", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "tax_class", "valid_from"],
                name="tax_rate_once_per_day",
            ),
            models.CheckConstraint(
                name="tax_rate_percent",
                condition=Q(rate__gte=0, rate__lt=100),
                violation_error_message=RATE_RANGE,
            ),
        ]

    def __str__(self):
        return (
            f"{self.country} {self.get_tax_class_display()} {self.rate}% "
            f"from {self.valid_from}"
        )
