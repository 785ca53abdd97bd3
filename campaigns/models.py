"""Segments, campaigns (broadcasts and automations) and the messages they send.

An automation is a campaign with a trigger (abandoned cart, post-purchase, win-back,
back in stock, price drop, viewed several times and not bought): it shares templates, messages, tracking and reports with
broadcasts. A message is one row per (campaign, customer, channel, trigger); the unique
constraint on that key is what makes every send, resend and automation run idempotent.

Back in stock is fed by the inventory's ``stock_changed`` signal: a changed
(variant, shop) of a wishlisted variant becomes a ``StockWatch`` row; the automation run
looks at those, compares the units now with the units last seen (``StockSnapshot``) and
records each return from nothing as a ``Restock``, which the automation messages.

A price drop is measured in the wisher's market: the catalogue's price against the
item's ``price_at_add``, or a price list's against the price it had when the item was
added, read back from the ``PriceChange`` rows the inventory's ``list_prices_changed``
signal leaves.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history import register

from campaigns.channels import MessageChannel
from campaigns.rendering import template_errors
from campaigns.rules import rule_errors
from omnistore.core.audit import BASELINE_REASON, AdminHistory
from omnistore.core.labels import described, label_of, status_step


class Segment(models.Model):
    """A saved audience: ``rules`` is data in the rule language of ``rules.py``,
    compiled to one SQL query over live customers whenever it is used."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    rules = models.JSONField(
        default=dict,
        help_text=(
            'Groups {"all": [...]}, {"any": [...]}, {"not": rule}; leaves '
            '{"field": ..., "op": ..., "value": ...}. See the field list below.'
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = rule_errors(self.rules)
        if errors:
            raise ValidationError({"rules": errors})


class CampaignKind(models.TextChoices):
    BROADCAST = "broadcast", "Broadcast"
    ABANDONED_CART = "abandoned_cart", "Abandoned cart"
    POST_PURCHASE = "post_purchase", "Post-purchase follow-up"
    WIN_BACK = "win_back", "Win-back"
    BACK_IN_STOCK = "back_in_stock", "Back in stock (wishlist)"
    PRICE_DROP = "price_drop", "Price drop (wishlist)"
    VIEWED_NOT_BOUGHT = "viewed_not_bought", "Viewed several times, not bought"


AUTOMATION_KINDS = frozenset(
    {
        CampaignKind.ABANDONED_CART,
        CampaignKind.POST_PURCHASE,
        CampaignKind.WIN_BACK,
        CampaignKind.BACK_IN_STOCK,
        CampaignKind.PRICE_DROP,
        CampaignKind.VIEWED_NOT_BOUGHT,
    }
)


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"
    ACTIVE = "active", "Active (automation)"
    PAUSED = "paused", "Paused (automation)"


class Campaign(models.Model):
    name = models.CharField(max_length=150)
    kind = models.CharField(
        max_length=20, choices=CampaignKind.choices, default=CampaignKind.BROADCAST
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="Audience; required for broadcasts, narrows an automation if set.",
    )
    channels = models.JSONField(
        default=list, help_text='Channels to send on, e.g. ["email", "sms"].'
    )
    discount_code = models.CharField(max_length=40, blank=True)
    featured_variants = models.ManyToManyField(
        "inventory.Variant",
        blank=True,
        related_name="+",
        help_text="Shown with the stock at each customer's preferred store.",
    )
    send_at = models.DateTimeField(null=True, blank=True)
    trigger_after = models.DurationField(
        null=True,
        blank=True,
        help_text=(
            "Automations: wait after the trigger (cart left, order paid, last order, "
            "item back in stock, last view of a product; for a price drop, time the "
            "item has been wished). "
            "'4:00:00' is four hours, '90 00:00:00' ninety days."
        ),
    )
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="A send in progress holds the campaign until then.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_at"],
                name="campaign_due",
                condition=Q(status__in=["scheduled", "sending"]),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_automation(self) -> bool:
        return self.kind in AUTOMATION_KINDS

    def clean(self):
        """Each error at a field an editor sets: the status moves only through the
        lifecycle services, so a kind that does not fit it is the kind's error."""
        errors: dict[str, list[str]] = {}
        channels = self.channels
        if not isinstance(channels, list) or not channels:
            errors["channels"] = ["Choose at least one channel."]
        else:
            unknown = [c for c in channels if c not in MessageChannel.values]
            if unknown:
                errors["channels"] = [
                    f"Unknown channel(s): {', '.join(map(str, unknown))}; use "
                    f"{', '.join(MessageChannel.values)}."
                ]
            elif len(set(channels)) != len(channels):
                errors["channels"] = ["Each channel once."]
        if self.kind == CampaignKind.BROADCAST:
            if self.segment_id is None:
                errors["segment"] = ["A broadcast needs a segment."]
            if self.trigger_after is not None:
                errors["trigger_after"] = ["Only automations wait for a trigger."]
            if self.status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
                errors["kind"] = [
                    "An automation once activated stays an automation: make a new "
                    "broadcast instead."
                ]
        else:
            if self.trigger_after is None or self.trigger_after.total_seconds() <= 0:
                errors["trigger_after"] = ["Say how long to wait after the trigger."]
            if self.status not in (
                CampaignStatus.DRAFT,
                CampaignStatus.ACTIVE,
                CampaignStatus.PAUSED,
            ):
                errors["kind"] = [
                    "A broadcast once scheduled stays a broadcast: make a new "
                    "automation instead."
                ]
        if errors:
            raise ValidationError(errors)


class MessageTemplate(models.Model):
    """Subject (email subject, push title) and body for one channel of a campaign,
    in Django template syntax over a restricted context (see ``rendering.py``).
    Messages keep no copy of their text: each version of a template is kept (who,
    when, the text before), so what a message said on its day is the version of
    its campaign's template for its channel then."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="templates"
    )
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()

    class Meta:
        ordering = ["campaign_id", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel"], name="campaign_template_per_channel"
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} message"

    def clean(self):
        errors = template_errors(
            channel=self.channel, subject=self.subject, body=self.body
        )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def written_then(cls, *, campaign_id: int, channel: str, when) -> tuple | None:
        """(subject, body) of the campaign's message for ``channel`` as it read at
        ``when``: the latest version kept by then; before the first one, its text if
        that first version is the text as it was (kept before a first change) or as
        it was removed (never changed before); with no version at all, the text as
        it is. None: no message was written then."""
        versions = cls.audit.filter(campaign_id=campaign_id, channel=channel)
        kept = (
            versions.filter(history_date__lte=when)
            .order_by("-history_date", "-history_id")
            .first()
        )
        if kept is None:
            first = versions.order_by("history_date", "history_id").first()
            if first is not None and first.history_type == "-":
                return first.subject, first.body  # as it read until it was removed
            if first is not None and first.history_change_reason != BASELINE_REASON:
                return None
            kept = (
                first
                or cls.objects.filter(campaign_id=campaign_id, channel=channel).first()
            )
        if kept is None or getattr(kept, "history_type", "~") == "-":
            return None
        return kept.subject, kept.body


class CampaignStatusChange(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="history"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, choices=CampaignStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return status_step(CampaignStatus, self.from_status, self.to_status)

    @described("from status")
    def get_from_status_display(self) -> str:
        return label_of(CampaignStatus, self.from_status)


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (no consent at send time)"


class Message(models.Model):
    """One message to one customer on one channel. Providers get the message id as
    their client reference, so a delivery receipt finds its row by that id."""

    # No single-column indexes: the unique constraint's index leads with the
    # campaign, ``message_click`` with the customer (fewer indexes, faster sends).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    trigger_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text=(
            "What fired an automation (cart:12, order:34, restock:<variant>:<n>, "
            "drop:<variant>:<currency>:<price>, viewed:<product>:<last view>); "
            "empty for broadcasts."
        ),
    )
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    last_clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "channel", "trigger_key"],
                name="message_once_per_trigger",
            )
        ]
        indexes = [
            models.Index(
                fields=["campaign", "id"],
                name="message_queued",
                condition=Q(status="queued"),
            ),
            models.Index(fields=["customer", "last_clicked_at"], name="message_click"),
            models.Index(fields=["customer", "opened_at"], name="message_open"),
        ]

    def __str__(self):
        return (
            f"{self.get_channel_display()} to {self.customer} "
            f"({self.get_status_display().lower()})"
        )


# --- Back in stock ------------------------------------------------------------------


class StockWatch(models.Model):
    """A wishlisted variant whose stock moved at a location, waiting to be looked at.

    Written after the stock change committed, one row per pair however often it moved
    (``ON CONFLICT DO NOTHING``); the automation run deletes the rows it takes before
    reading the stock, so a change committed meanwhile leaves a row of its own.
    """

    # The unique constraint's index leads with the variant.
    variant = models.ForeignKey(
        "inventory.Variant",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    location = models.ForeignKey(
        "inventory.Location", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "stock watches"
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "location"], name="stock_watch_once"
            )
        ]

    def __str__(self):
        return f"{self.variant} at {self.location.name}"


class StockSnapshot(models.Model):
    """Units of a wishlisted variant last seen online (no location: every active
    location shipping online orders, less safety stock) or at one shop; the base that
    tells a return from nothing from a mere top-up. ``units`` is empty until seen."""

    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.CASCADE, related_name="+"
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    units = models.IntegerField(null=True, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "location"],
                name="stock_snapshot_at_shop",
                condition=Q(location__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["variant"],
                name="stock_snapshot_online",
                condition=Q(location__isnull=True),
            ),
        ]

    def __str__(self):
        where = f"at {self.location.name}" if self.location_id else "online"
        units = "not seen yet" if self.units is None else f"{self.units} units"
        return f"{self.variant} {where}: {units}"


class Restock(models.Model):
    """A wishlisted variant came back from nothing: online (no location) or at a shop.

    ``number`` counts the variant's restocks; the rows of one look share it, so a
    customer who hears of both (online and at the preferred shop) is messaged once.
    """

    variant = models.ForeignKey(
        "inventory.Variant",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # ``restock_by_variant`` leads with it
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    number = models.PositiveIntegerField()
    units = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["variant", "at"], name="restock_by_variant")]

    def __str__(self):
        where = f"at {self.location.name}" if self.location_id else "online"
        return f"{self.variant} back {where} (restock {self.number})"


class PriceChange(models.Model):
    """A variant's price in a price list changed (``was`` and ``price`` None: not on
    the list before, or no longer). The price a wisher of a market selling at that list
    saw when adding the item is the ``was`` of the first change after it, else the
    price now: one saw at 100, raised to 120 and cut back to 100 saw no drop."""

    price_list = models.ForeignKey(
        "inventory.PriceList",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # ``price_change_by_price`` leads with it
    )
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.CASCADE, related_name="+"
    )
    was = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(
                fields=["price_list", "variant", "at"], name="price_change_by_price"
            )
        ]

    def __str__(self):
        return f"{self.variant_id} in {self.price_list_id}: {self.was} → {self.price}"


# Segments, campaigns and their messages are written in the admin: each change is kept
# on the object's history page (a campaign's status moves are its status history as
# well; its messages' versions are listed on its page).
register(Segment, manager_name="audit", records_class=AdminHistory)
register(MessageTemplate, manager_name="audit", records_class=AdminHistory)
register(
    Campaign,
    manager_name="audit",
    records_class=AdminHistory,
    excluded_fields=["updated_at", "lease_until"],
)
