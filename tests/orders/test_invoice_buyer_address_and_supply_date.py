"""An invoice names the buyer at an address whenever one is known (the one the order
went to, else the one saved on the profile, else the last one another of their
orders went to), and prints the date of supply when it is not the invoice's date
(both in the shops' time zone)."""

from __future__ import annotations

import subprocess
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Address
from inventory.markets import forget_tax_table
from inventory.models import Market
from orders.documents import invoice_pdf
from orders.models import Invoice
from orders.services.invoices import issue_invoice
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import delivery_order, stocked, warehouse
from tests.orders.receipt_helpers import VALID_VAT, entity_shop, item, legal_entity
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

HOME = {
    "name": "Chiara Verdi",
    "line1": "Via Manzoni 4",
    "city": "Bergamo",
    "postcode": "24121",
    "country": "IT",
}


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(
        tzinfo=timezone.get_current_timezone()
    )


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()


@pytest.fixture
def shop():
    return entity_shop(legal_entity())


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop)


@pytest.fixture
def acme():
    """A business customer with a VAT number and no saved address."""
    customer = make_customer(
        email="chiara@example.com", first_name="Chiara", last_name="Verdi"
    )
    customer.company_name, customer.vat_number = "ACME", VALID_VAT
    customer.save(update_fields=["company_name", "vat_number"])
    return customer


def shirt_sale(shop, associate, customer, **kwargs):
    shirt = item(shop, "Oxford shirt", "SHIRT", "61.00")
    return counter_sale(
        store=shop, lines=[(shirt, 1)], staff=associate, customer=customer, **kwargs
    )


def test_a_counter_sale_is_invoiced_at_the_address_an_earlier_order_went_to(
    client, shop, associate, acme
):
    delivery_order(
        lines=[(stocked(warehouse(), 3, price="20.00"), 1)],
        customer=acme,
        address=HOME,
        now=at("2025-03-02T10:00"),
    )
    order = shirt_sale(shop, associate, acme)
    client.force_login(associate)

    client.post(reverse("staff:invoice_issue", args=[order.number]))

    invoice = Invoice.objects.get(order=order)
    assert (invoice.buyer_address, invoice.buyer_country) == (
        "Via Manzoni 4, 24121 Bergamo",
        "IT",
    )
    pdf = client.get(reverse("staff:invoice_pdf", args=[order.number, invoice.number]))
    text = pdf_text(pdf.content)
    assert "Via Manzoni 4, 24121 Bergamo (IT)" in text


@pytest.fixture
def online_seller(shop):
    """The shop's company sells the EU market's online orders."""
    Market.objects.filter(code="EU").update(legal_entity=shop.legal_entity)
    forget_tax_table()
    yield
    forget_tax_table()


@pytest.mark.usefixtures("online_seller")
def test_the_address_the_order_went_to_comes_before_the_saved_one(acme):
    Address.objects.create(
        customer=acme,
        line1="Piazza Duomo 1",
        city="Milano",
        postcode="20121",
        country="IT",
        is_default=True,
    )
    order = delivery_order(
        lines=[(stocked(warehouse(), 3, price="20.00"), 1)],
        customer=acme,
        address={**HOME, "line2": "Scala B"},
    )

    invoice, _ = issue_invoice(order=order)

    assert invoice.buyer_address == "Via Manzoni 4, Scala B, 24121 Bergamo"


def test_the_saved_address_is_used_when_the_order_went_nowhere(shop, associate, acme):
    Address.objects.create(
        customer=acme, line1="Piazza Duomo 1", city="Milano", postcode="20121"
    )
    order = shirt_sale(shop, associate, acme)

    invoice, _ = issue_invoice(order=order)

    assert (invoice.buyer_address, invoice.buyer_country) == (
        "Piazza Duomo 1, 20121 Milano",
        "IT",
    )


def test_a_buyer_without_any_address_on_file_is_still_invoiced(shop, associate, acme):
    order = shirt_sale(shop, associate, acme)

    invoice, created = issue_invoice(order=order)

    assert created and (invoice.buyer_address, invoice.buyer_country) == ("", "")
    text = pdf_text(invoice_pdf(invoice))
    assert "ACME" in text and f"VAT number {VALID_VAT}" in text


def test_an_invoice_issued_days_after_the_sale_prints_its_date_of_supply(
    shop, associate, acme
):
    """Sold at 23:30 on 30 November (Rome), invoiced on 5 December."""
    order = shirt_sale(shop, associate, acme, now=at("2025-11-30T23:30"))

    invoice, _ = issue_invoice(order=order, now=at("2025-12-05T10:00"))

    text = pdf_text(invoice_pdf(invoice))
    assert "05 Dec 2025" in text
    assert "Date of supply" in text and "30 Nov 2025" in text


def test_an_invoice_issued_on_the_day_of_the_sale_prints_one_date(
    shop, associate, acme
):
    """Sold at 00:30 on 1 December (Rome), 23:30 UTC the day before: the same day
    as the invoice, in the shops' time zone."""
    order = shirt_sale(shop, associate, acme, now=at("2025-12-01T00:30"))

    invoice, _ = issue_invoice(order=order, now=at("2025-12-01T18:00"))

    text = pdf_text(invoice_pdf(invoice))
    assert "01 Dec 2025" in text
    assert "Date of supply" not in text and "30 Nov 2025" not in text
