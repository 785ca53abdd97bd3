"""Invoices from the order page: issue one for a business customer, open its PDF
(both where the order was sold or is fulfilled, as its other documents)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import staff_required
from orders.documents import invoice_response
from orders.selectors.invoices import find_invoice
from orders.services.invoices import issue_invoice
from orders.staff.views.access import acting_order


@staff_required
@require_POST
def invoice_issue(request, number: str):
    """Issue the invoice (or find the one issued); a refusal is a message on the
    order page, with nothing written."""
    order = acting_order(request, number, "documents")
    try:
        invoice, created = issue_invoice(order=order, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        verb = "issued" if created else "was already issued"
        messages.success(request, f"Invoice {invoice.number} {verb}.")
    return redirect("staff:order_detail", order.number)


@staff_required
def invoice_pdf(request, number: str, invoice_number: str):
    """An invoice or credit note of the order, for those who may issue its invoice
    (it names the business buyer): elsewhere 404, as if it did not exist."""
    order = acting_order(request, number, "documents")
    try:
        invoice = find_invoice(order_number=order.number, number=invoice_number)
    except NotFound:
        raise Http404("No such invoice.") from None
    return invoice_response(invoice)
