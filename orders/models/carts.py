"""Carts: what a customer (or an anonymous token) means to buy, on any channel."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Q
from django.utils import timezone

from omnistore.core.channels import Channel


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
        who = self.customer if self.customer_id else "a visitor"
        return f"Cart {self.pk} of {who} ({self.get_status_display().lower()})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(default=timezone.now)
    # A price set at the counter for this line (a manager approves a cut beyond
    # OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT); checkout sells at it.
    counter_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    counter_price_reason = models.CharField(max_length=250, blank=True)
    # Who the order line will credit: the associate picked at the counter, or the
    # one whose shared wishlist the line was added from.
    helped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "variant"], name="cart_line_unique_variant"
            ),
            models.CheckConstraint(
                name="cart_line_counter_price_gt_0",
                condition=Q(counter_price__isnull=True) | Q(counter_price__gt=0),
            ),
            models.CheckConstraint(
                name="cart_line_quantity_gt_0", condition=Q(quantity__gt=0)
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant}"
