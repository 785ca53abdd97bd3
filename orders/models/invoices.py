"""Invoices and credit notes for business customers.

Each legal entity numbers its invoices per year without gaps, and its credit notes in
a series of their own: ``InvoiceCounter`` holds the last number of a series and is
locked while the next one is taken, so concurrent requests get consecutive numbers.
An invoice keeps a copy of what it says (seller, buyer, lines, VAT per rate): the
document stays the same when a profile or a shop changes later. Rows are written
only by ``orders.services.invoices``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models.orders import Order
from orders.models.returns import Return


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


# What an invoice number starts with, per series: INV-2026-000001, CN-2026-000001.
HALF_CENT = Decimal("0.005")
NUMBER_PREFIX = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


class InvoiceCounter(models.Model):
    """The last number given in one series: a legal entity, a kind, a year."""

    legal_entity = models.ForeignKey(
        "inventory.LegalEntity", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["legal_entity_id", "kind", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "kind", "year"], name="invoice_counter_once"
            ),
        ]

    def __str__(self):
        return f"{self.legal_entity_id} {self.kind} {self.year}: {self.last_number}"


class Invoice(models.Model):
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    legal_entity = models.ForeignKey(
        "inventory.LegalEntity", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=30)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    return_request = models.ForeignKey(
        Return,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text="The refunded return a credit note gives back.",
    )
    credited_invoice = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    currency = models.CharField(max_length=3)
    net = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    gross = models.DecimalField(max_digits=12, decimal_places=2)
    seller_name = models.CharField(max_length=200)
    seller_address = models.CharField(max_length=250)
    seller_country = models.CharField(max_length=2)
    seller_vat_number = models.CharField(max_length=20)
    # Each as long as what fills it: the customer's full name (first and last, 100
    # each) or, without one, their email (254); the company name (200); the address
    # lines, postcode and city joined (250 + 250 + 20 + 100 and separators).
    buyer_name = models.CharField(max_length=254)
    buyer_company = models.CharField(max_length=200, blank=True)
    buyer_address = models.CharField(max_length=625, blank=True)
    buyer_country = models.CharField(max_length=2, blank=True)
    buyer_vat_number = models.CharField(max_length=20)
    lines = models.JSONField(
        default=list, help_text="Lines as invoiced: sku, name, quantity, amounts, rate."
    )
    vat = models.JSONField(default=list, help_text="Net, VAT and gross per rate.")
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["issued_at", "id"]  # an order's invoice, then its credit notes
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "kind", "year", "sequence"],
                name="invoice_number_once_per_series",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="invoice"),
                name="invoice_once_per_order",
            ),
            models.UniqueConstraint(
                fields=["return_request"],
                condition=Q(kind="credit_note"),
                name="credit_note_once_per_return",
            ),
            # A cancelled order's credit note (for its whole invoice) has no return.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="credit_note", return_request__isnull=True),
                name="credit_note_once_per_cancelled_order",
            ),
            models.CheckConstraint(
                name="invoice_sequence_gt_0", condition=Q(sequence__gt=0)
            ),
            # Equal to the cent: the columns hold cents, so within half a cent is
            # equality on PostgreSQL, and SQLite's binary arithmetic (49.10 + 10.80
            # is not 59.90 there) does not refuse a true invoice.
            models.CheckConstraint(
                name="invoice_gross_is_net_plus_tax",
                condition=Q(
                    gross__gt=models.F("net") + models.F("tax") - HALF_CENT,
                    gross__lt=models.F("net") + models.F("tax") + HALF_CENT,
                ),
            ),
        ]
        indexes = [models.Index(fields=["number"], name="invoice_number")]

    def __str__(self):
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE
