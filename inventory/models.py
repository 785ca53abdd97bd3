from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history import register

from omnistore.core.audit import AdminHistory
from omnistore.core.exceptions import ValidationFailed
from omnistore.core.vat import check_vat_number, vat_country

from .images import validate_product_image


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


class TaxClass(models.TextChoices):
    """What kind of goods a product is for VAT; each country sets a rate per class
    (``TaxRate``). The EU allows a standard rate, up to two reduced rates and a
    super-reduced one; zero covers zero-rated and exempt goods."""

    STANDARD = "standard", "Standard rate"
    REDUCED = "reduced", "Reduced rate"
    SECOND_REDUCED = "second_reduced", "Second reduced rate"
    SUPER_REDUCED = "super_reduced", "Super-reduced rate"
    ZERO = "zero", "Zero rate or exempt"


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


class Variant(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="variants"
    )
    sku = models.CharField(max_length=64, unique=True)
    barcode = models.CharField(max_length=32, unique=True, null=True, blank=True)
    size = models.CharField(max_length=20, blank=True)
    colour = models.CharField(max_length=40, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    weight_grams = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_id", "sku"]
        constraints = [
            models.CheckConstraint(
                name="variant_price_not_negative", condition=Q(price__gte=0)
            )
        ]

    def __str__(self):
        return f"{self.sku} · {self.name}"

    @property
    def name(self) -> str:
        details = " / ".join(x for x in (self.colour, self.size) if x)
        return f"{self.product.name} ({details})" if details else self.product.name


def _image_path(image: "ProductImage", filename: str) -> str:
    return f"products/{image.product_id}/{filename}"


class ProductImage(models.Model):
    """A picture of a product, or of one variant of it (a colour). ``position`` orders
    them, the first being the product's face; thumbnails are made on upload
    (``inventory.images``)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images"
    )
    variant = models.ForeignKey(
        Variant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="images",
        help_text="Empty: the product as a whole.",
    )
    image = models.ImageField(
        upload_to=_image_path,
        width_field="width",
        height_field="height",
        max_length=200,
        validators=[validate_product_image],
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    alt_text = models.CharField(
        max_length=200, blank=True, help_text="Read out in place of the image."
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["product", "position"], name="product_image_order")
        ]

    def __str__(self):
        return self.alt_text or self.image.name

    def clean(self):
        super().clean()
        if self.variant_id and self.variant.product_id != self.product_id:
            raise ValidationError({"variant": "Not a variant of this product."})

    @property
    def alt(self) -> str:
        return self.alt_text or self.product.name


class TaxRate(models.Model):
    """The VAT rate of a tax class in a country from ``valid_from`` on. A change of
    rate is a new row from its date, never an edit: an order keeps the rate it was
    sold at on its lines, and the rate on a past date stays answerable."""

    country = models.CharField(max_length=2)
    tax_class = models.CharField(max_length=16, choices=TaxClass.choices)
    rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent.")
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
                name="tax_rate_percent", condition=Q(rate__gte=0, rate__lt=100)
            ),
        ]

    def __str__(self):
        return f"{self.country} {self.tax_class} {self.rate}% from {self.valid_from}"


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
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["price_list_id", "variant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "variant"], name="price_list_price_once"
            ),
            models.CheckConstraint(
                name="price_list_price_not_negative", condition=Q(price__gte=0)
            ),
        ]

    def __str__(self):
        return f"{self.variant_id}: {self.price}"


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

    class Meta:
        ordering = ["code"]

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
    every receipt and invoice."""

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
    safety_stock = models.IntegerField(default=0)
    low_stock_threshold = models.IntegerField(default=3)
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
        ]
        indexes = [
            models.Index(fields=["location", "variant"], name="stock_location_variant")
        ]

    def __str__(self):
        return f"{self.variant_id}@{self.location_id}: {self.on_hand}/{self.reserved}"

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
        return f"{self.reason} {self.delta_on_hand:+}/{self.delta_reserved:+}"


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
        return f"{self.quantity} × {self.variant_id}@{self.location_id} ({self.status})"


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
        return f"{self.quantity} × {self.variant_id}"

    @property
    def outstanding(self) -> int:
        return self.quantity_shipped - self.quantity_received


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
        return f"{self.from_status or '-'} → {self.to_status}"


# What the admin edits keeps its history (who, when, each field before and after), shown
# on the object's history page. Stock quantities are the ledger's, not kept here.
for _model in (Category, Product, Variant, Location, ProductImage):
    register(_model, manager_name="audit", records_class=AdminHistory)
register(
    StockLevel,
    manager_name="audit",
    records_class=AdminHistory,
    excluded_fields=["on_hand", "reserved", "updated_at"],
)
