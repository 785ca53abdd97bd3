"""Wishlists: the variants a customer wants, shareable by a link."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models.profile import Customer
from omnistore.core.channels import Channel

WISHLIST_DEFAULT_NAME = "My wishlist"


class WishlistChannel(models.TextChoices):
    WEB = Channel.WEB.value, Channel.WEB.label
    APP = Channel.APP.value, Channel.APP.label
    STORE = Channel.STORE.value, Channel.STORE.label


def new_share_token() -> str:
    return secrets.token_urlsafe(18)


class Wishlist(models.Model):
    """A customer's list of wanted variants; readable by anyone holding its token.

    Archiving hides a list and cuts its link; its items stay for the record. A
    customer merge archives the merged profile's default list once its items joined
    the survivor's (``folded_into``): its link then opens that list.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="wishlists"
    )
    name = models.CharField(max_length=100, default=WISHLIST_DEFAULT_NAME)
    share_token = models.CharField(max_length=40, unique=True, default=new_share_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    folded_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="folded_lists",
        help_text=(
            "The list a customer merge moved this one's items to; this list's "
            "shared link opens that one."
        ),
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="wishlist_folded_is_archived",
                condition=Q(folded_into__isnull=True) | Q(archived_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "created_at"],
                name="wishlist_active_by_customer",
                condition=Q(archived_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.name} of {self.customer}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class WishlistItem(models.Model):
    """One wanted variant; removal stamps ``removed_at`` so the history stays.

    At most one active row per (list, variant): adding it again updates that row.
    ``price_at_add`` is the price the customer saw, the base of price-drop messages.
    """

    wishlist = models.ForeignKey(
        Wishlist, on_delete=models.CASCADE, related_name="items"
    )
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="wishlist_items"
    )
    note = models.CharField(max_length=250, blank=True)
    added_by_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The associate who added it on the customer's behalf.",
    )
    added_at_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_via = models.CharField(max_length=10, choices=WishlistChannel.choices)
    added_at = models.DateTimeField(default=timezone.now)
    price_at_add = models.DecimalField(max_digits=10, decimal_places=2)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wishlist", "variant"],
                name="wishlist_item_active_unique",
                condition=Q(removed_at__isnull=True),
            ),
            models.CheckConstraint(
                name="wishlist_item_price_gte_0", condition=Q(price_at_add__gte=0)
            ),
        ]

    def __str__(self):
        removed = " (removed)" if self.removed_at else ""
        return f"{self.variant}{removed}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None
