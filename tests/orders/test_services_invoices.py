"""Invoices through the service: numbered per seller and year without gaps, once per
order, a copy of what was sold; credit notes in their own series for refunds; a
customer without a VAT number gets none and nothing is written."""

import subprocess
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from customers.models import CustomerEvent
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.documents import invoice_pdf
from orders.models import Invoice, InvoiceCounter, InvoiceKind, OrderLine
from orders.services.fulfilment import cancel_order
from orders.services.invoices import issue_invoice
from orders.services.refunds import return_at_counter
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import (
    business,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RATES = {"SHIRT": "22", "BOOK": "4"}


@pytest.fixture
def entity():
    return legal_entity()


@pytest.fixture
def shop(entity):
    return entity_shop(entity)


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


def sale(shop, associate, customer, *lines):
    goods = {
        "SHIRT": item(shop, "Oxford shirt", "SHIRT", "61.00"),
        "BOOK": item(shop, "Cookbook", "BOOK", "20.80"),
    }
    order = counter_sale(
        store=shop,
        lines=[(goods[sku], quantity) for sku, quantity in lines],
        staff=associate,
        customer=customer,
    )
    return tax_as_sold(order, RATES)


def test_an_invoice_copies_seller_buyer_lines_and_vat_per_rate(shop, associate):
    customer = business()
    order = sale(shop, associate, customer, ("SHIRT", 2), ("BOOK", 1))

    invoice, created = issue_invoice(order=order, actor=associate)

    assert created
    year = timezone.localdate().year
    assert invoice.number == f"INV-{year}-000001"
    assert (invoice.kind, invoice.sequence, invoice.year) == ("invoice", 1, year)
    assert invoice.seller_name == "Omnistore Italia S.r.l."
    assert invoice.seller_vat_number == "IT12345670017"
    assert (invoice.buyer_company, invoice.buyer_vat_number) == (
        "Galli Srl",
        "IT00743110157",
    )
    assert (invoice.buyer_name, invoice.buyer_address, invoice.buyer_country) == (
        "Nora Galli",
        "Via Roma 3, 10121 Torino",
        "IT",
    )
    assert invoice.gross == Decimal("142.80")
    assert invoice.net == Decimal("120.00")
    assert invoice.tax == Decimal("22.80")
    assert invoice.vat == [
        {"rate": "22.00", "net": "100.00", "tax": "22.00", "gross": "122.00"},
        {"rate": "4.00", "net": "20.00", "tax": "0.80", "gross": "20.80"},
    ]
    assert [(line["sku"], line["quantity"], line["net"]) for line in invoice.lines] == [
        ("SHIRT", 2, "100.00"),
        ("BOOK", 1, "20.00"),
    ]
    assert invoice.issued_by == associate
    assert CustomerEvent.objects.filter(
        customer=customer, kind="invoice_issued", reference_id=order.number
    ).exists()


def test_asking_again_returns_the_same_invoice_and_takes_no_number(shop, associate):
    order = sale(shop, associate, business(), ("SHIRT", 1))
    first, _ = issue_invoice(order=order, actor=associate)

    again, created = issue_invoice(order=order.pk, actor=None)

    assert not created and again == first
    assert Invoice.objects.count() == 1
    assert InvoiceCounter.objects.get().last_number == 1


def test_numbers_follow_each_other_per_seller_and_start_again_each_year(
    shop, associate
):
    other_entity = legal_entity(name="Omnistore Austria GmbH", vat_number="ATU12345675")
    vienna = entity_shop(other_entity, code="VIE1", name="Wien Mariahilf")
    vienna_staff = StaffFactory(store=vienna)
    customer = business()
    december = timezone.make_aware(datetime(2031, 12, 31, 12))
    january = timezone.make_aware(datetime(2032, 1, 2, 12))

    numbers = [
        issue_invoice(order=sale(shop, associate, customer, ("SHIRT", 1)), now=when)[
            0
        ].number
        for when in (december, december, january)
    ]
    vienna_sale = counter_sale(
        store=vienna,
        lines=[(item(vienna, "Scarf", "SCARF", "24.00"), 1)],
        staff=vienna_staff,
        customer=customer,
    )
    vienna_sale = tax_as_sold(vienna_sale, {"SCARF": "20"})
    austrian, _ = issue_invoice(order=vienna_sale, now=january)

    assert numbers == ["INV-2031-000001", "INV-2031-000002", "INV-2032-000001"]
    assert austrian.number == "INV-2032-000001"
    assert austrian.legal_entity == other_entity


def test_a_customer_without_a_vat_number_gets_no_invoice_and_nothing_is_written(
    shop, associate
):
    order = sale(shop, associate, make_customer(phone="+393339999999"), ("SHIRT", 1))

    with pytest.raises(ValidationFailed) as refused:
        issue_invoice(order=order, actor=associate)

    assert refused.value.code == "vat_number_required"
    assert "vat_number" in refused.value.extra
    assert not Invoice.objects.exists()
    assert not InvoiceCounter.objects.exists()


def test_a_cancelled_order_is_not_invoiced(shop, associate):
    customer = business()
    goods = item(shop, "Oxford shirt", "SHIRT", "61.00")
    from orders.services.checkout import LineRequest, place_order
    from tests.orders.factories import CARD

    order = place_order(
        lines=[LineRequest(goods, 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=shop,
        customer=customer,
        payments=CARD,
    )
    order = tax_as_sold(order, RATES, entity=shop.legal_entity)
    cancel_order(order=order, actor=associate, reason="Changed their mind")

    with pytest.raises(Conflict):
        issue_invoice(order=order, actor=associate)
    assert not Invoice.objects.exists()


def test_an_order_without_a_seller_is_refused_with_a_conflict(shop, associate):
    order = sale(shop, associate, business(), ("SHIRT", 1))
    order.legal_entity = None
    type(order).objects.filter(pk=order.pk).update(legal_entity=None)

    with pytest.raises(Conflict) as refused:
        issue_invoice(order=order, actor=associate)
    assert refused.value.code == "no_legal_entity"


def test_a_refund_on_an_invoiced_order_gets_a_credit_note_in_its_own_series(
    shop, associate
):
    order = sale(shop, associate, business(), ("SHIRT", 2), ("BOOK", 1))
    invoice, _ = issue_invoice(order=order, actor=associate)

    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order, 1, "changed_mind")],
        location=shop,
        actor=associate,
    )
    tax_as_sold(order, RATES)  # the returned line's net and VAT as sold

    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    year = timezone.localdate().year
    assert note.number == f"CN-{year}-000001"
    assert note.return_request == ret and note.credited_invoice == invoice
    assert note.gross == ret.refund_total == Decimal("61.00")
    assert note.lines[0]["sku"] == "SHIRT" and note.lines[0]["quantity"] == 1
    assert note.buyer_vat_number == invoice.buyer_vat_number
    pdf = invoice_pdf(note)
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "credit-note.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-singlefile",
            "credit-note.pdf",
            "credit-note",
        ],
        cwd=ARTIFACTS,
        check=True,
    )


def test_an_invoice_after_a_refund_comes_with_its_credit_note(shop, associate):
    order = sale(shop, associate, business(), ("SHIRT", 2))
    return_at_counter(
        order=order.number,
        lines=[line_request(order, 1, "changed_mind")],
        location=shop,
        actor=associate,
    )
    order = tax_as_sold(order, RATES)

    invoice, _ = issue_invoice(order=order, actor=associate)

    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert note.credited_invoice == invoice
    assert (invoice.gross, note.gross) == (Decimal("122.00"), Decimal("61.00"))
    assert (note.net, note.tax) == (Decimal("50.00"), Decimal("11.00"))


def test_an_order_sold_before_vat_was_recorded_is_not_invoiced(shop, associate):
    order = sale(shop, associate, business(), ("SHIRT", 1))
    OrderLine.objects.filter(order=order).update(net=0, tax=0, tax_rate=0)

    with pytest.raises(Conflict) as refused:
        issue_invoice(order=order, actor=associate)

    assert refused.value.code == "no_vat_recorded"
    assert not Invoice.objects.exists() and not InvoiceCounter.objects.exists()


def test_amounts_whose_sum_is_inexact_in_binary_are_invoiced(shop, associate):
    """59.90 at 22 %: net 49.10 and VAT 10.80, which do not add up to 59.90 in
    binary floating point (SQLite's arithmetic): the invoice is issued all the same."""
    chino = item(shop, "Chino", "CHINO", "59.90")
    order = counter_sale(
        store=shop, lines=[(chino, 1)], staff=associate, customer=business()
    )
    order = tax_as_sold(order, {"CHINO": "22"})

    invoice, created = issue_invoice(order=order, actor=associate)

    assert created
    assert (invoice.net, invoice.tax, invoice.gross) == (
        Decimal("49.10"),
        Decimal("10.80"),
        Decimal("59.90"),
    )
    assert Invoice.objects.filter(order=order, gross=Decimal("59.90")).count() == 1


def test_the_database_refuses_an_invoice_whose_gross_is_off_by_a_cent(shop, associate):
    order = sale(shop, associate, business(), ("BOOK", 1))
    invoice, _ = issue_invoice(order=order, actor=associate)

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(gross=F("gross") + Decimal("0.01"))

    invoice.refresh_from_db()
    assert invoice.gross == invoice.net + invoice.tax
