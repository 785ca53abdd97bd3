"""Invoices for business customers and credit notes for what is refunded after.

Numbers are gapless per legal entity, kind and year. Taking one locks the series'
``InvoiceCounter`` row (created on first use with an insert that ignores a conflict,
then ``SELECT … FOR UPDATE``) and increments it in the transaction that writes the
invoice: a rolled-back invoice gives its number back, and two requests never share
or skip one. The order row is locked first, so asking twice for one order (a double
click, a retry) returns the same invoice; locks are always taken order → counter.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from customers.models import Customer
from customers.services.timeline import record_event
from omnistore.core.actors import acting_user
from omnistore.core.dates import end_of_day_after
from omnistore.core.exceptions import Conflict
from orders.models import (
    NUMBER_PREFIX,
    Fulfilment,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    Order,
    Return,
    ReturnLine,
    ReturnStatus,
)
from orders.pricing import TaxedAmount, order_delivery
from orders.selectors.invoices import invoice_customer, why_no_invoice
from orders.selectors.receipts import returned_discount, returned_split
from orders.selectors.vat import cancelled_part_lines

from .common import lock_order

EVENT_INVOICE_ISSUED = "invoice_issued"
ZERO = Decimal("0.00")
# An address saved elsewhere with longer lines than checkout takes still fits.
ADDRESS_LENGTH = Invoice._meta.get_field("buyer_address").max_length


def _next_number(legal_entity_id: int, kind: str, year: int) -> tuple[int, str]:
    """The next sequence of a series and its printed number, the counter row locked
    until this transaction ends."""
    InvoiceCounter.objects.bulk_create(
        [InvoiceCounter(legal_entity_id=legal_entity_id, kind=kind, year=year)],
        ignore_conflicts=True,
    )
    counter = InvoiceCounter.objects.select_for_update().get(
        legal_entity_id=legal_entity_id, kind=kind, year=year
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    sequence = counter.last_number
    return sequence, f"{NUMBER_PREFIX[kind]}-{year}-{sequence:06d}"


def _buyer(customer: Customer, order: Order) -> dict:
    """Who the invoice is made out to: the business on the profile, at the first
    address known of ``_buyer_addresses``, so an address on file is never left off
    (with none anywhere the invoice is issued without one)."""
    address = next(
        (found for found in _buyer_addresses(customer, order) if found.get("line1")),
        {},
    )
    parts = [
        address.get("line1", ""),
        address.get("line2", ""),
        f"{address.get('postcode', '')} {address.get('city', '')}",
    ]
    written = ", ".join(p.strip() for p in parts if p.strip())
    return {
        "buyer_name": customer.full_name or str(customer),
        "buyer_company": customer.company_name,
        "buyer_address": written[:ADDRESS_LENGTH],
        "buyer_country": (address.get("country") or "")[:2],
        "buyer_vat_number": customer.vat_number,
    }


ADDRESS_FIELDS = ("line1", "line2", "postcode", "city", "country")


def _buyer_addresses(customer: Customer, order: Order):
    """The buyer's addresses, best first, each read only if the one before is
    missing: the one this order went to, the customer's saved address (the default
    first), the last one another of their orders went to."""
    yield next((f.address for f in order.fulfilments.all() if f.address), {})
    yield (
        customer.addresses.order_by("-is_default", "id").values(*ADDRESS_FIELDS).first()
        or {}
    )
    yield (
        Fulfilment.objects.filter(order__customer=customer, address__has_key="line1")
        .order_by("-order__created_at", "-id")
        .values_list("address", flat=True)
        .first()
        or {}
    )


def _seller(order: Order) -> dict:
    """The seller on record (``why_no_invoice`` refuses an order without one)."""
    entity = order.legal_entity
    return {
        "legal_entity": entity,
        "seller_name": entity.name,
        "seller_address": entity.address,
        "seller_country": entity.country,
        "seller_vat_number": entity.vat_number,
    }


def _vat_rows(rows) -> list[dict]:
    """Net, VAT and gross summed per rate, highest rate first, as text (JSON)."""
    totals: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for rate, net, tax in rows:
        totals[Decimal(rate)][0] += net
        totals[Decimal(rate)][1] += tax
    return [
        {"rate": str(rate), "net": str(net), "tax": str(tax), "gross": str(net + tax)}
        for rate, (net, tax) in sorted(totals.items(), reverse=True)
    ]


def _order_lines(lines) -> list[dict]:
    return [
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "discount": str(line.discount),
            "rate": str(line.tax_rate),
            "net": str(line.net),
            "tax": str(line.tax),
            "gross": str(line.line_total),
        }
        for line in lines
    ]


def _delivery_rows(delivery: list[TaxedAmount]) -> list[dict]:
    return [
        {
            "sku": "",
            "name": "Delivery",
            "quantity": 1,
            "unit_price": str(taxed.gross),
            "discount": str(ZERO),
            "rate": str(taxed.rate),
            "net": str(taxed.net),
            "tax": str(taxed.tax),
            "gross": str(taxed.gross),
        }
        for taxed in delivery
    ]


def _check_request_window(order: Order, now: datetime) -> None:
    """A customer asks for an order's invoice until the end of the local day
    ``OMNISTORE_INVOICE_REQUEST_DAYS`` after it; later a shop issues it."""
    days = settings.OMNISTORE_INVOICE_REQUEST_DAYS
    until = end_of_day_after(order.created_at, days)
    if now > until:
        raise Conflict(
            f"An invoice is asked within {days} days of the order: for this one, "
            "ask a shop.",
            code="invoice_window_closed",
            extra={"invoice_until": timezone.localdate(until).isoformat()},
        )


@transaction.atomic
def issue_invoice(
    *,
    order: Order | int,
    actor=None,
    now: datetime | None = None,
    by_customer: bool = False,
):
    """The invoice of an order for its business customer, numbered in the seller's
    series of the year; asked again, the same invoice. Returns ``(invoice,
    created)``. Returns refunded before the invoice get their credit notes at once,
    so the books show what was sold and what was given back, as do the lines of a
    split delivery's parts cancelled before they left. ``by_customer``: asked by the
    customer, who does so within ``OMNISTORE_INVOICE_REQUEST_DAYS``. Refused
    before any number is taken where ``why_no_invoice`` says why not (an order
    that sold only gift cards, a voucher being taxed when it is spent, has nothing
    to invoice)."""
    now = now or timezone.now()
    order = lock_order(order)
    existing = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if existing is not None:
        return existing, False
    prefetch_related_objects([order], "lines")  # read once, by the check too
    refusal = why_no_invoice(order)
    if refusal is not None:
        raise refusal
    if by_customer:
        _check_request_window(order, now)
    customer = invoice_customer(order)
    seller = _seller(order)
    lines = list(order.lines.all())
    split = order_delivery(order.delivery_fee, lines)
    delivery = [split] if split is not None else []
    year = timezone.localdate(now).year
    sequence, number = _next_number(order.legal_entity_id, InvoiceKind.INVOICE, year)
    invoice = Invoice.objects.create(
        kind=InvoiceKind.INVOICE,
        year=year,
        sequence=sequence,
        number=number,
        order=order,
        currency=order.currency,
        net=sum((line.net for line in lines), ZERO) + sum(d.net for d in delivery),
        tax=sum((line.tax for line in lines), ZERO) + sum(d.tax for d in delivery),
        gross=sum((line.line_total for line in lines), ZERO) + order.delivery_fee,
        lines=_order_lines(lines) + _delivery_rows(delivery),
        vat=_vat_rows(
            [(line.tax_rate, line.net, line.tax) for line in lines]
            + [(d.rate, d.net, d.tax) for d in delivery]
        ),
        issued_at=now,
        issued_by=acting_user(actor),
        **seller,
        **_buyer(customer, order),
    )
    _record(invoice, customer, actor, now)
    credit_cancelled_order(
        order=order,
        actor=actor,
        now=now,
        lines=list(cancelled_part_lines().filter(order=order).order_by("id")),
    )
    refunded = Return.objects.filter(
        order=order, status__in=(ReturnStatus.REFUNDED, ReturnStatus.CLOSED)
    ).order_by("id")
    for ret in refunded:
        _credit(ret, invoice, actor=actor, now=now)
    return invoice, True


def _credit(ret: Return, invoice: Invoice, *, actor, now: datetime) -> Invoice:
    existing = Invoice.objects.filter(
        return_request=ret, kind=InvoiceKind.CREDIT_NOTE
    ).first()
    if existing is not None:
        return existing
    year = timezone.localdate(now).year
    kind = InvoiceKind.CREDIT_NOTE
    sequence, number = _next_number(invoice.legal_entity_id, kind, year)
    rows = list(
        ReturnLine.objects.filter(return_request=ret)
        .select_related("order_line")
        .order_by("id")
    )
    splits = [returned_split(row) for row in rows]
    lines = [
        {
            "sku": row.order_line.sku,
            "name": row.order_line.name,
            "quantity": row.quantity,
            "unit_price": str(row.order_line.unit_price),
            "discount": str(returned_discount(row)),
            "rate": str(row.order_line.tax_rate),
            "net": str(net),
            "tax": str(tax),
            "gross": str(row.amount),
        }
        for row, (net, tax) in zip(rows, splits, strict=True)
    ]
    note = Invoice.objects.create(
        kind=kind,
        year=year,
        sequence=sequence,
        number=number,
        order=invoice.order,
        return_request=ret,
        credited_invoice=invoice,
        net=sum((net for net, _ in splits), ZERO),
        tax=sum((tax for _, tax in splits), ZERO),
        gross=sum((row.amount for row in rows), ZERO),
        lines=lines,
        vat=_vat_rows(
            (row.order_line.tax_rate, net, tax)
            for row, (net, tax) in zip(rows, splits, strict=True)
        ),
        issued_at=now,
        issued_by=acting_user(actor),
        **_snapshot(invoice),
    )
    if ret.customer_id:
        _record(note, Customer(pk=ret.customer_id), actor, now)
    return note


def credit_refunded_return(*, return_request: Return, actor=None, now=None) -> None:
    """A refund on an invoiced order gets its credit note in the refund's
    transaction; an order without an invoice needs none (its receipt says it all).
    The order is locked first, as ``issue_invoice`` does."""
    order = lock_order(return_request.order_id)
    invoice = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if invoice is not None:
        _credit(return_request, invoice, actor=actor, now=now or timezone.now())


def credit_cancelled_order(
    *, order: Order, actor=None, now=None, lines=None
) -> Invoice | None:
    """An invoiced order cancelled (and refunded) gets a credit note in the
    cancellation's transaction, so the books do not keep a sale that was given back:
    for its whole invoice, or for ``lines`` (the parts of a split delivery that never
    left; an invoice issued after they were cancelled gets it as it is issued);
    asked again, the same note. The caller holds the order's lock, as
    ``issue_invoice`` takes it."""
    invoice = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if invoice is None or lines == []:
        return None
    existing = Invoice.objects.filter(
        order=order, kind=InvoiceKind.CREDIT_NOTE, return_request__isnull=True
    ).first()
    if existing is not None:
        return existing
    if lines is None:
        amounts = {"net": invoice.net, "tax": invoice.tax, "gross": invoice.gross}
        rows, vat = invoice.lines, invoice.vat
    else:
        amounts = {
            "net": sum((line.net for line in lines), ZERO),
            "tax": sum((line.tax for line in lines), ZERO),
            "gross": sum((line.line_total for line in lines), ZERO),
        }
        rows = _order_lines(lines)
        vat = _vat_rows([(line.tax_rate, line.net, line.tax) for line in lines])
    now = now or timezone.now()
    year = timezone.localdate(now).year
    kind = InvoiceKind.CREDIT_NOTE
    sequence, number = _next_number(invoice.legal_entity_id, kind, year)
    note = Invoice.objects.create(
        kind=kind,
        year=year,
        sequence=sequence,
        number=number,
        order=order,
        credited_invoice=invoice,
        lines=rows,
        vat=vat,
        issued_at=now,
        issued_by=acting_user(actor),
        **amounts,
        **_snapshot(invoice),
    )
    if order.customer_id:
        _record(note, Customer(pk=order.customer_id), actor, now)
    return note


def _snapshot(invoice: Invoice) -> dict:
    """Seller and buyer as the credited invoice names them."""
    return {
        field: getattr(invoice, field)
        for field in (
            "legal_entity_id",
            "currency",
            "seller_name",
            "seller_address",
            "seller_country",
            "seller_vat_number",
            "buyer_name",
            "buyer_company",
            "buyer_address",
            "buyer_country",
            "buyer_vat_number",
        )
    }


def _record(invoice: Invoice, customer: Customer, actor, now: datetime) -> None:
    label = "Credit note" if invoice.is_credit_note else "Invoice"
    record_event(
        customer=customer,
        kind=EVENT_INVOICE_ISSUED,
        summary=f"{label} {invoice.number} issued for order {invoice.order.number}: "
        f"{invoice.gross} {invoice.currency}",
        actor=actor,
        data={"number": invoice.number, "kind": invoice.kind},
        reference_type="order",
        reference_id=invoice.order.number,
        occurred_at=now,
    )
