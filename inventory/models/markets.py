"""Markets, their price lists and the legal entities that sell in them."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history import register

from inventory.models.catalog import PRICE_NOT_NEGATIVE, Variant
from omnistore.core.audit import AdminHistory
from omnistore.core.exceptions import ValidationFailed
from omnistore.core.vat import check_vat_number, vat_country


class PriceList(models.Model):
    """Shelf prices (tax included) in one currency. A market without a price list
    sells at the catalogue's own ``Variant.price`` in ``OMNISTORE_CURRENCY``."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.currency})"


class PriceListPrice(models.Model):
    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="prices"
    )
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0, message=PRICE_NOT_NEGATIVE)],
    )

    class Meta:
        ordering = ["price_list_id", "variant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "variant"], name="price_list_price_once"
            ),
            models.CheckConstraint(
                name="price_list_price_not_negative",
                condition=Q(price__gte=0),
                violation_error_message=PRICE_NOT_NEGATIVE,
            ),
        ]

    def __str__(self):
        return (
            f"{self.variant.sku} in {self.price_list.name}: "
            f"{self.price} {self.price_list.currency}"
        )


DELIVERY_FEE_NOT_NEGATIVE = "A delivery fee is zero or more."
THRESHOLD_NOT_NEGATIVE = "A threshold is zero or more (empty: no threshold)."


class Market(models.Model):
    """Countries sold to in one currency at one price list (the EU in EUR,
    Switzerland in CHF). A shop belongs to one; an online order takes the market of
    its delivery country."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3)
    price_list = models.ForeignKey(
        PriceList,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="markets",
        help_text="Empty: the catalogue's own prices.",
    )
    legal_entity = models.ForeignKey(
        "LegalEntity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="markets",
        help_text="Who sells online orders delivered in this market.",
    )
    delivery_fee = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, message=DELIVERY_FEE_NOT_NEGATIVE)],
        help_text="What an online order delivered here pays for delivery, tax "
        "included, in the market's currency (0: delivery is free).",
    )
    free_delivery_from = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=THRESHOLD_NOT_NEGATIVE)],
        help_text="Goods worth this much or more (after discounts) travel free. "
        "Empty: no threshold.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery_fee__gte=0),
                name="market_delivery_fee_not_negative",
                violation_error_message=DELIVERY_FEE_NOT_NEGATIVE,
            ),
            models.CheckConstraint(
                condition=Q(free_delivery_from__isnull=True)
                | Q(free_delivery_from__gte=0),
                name="market_free_delivery_from_not_negative",
                violation_error_message=THRESHOLD_NOT_NEGATIVE,
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.currency})"


class MarketCountry(models.Model):
    """A country belongs to at most one market."""

    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="countries"
    )
    country = models.CharField(max_length=2, unique=True)

    class Meta:
        ordering = ["country"]
        verbose_name_plural = "market countries"

    def __str__(self):
        return self.country


class LegalEntity(models.Model):
    """The company that sells in a shop: its name, address and VAT number are on
    every receipt and invoice. Once documents were issued in its name they stay as
    printed: a new name or address is a new entity the market or shop points to."""

    name = models.CharField(max_length=200)
    address = models.CharField(max_length=250)
    country = models.CharField(max_length=2)
    vat_number = models.CharField(max_length=20)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "legal entities"

    def __str__(self):
        return self.name

    def clean(self):
        """The VAT number printed on receipts and invoices must be a real one of
        the entity's country (checked with python-stdnum, kept compact); every
        model form, the admin's included, runs this."""
        super().clean()
        try:
            self.vat_number = check_vat_number(self.vat_number)
        except ValidationFailed as error:
            raise ValidationError({"vat_number": error.message}) from None
        if not self.vat_number:
            raise ValidationError({"vat_number": "A seller needs its VAT number."})
        if self.country and vat_country(self.vat_number) != self.country.upper():
            raise ValidationError(
                {"vat_number": f"This is not a VAT number of {self.country.upper()}."}
            )


# HQ edits these in the admin: each change is kept on the object's history page (who,
# when, each field before and after), a price's and a seller's included. The history
# models live in ``inventory.models`` with the app's others.
for _model in (PriceList, PriceListPrice, Market, LegalEntity):
    register(_model, app="inventory", manager_name="audit", records_class=AdminHistory)
