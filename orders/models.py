"""One order book for every channel: carts, orders, fulfilments, payments, history.

Rows here change only through ``orders.services``; the admin and the staff UI read them.
Money is Decimal in the order's currency; every status change leaves an
``OrderStatusChange`` row (who, when, from, to, why).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from customers.models import Channel
from omnistore.core.models import StatusChange


class CartStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONVERTED = "converted", "Converted to an order"
    MERGED = "merged", "Merged into another cart"
    ABANDONED = "abandoned", "Abandoned"


# Cart tokens are issued signed: a storefront cart is stored with its first line, and
# until then its token alone (ours, unforged) stands for an empty open cart.
CART_TOKENS = signing.Signer(salt="orders.cart.token")


class Cart(models.Model):
    """A customer's one open cart, or an anonymous one known only by its token.

    An anonymous cart folds into the customer's open cart when its token arrives on a
    signed-in request, so a cart started on the phone is there on the laptop.
    """

    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carts",
    )
    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default="web")
    status = models.CharField(
        max_length=10, choices=CartStatus.choices, default=CartStatus.OPEN
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The order this cart became.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="open", customer__isnull=False),
                name="cart_one_open_per_customer",
            )
        ]
        indexes = [
            models.Index(
                fields=["updated_at"],
                name="cart_open_updated",
                condition=Q(status="open"),
            )
        ]

    def __str__(self):
        return f"Cart {self.pk} ({self.status})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "variant"], name="cart_line_unique_variant"
            ),
            models.CheckConstraint(
                name="cart_line_quantity_gt_0", condition=Q(quantity__gt=0)
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class OrderStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    PICKED = "picked", "Picked"
    READY = "ready", "Ready for pickup"
    COLLECTED = "collected", "Collected"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class FulfilmentMethod(models.TextChoices):
    DELIVERY = "delivery", "Home delivery"
    PICKUP = "pickup", "Click and collect"
    CARRY_OUT = "carry_out", "Carried out in store"


ORDER_FULFILMENT_CHOICES = [*FulfilmentMethod.choices, ("mixed", "Mixed")]


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
    total = models.DecimalField(max_digits=12, decimal_places=2)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    idempotency_scope = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    discount_code = models.CharField(max_length=40, blank=True)
    attributed_campaign_id = models.PositiveBigIntegerField(null=True, blank=True)
    loyalty_points = models.IntegerField(
        default=0, help_text="Points credited for this order (reversed on cancel)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    pickup_code = models.CharField(max_length=12, blank=True)
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
        return self.status == OrderStatus.PLACED


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
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="fulfilment_pickup_has_location",
                condition=~Q(method="pickup") | Q(pickup_location__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["location", "status"], name="fulfilment_source"),
            models.Index(
                fields=["pickup_location", "status"], name="fulfilment_pickup"
            ),
        ]

    def __str__(self):
        return f"{self.order_id}/{self.method}@{self.location_id}"


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

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="order_line_quantity_gt_0", condition=Q(quantity__gt=0)
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


class PaymentMethod(models.TextChoices):
    CARD_ONLINE = "card_online", "Card online"
    CARD_IN_STORE = "card_in_store", "Card in store"
    CASH = "cash", "Cash"
    GIFT_CARD = "gift_card", "Gift card"
    STORE_CREDIT = "store_credit", "Store credit"
    MOBILE_WALLET = "mobile_wallet", "Mobile wallet"


class PaymentStatus(models.TextChoices):
    AUTHORISED = "authorised", "Authorised"
    CAPTURED = "captured", "Captured"
    REFUNDED = "refunded", "Refunded"


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
        return f"{self.method} {self.amount} ({self.status})"

    @property
    def refundable(self):
        return self.amount - self.refunded_amount


class Refund(models.Model):
    """Money given back; ``reference`` is unique so a retried refund pays out once."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
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
            models.CheckConstraint(name="refund_amount_gt_0", condition=Q(amount__gt=0))
        ]

    def __str__(self):
        return f"refund {self.amount} ({self.reference})"


class OrderStatusChange(StatusChange):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    to_status = models.CharField(max_length=10, choices=OrderStatus.choices)


# --- Returns --------------------------------------------------------------------------
#
# A return (RMA) takes back lines of any order from any channel, wherever it lands; the
# refund goes to the original payments (``ReturnRefund`` links each ``Refund``) or to
# the customer's store credit (``StoreCreditTransaction``). Rows change only through
# ``orders.services``.


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Received"
    REFUNDED = "refunded", "Refunded"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class RefundMethod(models.TextChoices):
    ORIGINAL = "original", "Original payment method"
    STORE_CREDIT = "store_credit", "Store credit"


class ReturnReason(models.TextChoices):
    TOO_SMALL = "too_small", "Too small"
    TOO_BIG = "too_big", "Too big"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    DAMAGED = "damaged", "Arrived damaged"
    CHANGED_MIND = "changed_mind", "Changed their mind"
    OTHER = "other", "Other"


class ReturnCondition(models.TextChoices):
    SELLABLE = "sellable", "Sellable"
    DAMAGED = "damaged", "Damaged"


class ReturnDisposition(models.TextChoices):
    RESTOCK = "restock", "Back to sellable stock"
    DAMAGED = "damaged", "Damaged, not sellable"


class Return(models.Model):
    """A return of order lines: requested online or at a counter, received at a shop,
    refunded once. ``code`` is what the customer brings (also as a QR)."""

    code = models.CharField(max_length=12, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    status = models.CharField(
        max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    started_channel = models.CharField(max_length=10, choices=Channel.choices)
    receiving_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The shop where the goods land (set at the counter or on receipt).",
    )
    refund_method = models.CharField(
        max_length=12, choices=RefundMethod.choices, default=RefundMethod.ORIGINAL
    )
    override_reason = models.CharField(
        max_length=250,
        blank=True,
        help_text="Why staff accepted it outside the return window.",
    )
    note = models.CharField(max_length=500, blank=True)
    refund_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    points_reversed = models.IntegerField(default=0)
    exchange_order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Replacement order placed when this return was an exchange.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="return_refund_total_gte_0", condition=Q(refund_total__gte=0)
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="return_customer"),
            models.Index(
                fields=["receiving_location", "status"], name="return_location"
            ),
            models.Index(fields=["status", "created_at"], name="return_status"),
        ]

    def __str__(self):
        return self.code


class ReturnLine(models.Model):
    """Units of one order line coming back; ``amount`` is their share of what was paid."""

    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    note = models.CharField(max_length=250, blank=True)
    condition = models.CharField(
        max_length=10,
        choices=ReturnCondition.choices,
        default=ReturnCondition.SELLABLE,
    )
    disposition = models.CharField(
        max_length=10, choices=ReturnDisposition.choices, blank=True
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="return_line_quantity_gt_0", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="return_line_amount_gte_0", condition=Q(amount__gte=0)
            ),
            models.UniqueConstraint(
                fields=["return_request", "order_line"],
                name="return_line_once_per_return",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_line_id}"


class ReturnStatusChange(StatusChange):
    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="history"
    )
    to_status = models.CharField(max_length=10, choices=ReturnStatus.choices)


class ReturnRefund(models.Model):
    """Which refund paid a return back on which payment: one per (return, payment), so
    a refund submitted twice pays out once."""

    return_request = models.ForeignKey(
        Return, on_delete=models.PROTECT, related_name="refunds"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    refund = models.OneToOneField(
        Refund, on_delete=models.PROTECT, related_name="return_refund"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request", "payment"], name="return_refund_per_payment"
            ),
        ]

    def __str__(self):
        return f"{self.return_request_id}: {self.amount} on payment {self.payment_id}"


class StoreCreditKind(models.TextChoices):
    RETURN = "return", "Return refunded as credit"
    PAYMENT = "payment", "Spent on an order"
    PAYMENT_REFUND = "payment_refund", "Credit payment given back"


class StoreCreditTransaction(models.Model):
    """Store credit ledger: per customer the amounts sum to
    ``Customer.store_credit_balance``. ``reference`` is unique, so crediting a return
    or spending on an order twice changes nothing."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="store_credit_transactions",
    )
    kind = models.CharField(max_length=16, choices=StoreCreditKind.choices)
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Signed: positive credited, negative spent.",
    )
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=250)
    reference = models.CharField(max_length=100, unique=True)
    return_request = models.ForeignKey(
        Return,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="store_credit",
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="store_credit_amount_not_zero", condition=~Q(amount=0)
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "-created_at"], name="store_credit_customer"
            ),
        ]

    def __str__(self):
        return f"{self.amount:+} {self.currency} {self.reason}"


# --- Discount codes -------------------------------------------------------------------
#
# A code prices an order at checkout, online and at the counter alike, so it lives here
# with pricing; the campaigns app creates codes (``campaign_id``) and reads their
# redemptions. ``times_used`` moves only by conditional UPDATEs in ``orders.services``
# (claimed in the order's transaction, given back when the order is cancelled), so the
# database, not a read-then-write, keeps it within ``max_uses``.


class DiscountKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage of the subtotal"
    FIXED = "fixed", "Fixed amount"


class DiscountChannels(models.TextChoices):
    ONLINE = "online", "Online only (web, app, phone)"
    STORE = "store", "In store only"
    BOTH = "both", "Online and in store"


class DiscountCode(models.Model):
    code = models.CharField(
        max_length=40, unique=True, help_text="Upper-case, as customers type it."
    )
    kind = models.CharField(max_length=12, choices=DiscountKind.choices)
    value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="Percent (0–100] for a percentage, an amount for a fixed discount.",
    )
    min_subtotal = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text="Smallest order subtotal the code applies to.",
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text="Orders in all; empty for no limit."
    )
    max_uses_per_customer = models.PositiveIntegerField(
        null=True, blank=True, help_text="Orders per customer; empty for no limit."
    )
    times_used = models.PositiveIntegerField(
        default=0,
        help_text="Orders holding a use now (a cancelled order gives it back).",
    )
    channels = models.CharField(
        max_length=10, choices=DiscountChannels.choices, default=DiscountChannels.BOTH
    )
    active = models.BooleanField(default=True)
    campaign_id = models.PositiveIntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The campaign that gave the code out, if any.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="discount_code_upper_not_blank",
                condition=Q(code=Upper("code")) & ~Q(code=""),
                violation_error_message="Codes are upper-case and not blank.",
            ),
            models.CheckConstraint(
                name="discount_percentage_within_0_100",
                condition=~Q(kind="percentage") | Q(value__gt=0, value__lte=100),
                violation_error_message="A percentage is above 0 and at most 100.",
            ),
            models.CheckConstraint(
                name="discount_fixed_gt_0",
                condition=~Q(kind="fixed") | Q(value__gt=0),
                violation_error_message="A fixed discount is an amount above zero.",
            ),
            models.CheckConstraint(
                name="discount_kind_known",
                condition=Q(kind__in=["percentage", "fixed"]),
            ),
            models.CheckConstraint(
                name="discount_min_subtotal_gte_0",
                condition=Q(min_subtotal__gte=0),
                violation_error_message="The minimum order is zero or more.",
            ),
            models.CheckConstraint(
                name="discount_max_uses_gt_0",
                condition=Q(max_uses__isnull=True) | Q(max_uses__gt=0),
                violation_error_message="A use limit is at least 1 (empty: none).",
            ),
            models.CheckConstraint(
                name="discount_max_uses_per_customer_gt_0",
                condition=Q(max_uses_per_customer__isnull=True)
                | Q(max_uses_per_customer__gt=0),
                violation_error_message="A use limit is at least 1 (empty: none).",
            ),
            models.CheckConstraint(
                name="discount_times_used_within_max",
                condition=Q(times_used__gte=0)
                & (Q(max_uses__isnull=True) | Q(times_used__lte=F("max_uses"))),
                violation_error_message="The code is used more often than that limit.",
            ),
            models.CheckConstraint(
                name="discount_valid_until_after_from",
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                violation_error_message="The end of validity is after its start.",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def uses_left(self) -> int | None:
        if self.max_uses is None:
            return None
        return max(self.max_uses - self.times_used, 0)


class DiscountRedemption(models.Model):
    """One order's use of a code; ``released_at`` is set when the order is cancelled
    and the use goes back to the code."""

    code = models.ForeignKey(
        DiscountCode, on_delete=models.PROTECT, related_name="redemptions"
    )
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="discount_redemption"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discount_redemptions",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="discount_redemption_amount_gte_0", condition=Q(amount__gte=0)
            ),
        ]
        indexes = [
            models.Index(
                fields=["code", "customer"],
                name="discount_redemption_held",
                condition=Q(released_at__isnull=True),
            ),
            models.Index(
                fields=["code", "-created_at"], name="discount_redemption_code"
            ),
        ]

    def __str__(self):
        return f"{self.code_id} on order {self.order_id}"
