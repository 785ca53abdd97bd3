"""Messages between a customer and an associate: one thread per customer and
associate, every message in and out kept with who wrote it, when and on which
channel. A message is never deleted; erasure blanks its text."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class MessageChannel(models.TextChoices):
    API = "api", "Website or app"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class MessageDirection(models.TextChoices):
    IN = "in", "From the customer"
    OUT = "out", "To the customer"


class Conversation(models.Model):
    """The thread of one customer with one associate, at the associate's shop (its
    store manager reads it too). New messages go to the newest thread of the pair."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="conversations"
    )
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(
                fields=["associate", "-last_message_at"], name="conversation_inbox"
            ),
            models.Index(
                fields=["location", "-last_message_at"], name="conversation_shop"
            ),
            models.Index(fields=["customer", "associate"], name="conversation_pair"),
        ]

    def __str__(self):
        return f"Conversation #{self.pk}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=MessageDirection.choices)
    channel = models.CharField(max_length=5, choices=MessageChannel.choices)
    body = models.TextField()
    wishlist_item = models.ForeignKey(
        "customers.WishlistItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The wishlist item the customer asked about.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The associate who replied, or the customer's login.",
    )
    sent_to = models.CharField(
        max_length=254, blank=True, help_text="Address or number a reply went to."
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["conversation"],
                name="message_unread",
                condition=Q(direction="in", read_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="message_reply_not_by_api",
                condition=Q(direction="in") | ~Q(channel="api"),
            ),
        ]

    def __str__(self):
        return f"{self.direction} {self.channel} #{self.pk}"
