"""A month of the VAT ledger never changes once filed: an order cancelled after the
month it was sold in stays in that month's sales, and its cancellation is a refund
per rate (delivery included) in the month of the cancellation, as its credit note
says."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.markets import forget_tax_table
from inventory.models import Market, TaxClass
from orders.models import Invoice, InvoiceKind
from orders.services.fulfilment import cancel_order
from orders.services.invoices import issue_invoice
from tests.orders.factories import delivery_order, stocked, warehouse
from tests.orders.receipt_helpers import VALID_VAT, legal_entity
from tests.orders.returns_helpers import shopper

pytestmark = pytest.mark.django_db

LEDGER = reverse("admin:orders_order_vat_ledger")
HEADER = (
    "seller,seller_vat_number,period,country,rate,tax_class,currency,sales_net,sales_vat,sales_gross,"
    "refunds_net,refunds_vat,refunds_gross,net,vat,gross"
)
SELLER = "Omnistore Italia S.r.l.,IT12345670017,"


def at(moment: str) -> datetime:
    """A moment in the shops' time zone."""
    return datetime.fromisoformat(moment).replace(
        tzinfo=timezone.get_current_timezone()
    )


@pytest.fixture
def delivered_business_order():
    """A studio buys a shirt (45.90, standard) and a cookbook (20.00, reduced) online
    at 23:30 on the last day of November, delivered for 4.90 (taxed like the
    shirt)."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"),
        free_delivery_from=Decimal("100.00"),
        legal_entity=legal_entity(),
    )
    forget_tax_table()
    depot = warehouse()
    shirt = stocked(depot, 5, price="45.90")
    book = stocked(depot, 5, price="20.00", product__tax_class=TaxClass.REDUCED)
    user, customer = shopper("studio@example.com")
    customer.company_name, customer.vat_number = "Studio Rossi", VALID_VAT
    customer.save(update_fields=["company_name", "vat_number"])
    order = delivery_order(
        lines=[(shirt, 1), (book, 1)],
        customer=customer,
        email="studio@example.com",
        now=at("2025-11-30T23:30"),
    )
    yield order
    forget_tax_table()


def ledger(client, start: str, end: str) -> list[str]:
    response = client.get(LEDGER, {"start": start, "end": end, "format": "csv"})
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == HEADER
    return lines[1:]


def test_an_order_cancelled_the_next_month_is_refunded_then_and_november_stays(
    admin_client, delivered_business_order
):
    order = delivered_business_order
    assert order.total == Decimal("70.80")
    invoice, _ = issue_invoice(order=order, now=at("2025-12-01T09:00"))
    november = [
        SELLER + "2025-11,IT,22.00,standard,EUR,41.64,9.16,50.80,0.00,0.00,0.00,"
        "41.64,9.16,50.80",
        SELLER
        + "2025-11,IT,10.00,reduced,EUR,18.18,1.82,20.00,0.00,0.00,0.00,18.18,1.82,20.00",
    ]
    assert ledger(admin_client, "2025-11-01", "2025-12-31") == november

    cancel_order(order=order, by_customer=True, now=at("2025-12-05T10:00"))

    assert ledger(admin_client, "2025-11-01", "2025-12-31") == [
        *november,
        SELLER + "2025-12,IT,22.00,standard,EUR,0.00,0.00,0.00,41.64,9.16,50.80,"
        "-41.64,-9.16,-50.80",
        SELLER + "2025-12,IT,10.00,reduced,EUR,0.00,0.00,0.00,18.18,1.82,20.00,"
        "-18.18,-1.82,-20.00",
    ]
    assert ledger(admin_client, "2025-11-01", "2025-11-30") == november
    # The credit note says what December's refund rows say, delivery included.
    note = Invoice.objects.get(credited_invoice=invoice, kind=InvoiceKind.CREDIT_NOTE)
    assert timezone.localdate(note.issued_at).isoformat() == "2025-12-05"
    assert note.vat == [
        {"rate": "22.00", "net": "41.64", "tax": "9.16", "gross": "50.80"},
        {"rate": "10.00", "net": "18.18", "tax": "1.82", "gross": "20.00"},
    ]
    assert (note.net, note.tax, note.gross) == (
        Decimal("59.82"),
        Decimal("10.98"),
        Decimal("70.80"),
    )


def test_an_order_sold_and_cancelled_in_one_month_nets_to_nothing_there(
    admin_client, delivered_business_order
):
    cancel_order(
        order=delivered_business_order,
        by_customer=True,
        now=at("2025-11-30T23:50"),
    )

    assert ledger(admin_client, "2025-11-01", "2025-12-31") == [
        SELLER + "2025-11,IT,22.00,standard,EUR,41.64,9.16,50.80,41.64,9.16,50.80,"
        "0.00,0.00,0.00",
        SELLER
        + "2025-11,IT,10.00,reduced,EUR,18.18,1.82,20.00,18.18,1.82,20.00,0.00,0.00,0.00",
    ]
