"""Invoices and credit notes as PDF, rendered by WeasyPrint from the copy the invoice
keeps, so a document printed again years later is the one that was issued.

WeasyPrint is imported on first use: it loads Pango, which most processes (the web
workers serving the storefront, the outbox) never need.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from omnistore.core.vat import format_vat_number
from orders.models import Invoice


class FetchRefused(ValueError):
    """A document asked for something outside itself."""


def _fetch_nothing(url: str, *args, **kwargs):
    """The documents are whole in their HTML: nothing is fetched while one is drawn
    (no address, no file), whatever text the invoice's copy carries."""
    raise FetchRefused(f"Documents fetch nothing ({url[:80]!r}).")


def css_string(text: str) -> str:
    """``text`` inside a CSS string: every character but letters, digits, spaces
    and plain punctuation written as a CSS escape, so no quote, backslash, line
    break or ``</style>`` ends the string (HTML escaping means nothing there). Each
    escape ends with the space CSS reads as its end, so a space after it stays."""
    plain = set(" .,:;-_/()+#'!?%*")
    return "".join(
        ch if (ch.isalnum() and ord(ch) < 0x80) or ch in plain else f"\\{ord(ch):06x} "
        for ch in text
    )


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def invoice_context(invoice: Invoice) -> dict:
    lines = [
        {**line, **{k: _money(line[k]) for k in ("unit_price", "net", "tax", "gross")}}
        for line in invoice.lines
    ]
    vat = [{k: _money(v) for k, v in row.items()} for row in invoice.vat]
    return {
        "invoice": invoice,
        "title": invoice.get_kind_display(),
        "lines": lines,
        "vat": vat,
        "issued_on": timezone.localdate(invoice.issued_at),
        "seller_vat": format_vat_number(invoice.seller_vat_number),
        "footer": css_string(
            f"{invoice.seller_name} · VAT "
            f"{format_vat_number(invoice.seller_vat_number)} · page "
        ),
        "buyer_vat": format_vat_number(invoice.buyer_vat_number),
    }


def invoice_html(invoice: Invoice) -> str:
    return render_to_string("orders/invoices/invoice.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    """The document as an A4 PDF."""
    from weasyprint import HTML

    return HTML(string=invoice_html(invoice), url_fetcher=_fetch_nothing).write_pdf()


def invoice_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def invoice_response(invoice: Invoice) -> HttpResponse:
    """The PDF as an HTTP answer, shown inline and saved under its number."""
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice)}"'
    return response
