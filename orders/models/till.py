"""The cash drawer at a shop counter: registers, their sessions (a shift from the
float to the close) and the append-only ledger of every cash movement.

A session's expected cash is the sum of its ledger; closing compares it with what was
counted and books the difference as a ``close_adjustment``, so the ledger always sums
to the cash that left the drawer at the close. Rows change only through
``orders.services.till``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history import register

from omnistore.core.audit import AdminHistory


class Register(models.Model):
    """One till on one shop device; the device picks it (kept in its session)."""

    location = models.ForeignKey(
        "inventory.Location",
        on_delete=models.PROTECT,
        related_name="registers",
        limit_choices_to={"kind": "shop"},  # a till is at a counter, never a warehouse
    )
    name = models.CharField(max_length=60)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="register_name_per_shop"
            )
        ]

    def __str__(self):
        return self.name


class TillSessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    # No longer reached: a close beyond the tolerance now waits for a manager's
    # approval before it happens (omnistore.approvals). Kept for rows closed so.
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    CLOSED = "closed", "Closed"


class TillSession(models.Model):
    """A shift on one register: opened with a counted float, closed with a count."""

    register = models.ForeignKey(
        Register, on_delete=models.PROTECT, related_name="sessions"
    )
    status = models.CharField(
        max_length=20,
        choices=TillSessionStatus.choices,
        default=TillSessionStatus.OPEN,
    )
    currency = models.CharField(max_length=3)
    opening_float = models.DecimalField(max_digits=12, decimal_places=2)
    opening_count = models.JSONField(default=dict, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    expected_cash = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    counted_cash = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    closing_count = models.JSONField(default=dict, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.CharField(max_length=250, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register"],
                condition=Q(status="open"),
                name="till_one_open_session_per_register",
            ),
            models.CheckConstraint(
                name="till_float_gte_0", condition=Q(opening_float__gte=0)
            ),
            models.CheckConstraint(
                name="till_closed_has_count",
                condition=Q(status="open") | Q(counted_cash__isnull=False),
            ),
        ]

    def __str__(self):
        opened = timezone.localtime(self.opened_at)  # the shop's clock, as pages read
        return f"{self.register} · {opened:%Y-%m-%d %H:%M}"

    @property
    def over_short(self):
        """Counted minus expected: positive is over, negative short."""
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return self.counted_cash - self.expected_cash


class TillMovementKind(models.TextChoices):
    FLOAT = "float", "Opening float"
    SALE = "sale", "Sale"
    REFUND = "refund", "Refund"
    CASH_IN = "cash_in", "Cash in"
    CASH_OUT = "cash_out", "Cash out"
    CLOSE_ADJUSTMENT = "close_adjustment", "Close adjustment"


class TillMovement(models.Model):
    """One change of the cash in a drawer (signed: into the drawer is positive).

    Append-only. A counter sale is booked once, whatever its tenders (the cash part
    is ``amount``, zero for a card sale), so the session knows its orders. Where the
    drawer's smallest coin is above 0.01 (francs: 0.05) the cash part of a sale or a
    refund is rounded to it: ``amount`` is the cash that moved, ``rounding`` what
    that differs from the money owed (signed like ``amount``: a sale of 56.61 taken
    as 56.60 in cash rounds by -0.01), so the order's totals stay exact and the
    drawer's count still balances. Store credit a counter gives for goods brought
    back (a return refunded as credit, an exchange's return) is a refund booked with
    its ledger row (``store_credit``) and no cash: credit never enters the drawer.
    """

    session = models.ForeignKey(
        TillSession, on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(max_length=20, choices=TillMovementKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    tendered = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    change = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rounding = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="till_movements",
    )
    refund = models.ForeignKey(
        "orders.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="till_movements",
    )
    store_credit = models.ForeignKey(
        "orders.StoreCreditTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="till_movements",
        help_text="Store credit given at this counter for goods brought back.",
    )
    reason = models.CharField(max_length=250, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="sale"),
                name="till_sale_booked_once",
            ),
            models.UniqueConstraint(
                fields=["refund"],
                condition=Q(refund__isnull=False),
                name="till_refund_booked_once",
            ),
            models.UniqueConstraint(
                fields=["store_credit"],
                condition=Q(store_credit__isnull=False),
                name="till_store_credit_booked_once",
            ),
            models.CheckConstraint(
                name="till_change_gte_0",
                condition=Q(change__isnull=True) | Q(change__gte=0),
            ),
        ]
        indexes = [models.Index(fields=["session", "kind"], name="till_movement_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


# Registers are set up in the admin: each change is kept on its history page.
register(Register, app="orders", manager_name="audit", records_class=AdminHistory)
