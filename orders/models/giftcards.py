"""Gift cards: a number and a hashed PIN over an append-only balance ledger.

The balance on ``GiftCard`` moves only together with a ``GiftCardTransaction`` row in
the same transaction (``orders.services.giftcards``), by one conditional UPDATE; the
database keeps it at zero or more, so two tills spending the same card at once can
never take it below zero. The ledger rows of a card add up to its balance.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models.orders import Order

# The outbox topic of the email that brings an e-gift card to its recipient.
GIFT_CARD_EMAIL_TOPIC = "orders.gift_card_email"


class GiftCardStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    VOID = "void", "Void"


class GiftCardKind(models.TextChoices):
    PHYSICAL = "physical", "Physical card"
    DIGITAL = "digital", "E-gift card"


class GiftCard(models.Model):
    number = models.CharField(max_length=32, unique=True)
    pin_hash = models.CharField(
        max_length=200, help_text="The PIN, hashed with Django's password hashers."
    )
    kind = models.CharField(
        max_length=10, choices=GiftCardKind.choices, default=GiftCardKind.PHYSICAL
    )
    status = models.CharField(
        max_length=10, choices=GiftCardStatus.choices, default=GiftCardStatus.ACTIVE
    )
    currency = models.CharField(max_length=3)
    market = models.ForeignKey(
        "inventory.Market",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    initial_amount = models.DecimalField(max_digits=12, decimal_places=2)
    balance = models.DecimalField(max_digits=12, decimal_places=2)
    expires_at = models.DateTimeField()
    issued_at = models.DateTimeField(default=timezone.now)
    issued_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gift_cards_sold",
        help_text="The order that sold the card, when it was bought.",
    )
    # An e-gift card is emailed to its recipient on ``send_on``; ``sent_at`` once done.
    recipient_email = models.EmailField(blank=True)
    recipient_name = models.CharField(max_length=100, blank=True)
    # Who gives it, as the buyer wants the recipient to read it (a guest types it;
    # a signed-in buyer without one is named by their first name).
    sender_name = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=500, blank=True)
    send_on = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="gift_card_balance_gte_0", condition=Q(balance__gte=0)
            ),
            models.CheckConstraint(
                name="gift_card_initial_gt_0", condition=Q(initial_amount__gt=0)
            ),
            models.CheckConstraint(
                name="gift_card_void_is_empty",
                condition=~Q(status="void") | Q(balance=0),
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_on"],
                name="gift_card_to_send",
                condition=Q(sent_at__isnull=True) & ~Q(recipient_email=""),
            ),
        ]

    def __str__(self):
        return f"Gift card …{self.last4}"

    @property
    def last4(self) -> str:
        """The number's last four digits: all of it that is shown outside the card's
        own admin page (orders, receipts, the API)."""
        return self.number[-4:]

    @property
    def masked_number(self) -> str:
        return f"•••• {self.last4}"


class GiftCardTxnKind(models.TextChoices):
    ISSUE = "issue", "Issued"
    REDEEM = "redeem", "Spent on an order"
    REFUND = "refund", "Refunded to the card"
    ADJUST = "adjust", "Adjusted"
    VOID = "void", "Voided"
    EXPIRE = "expire", "Expired"


class GiftCardTransaction(models.Model):
    """One movement of a card's balance, signed; ``reference`` is unique, so a
    retried spend or refund books once. Never changed or deleted."""

    card = models.ForeignKey(
        GiftCard, on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(max_length=10, choices=GiftCardTxnKind.choices)
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Signed: positive loaded, negative taken off.",
    )
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=250)
    reference = models.CharField(max_length=100, unique=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approval = models.ForeignKey(
        "approvals.Approval",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="gift_card_txn_amount_not_zero", condition=~Q(amount=0)
            ),
            models.CheckConstraint(
                name="gift_card_txn_balance_after_gte_0",
                condition=Q(balance_after__gte=0),
            ),
        ]
        indexes = [
            models.Index(fields=["card", "created_at"], name="gift_card_txn_card"),
            models.Index(fields=["created_at", "kind"], name="gift_card_txn_period"),
        ]

    def __str__(self):
        return f"{self.amount:+} {self.currency} {self.get_kind_display()}"
