"""Reads of invoices and credit notes: an order's documents, one document by number."""

from __future__ import annotations

from django.db.models import QuerySet

from omnistore.core.exceptions import NotFound
from orders.models import Invoice


def order_invoices(order) -> QuerySet[Invoice]:
    """An order's invoice and credit notes, oldest first."""
    return (
        Invoice.objects.filter(order=order)
        .select_related("order", "credited_invoice")
        .order_by("issued_at", "id")
    )


def find_invoice(*, order_number: str, number: str, customer=None) -> Invoice:
    """One document of an order by its number; with ``customer``, only on their
    orders (others' look unknown)."""
    invoices = Invoice.objects.select_related("order", "credited_invoice").filter(
        order__number=(order_number or "").strip().upper(),
        number=(number or "").strip().upper(),
    )
    if customer is not None:
        invoices = invoices.filter(order__customer=customer)
    invoice = invoices.first()
    if invoice is None:
        raise NotFound("Invoice not found.")
    return invoice
