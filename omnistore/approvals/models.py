"""Approvals and the managers' approval PINs.

An ``Approval`` is one request for a manager's yes, from the associate's action to its
end: ``pending`` → ``approved`` → ``used`` (the action went through with it), or
``refused`` / ``expired`` (``decided_at`` of one approved, then expired unused, stays
when the manager said yes), or ``withdrawn`` by the associate who asked (waiting, or
approved and not used yet: ``withdrawn_at`` says when, the manager's decision kept).
A refusal stays on the asking associate's screens, with the manager's note, until
they dismiss it (``seen_at``) or the expiry window has passed since it. It names
what it is for (``kind``, ``subject``, ``amount``) so an approval given for one
refund cannot complete another; one person has one request open (waiting, or
approved and not used) per move at most. It is asked at a shop
(``location``); only a move of no one shop by one who approves at every shop (HQ
voiding a gift card in the admin) has none, recorded as their own. Rows change only
through ``omnistore.approvals.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import MD5
from django.utils import timezone

APPROVE_PERMISSION = "approvals.approve_request"
# The managers' pages of the staff UI (sales, returns, late pickups, stock alerts,
# tills): granted with approving, to the same managers' groups.
MANAGER_PAGES_PERMISSION = "approvals.view_manager_pages"


class ApprovalKind(models.TextChoices):
    REFUND = "refund", "Refund above the limit"
    RETURN_OUTSIDE_WINDOW = "return_outside_window", "Return outside the window"
    RETURN_WITHOUT_RECEIPT = "return_without_receipt", "Return without a receipt"
    PRICE_OVERRIDE = "price_override", "Price override"
    DISCOUNT = "discount", "Discount above the limit"
    TILL_OVER_SHORT = "till_over_short", "Till over/short"
    PICKUP_BY_IDENTITY = "pickup_by_identity", "Pickup without the code"
    GIFT_CARD_VOID = "gift_card_void", "Gift card void"
    DELIVERY_FEE_WAIVER = "delivery_fee_waiver", "Delivery fee waived"
    PICKUP_UNLOCK = "pickup_unlock", "Locked pickup unlocked"
    GIFT_CARD_UNLOCK = "gift_card_unlock", "Locked gift card unlocked"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    APPROVED = "approved", "Approved"
    USED = "used", "Approved and done"
    REFUSED = "refused", "Refused"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Still open: waiting for a manager, or approved and not used yet.
OPEN_STATUSES = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
# What makes two requests the same move: who asked, and all the manager reads.
SAME_MOVE = ("requested_by", "kind", "location", "subject", "summary", "currency")


class ApprovalChannel(models.TextChoices):
    PIN = "pin", "PIN on the asking device"
    QUEUE = "queue", "From the manager's device"
    SELF = "self", "The manager's own action"


class Approval(models.Model):
    kind = models.CharField(max_length=30, choices=ApprovalKind.choices)
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approvals",
        help_text="The shop it was asked at; none for a move of no one shop made by "
        "one who approves at every shop (HQ in the admin), approved by them.",
    )
    subject = models.CharField(
        max_length=80, help_text="What it is for, e.g. return:R-1234 or till:12."
    )
    summary = models.CharField(max_length=250)
    reason = models.TextField(
        blank=True,
        help_text="Why, as asked: the whole of it, as the manager reads it and as a "
        "yes covers it.",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(
        max_length=10, choices=ApprovalChannel.choices, blank=True
    )
    decision_note = models.CharField(max_length=250, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="When the associate who asked withdrew it."
    )
    seen_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the associate who asked dismissed the manager's refusal, "
        "read on their screen.",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        permissions = [
            ("approve_request", "Can approve risky moves at the counter"),
            ("view_manager_pages", "Can see the manager pages of their shops"),
        ]
        indexes = [
            models.Index(fields=["location", "status"], name="approval_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                name="approval_decided_has_decider",
                condition=Q(status__in=["pending", "expired", "withdrawn"])
                | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="approval_withdrawn_has_time",
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
            ),
            models.CheckConstraint(
                name="approval_seen_is_refused",
                condition=Q(seen_at__isnull=True) | Q(status="refused"),
            ),
            models.CheckConstraint(
                name="approval_without_shop_is_own_move",
                condition=Q(location__isnull=False) | Q(channel="self"),
            ),
            # One open request per move of one person: a double tap, a reload or
            # two screens asking at once find it rather than queue a second. The
            # reason by its hash (it has no length limit); with a sum and without
            # one apart, as a missing sum is never equal to another in an index.
            models.UniqueConstraint(
                *SAME_MOVE,
                "amount",
                MD5("reason"),
                name="approval_open_once",
                condition=Q(status__in=OPEN_STATUSES, amount__isnull=False),
            ),
            models.UniqueConstraint(
                *SAME_MOVE,
                MD5("reason"),
                name="approval_open_once_no_sum",
                condition=Q(status__in=OPEN_STATUSES, amount__isnull=True),
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} · {self.subject} · {self.get_status_display()}"
        )


class ApprovalPin(models.Model):
    """A manager's approval PIN, hashed with Django's password hashers. Wrong tries
    are counted here (every server sees them); at the limit the PIN is locked until
    ``locked_until``. Its locks are counted too: locked too often within 24 hours, it
    is held (``held_since``) until HQ lifts it, so guessing cannot go on lock after
    lock. Every try refused is kept in the PIN's history (the admin log): who typed
    it, for which request, when."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_pin"
    )
    pin_hash = models.CharField(max_length=128)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    locks = models.PositiveSmallIntegerField(
        default=0, help_text="Locks since the first counted, toward a hold."
    )
    locks_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The first lock counted; 24 hours later the count starts again.",
    )
    held_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Locked too often within 24 hours: refused, even when right, "
        "until HQ lifts it in the admin.",
    )

    class Meta:
        verbose_name = "approval PIN"
        constraints = [
            models.CheckConstraint(
                name="approval_pin_locks_counted",
                condition=(Q(locks=0) | Q(locks_since__isnull=False))
                & (Q(held_since__isnull=True) | Q(locks__gt=0)),
            ),
        ]

    def __str__(self):
        return f"PIN of {self.user}"
