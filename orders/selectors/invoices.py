"""Reads of invoices and credit notes: an order's documents, one document by number,
and whether an order's invoice can be made out at all."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Customer
from omnistore.core.exceptions import (
    ApplicationError,
    Conflict,
    NotFound,
    ValidationFailed,
)
from orders.models import Invoice, Order, OrderStatus


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


def invoice_customer(order: Order) -> Customer | None:
    """Whom an order's invoice is made out to: its customer, or the one that
    customer was merged into."""
    customer = order.customer
    if customer is not None and customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def why_no_invoice(order: Order) -> ApplicationError | None:
    """Why no invoice can be made out of ``order``, or none when it can: the refusal
    ``issue_invoice`` raises, so the order page offers the invoice only where it
    would be issued and says why elsewhere. A cancelled order has nothing to
    invoice, nor has one that sold only gift cards (a voucher carries no VAT until
    it is spent); an invoice goes to a business (a VAT number on the profile), is
    made out by the seller on record, from lines sold with their VAT. Reads the
    order's lines (no query where they are prefetched) and its customer."""
    if order.status == OrderStatus.CANCELLED:
        return Conflict("A cancelled order has nothing to invoice.", code="cancelled")
    lines = list(order.lines.all())
    if not lines:
        return Conflict(
            "This order sold only gift cards: a gift card carries no VAT until it "
            "is spent, so there is nothing to invoice (the purchases it pays for "
            "are).",
            code="nothing_to_invoice",
        )
    customer = invoice_customer(order)
    if customer is None or not customer.vat_number:
        return ValidationFailed(
            "An invoice is made out to a business: add the VAT number to the "
            "customer's profile first.",
            code="vat_number_required",
            extra={"vat_number": ["Required for an invoice."]},
        )
    if order.legal_entity_id is None:
        return Conflict(
            "This order has no seller on record, so no invoice can be made out.",
            code="no_legal_entity",
        )
    if any(line.net + line.tax != line.line_total for line in lines):
        return Conflict(
            "This order was sold before VAT was recorded on its lines, so no "
            "invoice can be made out from it.",
            code="no_vat_recorded",
        )
    return None
