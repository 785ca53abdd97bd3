"""One order book for every channel: orders, fulfilments, lines, payments, history.

Rows here change only through ``orders.services``; the admin and the staff UI read them.
Money is Decimal in the order's currency; every status change leaves an
``OrderStatusChange`` row (who, when, from, to, why).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from omnistore.core.channels import Channel
from omnistore.core.models import StatusChange
from orders.carriers import Carrier, tracking_url


class OrderStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    PICKED = "picked", "Picked"
    READY = "ready", "Ready for pickup"
    COLLECTED = "collected", "Collected"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The order state machine in one table: the statuses each status may move to (the
# fulfilment services refuse every other move and say which method a forward step
# belongs to). An order may be cancelled only from ``CANCELLABLE_STATUSES``: once its
# goods are handed over or shipped it can only be returned, so only then is what it
# cost kept (the loyalty tier's spend).
ORDER_MOVES: dict[str, frozenset[str]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.PICKED, OrderStatus.CANCELLED}),
    OrderStatus.PICKED: frozenset(
        {OrderStatus.READY, OrderStatus.SHIPPED, OrderStatus.CANCELLED}
    ),
    OrderStatus.READY: frozenset({OrderStatus.COLLECTED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
}
CANCELLABLE_STATUSES = frozenset(
    status for status, moves in ORDER_MOVES.items() if OrderStatus.CANCELLED in moves
)


class FulfilmentMethod(models.TextChoices):
    DELIVERY = "delivery", "Home delivery"
    PICKUP = "pickup", "Click and collect"
    CARRY_OUT = "carry_out", "Carried out in store"


# An order's way to the customer: one method, several (``mixed``), or an e-gift card
# sent by email (nothing to pick or ship).
EMAILED = "emailed"
ORDER_FULFILMENT_CHOICES = [
    *FulfilmentMethod.choices,
    ("mixed", "Mixed"),
    (EMAILED, "Sent by email"),
]


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    placing_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Shop or call centre where an in-store or phone order was taken.",
    )
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Associate who took an assisted sale.",
    )
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    fulfilment_method = models.CharField(
        max_length=10, choices=ORDER_FULFILMENT_CHOICES
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # What the customer paid for delivery (tax included; in ``total``, not in
    # ``subtotal``): the market's fee for an online delivery under its threshold.
    delivery_fee = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, db_default=0
    )
    total = models.DecimalField(max_digits=12, decimal_places=2)
    # The total split into net and VAT (``total`` is gross); the country whose VAT
    # applies and who sold: the shop's for a counter sale or pickup, the delivery
    # country's (OSS) for an online delivery.
    net_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, db_default=0
    )
    tax_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, db_default=0
    )
    tax_country = models.CharField(max_length=2, blank=True, default="", db_default="")
    legal_entity = models.ForeignKey(
        "inventory.LegalEntity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    idempotency_scope = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    # What the keyed request asked for (a digest): the key again with another
    # request is refused instead of answered with this order.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)
    discount_code = models.CharField(max_length=40, blank=True)
    attributed_campaign_id = models.PositiveBigIntegerField(null=True, blank=True)
    loyalty_points = models.IntegerField(
        default=0, help_text="Points credited for this order (reversed on cancel)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    pickup_code = models.CharField(max_length=12, blank=True)
    # Wrong pickup codes typed at the desk; at OMNISTORE_PICKUP_CODE_MAX_FAILURES the
    # order is locked (when, by whose attempt) until a manager unlocks it.
    pickup_code_failures = models.PositiveSmallIntegerField(default=0, db_default=0)
    pickup_locked_at = models.DateTimeField(null=True, blank=True)
    pickup_locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ready_at = models.DateTimeField(null=True, blank=True)
    pickup_expires_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="order_idempotency_per_customer_or_guest",
            ),
            models.CheckConstraint(
                name="order_subtotal_gte_0", condition=Q(subtotal__gte=0)
            ),
            models.CheckConstraint(
                name="order_discount_gte_0", condition=Q(discount_total__gte=0)
            ),
            models.CheckConstraint(name="order_total_gte_0", condition=Q(total__gte=0)),
            models.CheckConstraint(
                name="order_delivery_fee_gte_0", condition=Q(delivery_fee__gte=0)
            ),
            models.CheckConstraint(
                name="order_discount_lte_subtotal",
                condition=Q(discount_total__lte=F("subtotal")),
            ),
            models.CheckConstraint(
                name="order_ready_pickup_has_code",
                condition=~Q(status="ready") | ~Q(pickup_code=""),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="order_customer"),
            models.Index(fields=["status", "created_at"], name="order_status"),
            models.Index(
                fields=["pickup_expires_at"],
                name="order_ready_expiry",
                condition=Q(status="ready"),
            ),
            models.Index(fields=["created_at"], name="order_created"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_cancellable_by_customer(self) -> bool:
        """Not picked yet, and no cash to give back (a till does that, at a shop)."""
        return self.status == OrderStatus.PLACED and not self.holds_cash

    @property
    def holds_cash(self) -> bool:
        """Cash taken for it that was not given back."""
        return any(
            p.method == PaymentMethod.CASH and p.refundable > 0
            for p in self.payments.all()
        )


class FulfilmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PICKED = "picked", "Picked"
    READY = "ready", "Ready for pickup"
    COLLECTED = "collected", "Collected"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Fulfilment(models.Model):
    """The part of an order leaving one source location by one method.

    A pickup sourced away from the pickup shop travels there on ``transfer`` first.
    """

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="fulfilments"
    )
    method = models.CharField(max_length=10, choices=FulfilmentMethod.choices)
    status = models.CharField(
        max_length=10,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.PENDING,
    )
    location = models.ForeignKey(
        "inventory.Location",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the goods are taken from.",
    )
    pickup_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.JSONField(default=dict, blank=True)
    ready_date = models.DateField(null=True, blank=True)
    transfer = models.ForeignKey(
        "inventory.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tracking_reference = models.CharField(max_length=100, blank=True)
    # Who carries the parcel: with its tracking number, where the customer follows
    # it (``tracking_url``).
    carrier = models.CharField(
        max_length=20, choices=Carrier.choices, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the part was cancelled before it left. With its order cancelled it was
    # never sold; with the order gone ahead (a split delivery's parcels not shipped)
    # its lines were sold and then refunded whole at this moment, at their sold net,
    # VAT and gross (``orders.selectors.vat.cancelled_part_lines``).
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="fulfilment_cancelled_has_time",
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="fulfilment_pickup_has_location",
                condition=~Q(method="pickup") | Q(pickup_location__isnull=False),
            ),
            models.CheckConstraint(
                name="fulfilment_carrier_known",
                condition=Q(carrier__in=["", *Carrier.values]),
            ),
        ]
        indexes = [
            models.Index(fields=["location", "status"], name="fulfilment_source"),
            models.Index(
                fields=["pickup_location", "status"], name="fulfilment_pickup"
            ),
        ]

    def __str__(self):
        """Read with its order and locations (the order page's inline selects them):
        a pickup names the shop it is collected at, anything else where it leaves."""
        place = self.pickup_location if self.pickup_location_id else self.location
        return (
            f"Order {self.order.number} · {self.get_method_display().lower()} "
            f"at {place.name}"
        )

    @property
    def tracking_url(self) -> str:
        """Where the customer follows the parcel ("" without a link)."""
        return tracking_url(self.carrier, self.tracking_reference)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    fulfilment = models.ForeignKey(
        Fulfilment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="+"
    )
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=250)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # As sold: ``unit_price``, ``discount`` and ``line_total`` are gross (shelf prices
    # include VAT); ``line_total = net + tax`` at ``tax_rate`` percent.
    tax_class = models.CharField(max_length=16, blank=True, default="", db_default="")
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, db_default=0
    )
    net = models.DecimalField(max_digits=12, decimal_places=2, default=0, db_default=0)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0, db_default=0)
    # The associate who helped sell the line (not always the cashier, who is the
    # order's ``staff_member``); online, the associate whose shared wishlist it came
    # through.
    helped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A price set at the counter (``orders.services.counter_prices``): the shelf
    # price ``unit_price`` replaced, why, and the manager's approval that let it
    # through when one was asked (a manager's own too); none on a line sold at the
    # shelf price.
    shelf_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The shelf price when the price was set at the counter.",
    )
    price_reason = models.CharField(
        max_length=250,
        blank=True,
        default="",
        db_default="",
        help_text="Why the price was set at the counter, as typed then.",
    )
    price_approval = models.ForeignKey(
        "approvals.Approval",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="priced_order_lines",
        help_text="The manager's approval of the price set at the counter.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="order_line_quantity_gt_0", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="order_line_shelf_price_gt_0",
                condition=Q(shelf_price__isnull=True) | Q(shelf_price__gt=0),
            ),
            models.CheckConstraint(
                name="order_line_price_set_has_shelf_price",
                condition=Q(shelf_price__isnull=False)
                | Q(price_reason="", price_approval__isnull=True),
            ),
            models.CheckConstraint(
                name="order_line_price_gte_0", condition=Q(unit_price__gte=0)
            ),
            models.CheckConstraint(
                name="order_line_discount_gte_0", condition=Q(discount__gte=0)
            ),
            models.CheckConstraint(
                name="order_line_total_gte_0", condition=Q(line_total__gte=0)
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


class OrderTaxTotal(models.Model):
    """An order's VAT per rate and class: the sums of its lines at that rate (and
    of its delivery, taxed like its goods), so they add up to the cent."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="tax_totals"
    )
    tax_class = models.CharField(max_length=16)
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    gross = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-rate", "tax_class", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "rate", "tax_class"], name="order_tax_total_once"
            ),
        ]

    def __str__(self):
        return f"{self.rate}% {self.tax_class}: {self.tax}"


class PaymentMethod(models.TextChoices):
    CARD_ONLINE = "card_online", "Card online"
    CARD_IN_STORE = "card_in_store", "Card in store"
    CASH = "cash", "Cash"
    GIFT_CARD = "gift_card", "Gift card"
    STORE_CREDIT = "store_credit", "Store credit"
    MOBILE_WALLET = "mobile_wallet", "Mobile wallet"
    LOYALTY_POINTS = "loyalty_points", "Loyalty points"


class PaymentStatus(models.TextChoices):
    AUTHORISED = "authorised", "Authorised"
    CAPTURED = "captured", "Captured"
    REFUNDED = "refunded", "Refunded"
    # An authorisation let go without taking the money (order cancelled, pickup
    # expired), or one the provider dropped before it was captured.
    RELEASED = "released", "Released"
    LAPSED = "lapsed", "Authorisation lapsed"


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=30)
    provider_reference = models.CharField(max_length=100)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="payment_amount_gt_0", condition=Q(amount__gt=0)
            ),
            models.CheckConstraint(
                name="payment_refunded_within_amount",
                condition=Q(refunded_amount__gte=0)
                & Q(refunded_amount__lte=F("amount")),
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                name="payment_provider_reference_unique",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_method_display()} {self.amount} {self.currency}, "
            f"{self.get_status_display().lower()}"
        )

    @property
    def refundable(self):
        return self.amount - self.refunded_amount


# How the refunds of a cancelled order's payments are referenced
# (``cancel:<order>:<payment>``): a void's money back, as against a return's.
CANCELLATION_REFUND = "cancel:"
# ... and those of the parts of a split delivery cancelled before they left, once
# another parcel had (``cancel-rest:<order>:<payment>``).
PARTS_CANCELLATION_REFUND = "cancel-rest:"


class Refund(models.Model):
    """Money given back; ``reference`` is unique so a retried refund pays out once.
    ``given_as`` is where it went: the payment's own method, or store credit for a
    payment that could not take it back (a gift card void or past its date), which
    every receipt, email and report names it by."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, blank=True, default="", db_default="")
    given_as = models.CharField(
        max_length=20,
        choices=PaymentMethod.choices,
        help_text="Where the money went: the payment's method, or store credit when "
        "the payment could not take it back.",
    )
    reason = models.CharField(max_length=250)
    reference = models.CharField(max_length=100, unique=True)
    provider_reference = models.CharField(max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="refund_amount_gt_0", condition=Q(amount__gt=0)
            ),
            models.CheckConstraint(
                name="refund_given_as_a_tender",
                condition=Q(given_as__in=PaymentMethod.values),
            ),
        ]

    def __str__(self):
        amount = f"{self.amount} {self.currency}".strip()
        return f"Refund of {amount}: {self.reason}"


class OrderStatusChange(StatusChange):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    to_status = models.CharField(max_length=10, choices=OrderStatus.choices)
