"""Invoices and credit notes in the admin: listed, filtered by seller, kind and
year, opened as PDF. They are issued only through ``orders.services.invoices`` (the
order list's action, the staff order page, the storefront API)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html

from omnistore.accounts.scoping import PartOfParentInline, ReadOnlyAdmin
from omnistore.core.admin_links import may_open
from omnistore.core.exceptions import ApplicationError
from orders.documents import invoice_response
from orders.models import Invoice
from orders.services.invoices import issue_invoice


def _pdf_link(invoice: Invoice) -> str:
    if not invoice.pk:
        return "—"
    url = reverse("admin:orders_invoice_pdf", args=[invoice.pk])
    return format_html('<a href="{}">{}.pdf</a>', url, invoice.number)


class InvoiceInline(PartOfParentInline):
    model = Invoice
    fk_name = "order"
    fields = ["number", "kind", "issued_at", "gross", "currency", "pdf"]
    readonly_fields = fields

    @admin.display(description="PDF")
    def pdf(self, invoice):
        return _pdf_link(invoice)

    def get_fields(self, request, obj=None):
        """The PDF link only for who may open it (the invoices' view right)."""
        fields = super().get_fields(request, obj)
        if may_open(self.admin_site, request, Invoice):
            return fields
        return [name for name in fields if name != "pdf"]


@admin.action(
    description="Issue invoices for the selected orders (business customers)",
    permissions=["issue_invoice"],
)
def issue_invoices(modeladmin, request, queryset):
    """One invoice per order, each in its own transaction; an order already
    invoiced keeps its invoice, a refusal is reported by its number. Offered to
    who may add invoices (the model admin's ``has_issue_invoice_permission``)."""
    issued = []
    for order in queryset.order_by("id"):
        try:
            invoice, created = issue_invoice(order=order, actor=request.user)
        except ApplicationError as error:
            modeladmin.message_user(
                request, f"{order.number}: {error.message}", level=messages.ERROR
            )
        else:
            if created:
                issued.append(invoice.number)
    if issued:
        modeladmin.message_user(
            request, f"Issued {', '.join(issued)}.", level=messages.SUCCESS
        )


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "kind",
        "legal_entity",
        "order",
        "buyer_company",
        "buyer_vat_number",
        "net",
        "tax",
        "gross",
        "currency",
        "issued_at",
        "pdf",
    ]
    list_select_related = ["legal_entity", "order"]
    list_filter = ["kind", "legal_entity", "year", "currency"]
    search_fields = ["=number", "=order__number", "buyer_company", "buyer_vat_number"]
    date_hierarchy = "issued_at"
    ordering = ["legal_entity_id", "kind", "-year", "-sequence"]
    readonly_fields = ["pdf"]
    exclude = ["lines", "vat"]

    @admin.display(description="PDF")
    def pdf(self, invoice):
        return _pdf_link(invoice)

    def get_urls(self):
        view = self.admin_site.admin_view(self.pdf_view)
        return [
            path("<int:pk>/pdf/", view, name="orders_invoice_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk: int):
        invoice = self.get_object(request, str(pk))
        if invoice is None or not self.has_view_permission(request, invoice):
            raise Http404("No such invoice.")
        return invoice_response(invoice)
