"""An invoiced order cancelled before it left: its payments are refunded and its
invoice is credited in full by a credit note, once, so the books do not keep a sale
that never happened."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Invoice, InvoiceKind
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order
from orders.services.invoices import credit_cancelled_order, issue_invoice
from tests.factories import StaffFactory
from tests.orders.factories import CARD
from tests.orders.receipt_helpers import (
    business,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced():
    shop = entity_shop(legal_entity())
    order = place_order(
        lines=[LineRequest(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=shop,
        customer=business(),
        payments=CARD,
    )
    order = tax_as_sold(order, {"SHIRT": "22"}, entity=shop.legal_entity)
    invoice, _ = issue_invoice(order=order)
    return order, invoice, StaffFactory(store=shop)


def test_cancelling_an_invoiced_order_credits_its_invoice_in_full(invoiced):
    order, invoice, associate = invoiced

    cancel_order(order=order, actor=associate, reason="Out of stock")

    note = Invoice.objects.get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert note.credited_invoice == invoice and note.return_request is None
    assert note.number.startswith("CN-") and note.number.endswith("-000001")
    assert (note.net, note.tax, note.gross) == (invoice.net, invoice.tax, invoice.gross)
    assert note.gross == Decimal("61.00")
    assert note.lines == invoice.lines and note.vat == invoice.vat
    assert note.buyer_vat_number == invoice.buyer_vat_number
    assert credit_cancelled_order(order=order) == note  # asked again, the same
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1


def test_the_database_keeps_one_cancellation_note_per_order(invoiced):
    order, invoice, _ = invoiced
    note = credit_cancelled_order(order=order)

    note.pk, note.sequence, note.number = None, note.sequence + 1, "CN-X"
    with pytest.raises(IntegrityError), transaction.atomic():
        note.save()


def test_the_customer_cancels_in_the_app_and_gets_the_credit_note():
    shop = entity_shop(legal_entity())
    user, _ = shopper("nora@example.com")
    customer = business(email="nora@example.com", user=user)
    order = place_order(
        lines=[LineRequest(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=shop,
        customer=customer,
        payments=CARD,
    )
    tax_as_sold(order, {"SHIRT": "22"}, entity=shop.legal_entity)
    client = api_client_for(user)
    invoice = client.post(f"/api/v1/orders/{order.number}/invoice/").json()

    cancelled = client.post(f"/api/v1/orders/{order.number}/cancel/")

    assert cancelled.status_code == 200, cancelled.json()
    papers = client.get(f"/api/v1/orders/{order.number}/").json()["invoices"]
    assert [(p["kind"], p["credits"]) for p in papers] == [
        ("invoice", None),
        ("credit_note", invoice["number"]),
    ]
    assert papers[1]["gross"] == invoice["gross"] == "61.00"
    assert client.get(papers[1]["pdf"]).status_code == 200
