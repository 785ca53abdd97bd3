"""The parts of a split delivery cancelled after a parcel left are, in the books,
goods sold and then refunded whole at their sold net, VAT and gross (their share of
the order's discount included), from the moment they were cancelled: an invoice
issued later comes with their credit note, the VAT ledger counts their refund per
rate in the month of the cancellation, and they leave the customer's kept spend.
Invoices and credit notes print each line's discount, so quantity × unit price less
discount is the line's gross."""

from __future__ import annotations

import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from orders.models import Invoice, InvoiceKind
from orders.selectors.reports import returns_rate_by_shop, sales_report
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.invoices import issue_invoice
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.receipt_helpers import business, legal_entity, tax_as_sold
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = pytest.mark.django_db

D = Decimal
LEDGER = reverse("admin:orders_order_vat_ledger")
SELLER = "Omnistore Italia S.r.l.,IT12345670017,"
LOYALTY = "/api/v1/me/loyalty/"
# The jeans are taxed at 10 % here, so the cancelled parts span two rates.
RATES = {"SHIRT-BLU-M": "22", "JEANS-IND-32": "10", "COAT-BLK-L": "22"}


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T11:00").replace(
        tzinfo=timezone.get_current_timezone()
    )


@pytest.fixture
def split():
    return split_shops()


@pytest.fixture
def nora():
    user, _ = shopper("nora@example.com")
    return user, business(email="nora@example.com", user=user)


def discounted_split_order(split, customer, *, now=None):
    """One shirt, two jeans and three coats, 10 % off (720.00 for 800.00): Milano
    sends the shirt and a coat (216.00); Roma the jeans (144.00, 16.00 off) and a
    coat (180.00, 20.00 off), Napoli a coat (180.00)."""
    discount_code("TEN", "percentage", "10", now=now)
    order = split_order(split, customer=customer, discount_code="TEN", now=now)
    assert order.total == D("720.00") and order.discount_total == D("80.00")
    return tax_as_sold(order, RATES, entity=legal_entity())


def ship_milano_cancel_rest(order, split, *, now=None):
    """Milano's parcel leaves; its manager cancels the parts of Roma and Napoli."""
    milano = make_approver(StaffFactory(store=split.milano, role=Role.STORE_MANAGER))
    mark_picked(order=order, actor=milano, location=split.milano, now=now)
    ship_order(order=order, actor=milano, location=split.milano, now=now)
    cancel_order(order=order, actor=milano, reason="Out of stock", now=now)
    return milano


def pdf_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()


def test_an_invoice_asked_after_the_unshipped_parts_were_cancelled_credits_them(
    split, nora
):
    user, customer = nora
    order = discounted_split_order(split, customer)
    ship_milano_cancel_rest(order, split)
    client = api_client_for(user)

    asked = client.post(f"/api/v1/orders/{order.number}/invoice/")

    assert asked.status_code == 201, asked.json()
    papers = client.get(f"/api/v1/orders/{order.number}/").json()["invoices"]
    assert [(p["kind"], p["credits"]) for p in papers] == [
        ("invoice", None),
        ("credit_note", asked.json()["number"]),
    ]
    invoice, note = papers
    assert invoice["gross"] == "720.00"
    # Roma's jeans and coat, Napoli's coat, at what was paid for them
    assert (note["net"], note["tax"], note["gross"]) == ("425.99", "78.01", "504.00")
    credited = Invoice.objects.get(number=note["number"])
    assert sorted(
        (row["sku"], row["quantity"], row["discount"], row["gross"])
        for row in credited.lines
    ) == [
        ("COAT-BLK-L", 1, "20.00", "180.00"),
        ("COAT-BLK-L", 1, "20.00", "180.00"),
        ("JEANS-IND-32", 2, "16.00", "144.00"),
    ]
    assert credited.vat == [
        {"rate": "22.00", "net": "295.08", "tax": "64.92", "gross": "360.00"},
        {"rate": "10.00", "net": "130.91", "tax": "13.09", "gross": "144.00"},
    ]
    # Asked again: the same invoice, no second credit note
    assert client.post(f"/api/v1/orders/{order.number}/invoice/").status_code == 200
    assert (
        Invoice.objects.filter(order=order, kind=InvoiceKind.CREDIT_NOTE).count() == 1
    )


def test_the_vat_ledger_refunds_the_cancelled_parts_in_the_month_they_were_cancelled(
    admin_client, split, nora
):
    """Sold in October, the parts not shipped cancelled in November: October keeps
    the sale, November refunds those lines per rate, as their credit note does."""
    _, customer = nora
    order = discounted_split_order(split, customer, now=at("2025-10-30"))
    ship_milano_cancel_rest(order, split, now=at("2025-11-03"))

    ledger = admin_client.get(
        LEDGER, {"start": "2025-10-01", "end": "2025-11-30", "format": "csv"}
    )

    assert ledger.status_code == 200
    assert ledger.content.decode().splitlines()[1:] == [
        SELLER + "2025-10,IT,22.00,standard,EUR,472.13,103.87,576.00,"
        "0.00,0.00,0.00,472.13,103.87,576.00",
        SELLER + "2025-10,IT,10.00,standard,EUR,130.91,13.09,144.00,"
        "0.00,0.00,0.00,130.91,13.09,144.00",
        SELLER + "2025-11,IT,22.00,standard,EUR,0.00,0.00,0.00,"
        "295.08,64.92,360.00,-295.08,-64.92,-360.00",
        SELLER + "2025-11,IT,10.00,standard,EUR,0.00,0.00,0.00,"
        "130.91,13.09,144.00,-130.91,-13.09,-144.00",
    ]
    invoice, _ = issue_invoice(order=order)
    note = Invoice.objects.get(credited_invoice=invoice)
    assert note.vat == [
        {"rate": "22.00", "net": "295.08", "tax": "64.92", "gross": "360.00"},
        {"rate": "10.00", "net": "130.91", "tax": "13.09", "gross": "144.00"},
    ]


def test_the_vat_ledger_adds_a_return_and_a_cancelled_part_at_the_same_rate(
    admin_client, split, nora
):
    _, customer = nora
    order = discounted_split_order(split, customer)
    milano = ship_milano_cancel_rest(order, split)
    shirt = order.lines.get(sku="SHIRT-BLU-M")
    return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(shirt.pk, 1, "changed_mind")],
        location=split.milano,
        actor=milano,
    )
    # the returned line's net and VAT as sold
    tax_as_sold(order, RATES, order.legal_entity)
    today = timezone.localdate()

    ledger = admin_client.get(
        LEDGER, {"start": today.replace(day=1), "end": today, "format": "csv"}
    )

    month = today.strftime("%Y-%m")
    rows = ledger.content.decode().splitlines()[1:]
    assert rows[0] == (
        f"{SELLER}{month},IT,22.00,standard,EUR,472.13,103.87,576.00,"
        "324.59,71.41,396.00,147.54,32.46,180.00"
    )  # the shirt returned (36.00) and two coats cancelled (360.00); one coat kept


def test_the_cancelled_parts_leave_the_kept_spend(split, nora):
    user, customer = nora
    order = discounted_split_order(split, customer)
    client = api_client_for(user)
    assert client.get(LOYALTY).json()["spend"] == "0.00"  # it may still be cancelled

    ship_milano_cancel_rest(order, split)

    body = client.get(LOYALTY).json()
    assert body["spend"] == "216.00"  # the shirt and Milano's coat, 10 % off
    assert body["tier"]["name"] == "Member"


def test_the_invoice_and_its_credit_note_print_each_lines_discount(split, nora):
    user, customer = nora
    order = discounted_split_order(split, customer)
    client = api_client_for(user)
    invoice = client.post(f"/api/v1/orders/{order.number}/invoice/").json()
    milano = ship_milano_cancel_rest(order, split)
    return_at_counter(
        order=order.number,
        lines=[
            ReturnLineRequest(order.lines.get(sku="SHIRT-BLU-M").pk, 1, "changed_mind")
        ],
        location=split.milano,
        actor=milano,
    )
    # the returned line's net and VAT as sold
    tax_as_sold(order, RATES, order.legal_entity)
    papers = client.get(f"/api/v1/orders/{order.number}/").json()["invoices"]
    assert [p["kind"] for p in papers] == ["invoice", "credit_note", "credit_note"]

    printed = pdf_text(client, invoice["pdf"])
    assert "DISCOUNT" in printed  # its column head, upper-cased as the others
    # quantity, unit price, discount, rate, net, VAT, gross
    assert lines_of(printed, "JEANS-IND-32") == [
        ["2", "80.00", "16.00", "10%", "130.91", "13.09", "144.00"]
    ]
    cancelled = pdf_text(client, papers[1]["pdf"])
    assert (
        sorted(lines_of(cancelled, "COAT-BLK-L"))
        == [["1", "200.00", "20.00", "22%", "147.54", "32.46", "180.00"]] * 2
    )
    assert "cancelled before they left" in " ".join(cancelled.split())
    returned = pdf_text(client, papers[2]["pdf"])
    assert lines_of(returned, "SHIRT-BLU-M") == [
        ["1", "40.00", "4.00", "22%", "29.51", "6.49", "36.00"]
    ]


def lines_of(text: str, sku: str) -> list[list[str]]:
    """The figures printed on the line of each item ``sku`` (its name is on the line
    above the SKU in the PDF's layout, the figures beside the name)."""
    rows = text.splitlines()
    found = []
    for index, row in enumerate(rows):
        if row.strip() == sku:
            found.append(rows[index - 1].split()[-7:])
    return found


def test_the_sales_report_leaves_out_the_parts_cancelled_before_they_left(
    admin_client, split, nora
):
    """Of the 720.00 sold, Milano's parcel left (216.00); Roma's and Napoli's parts
    were cancelled and refunded: the sales report counts 216.00, gross and net, and
    the returns rate counts only the units that left as sold."""
    _, customer = nora
    order = discounted_split_order(split, customer)
    ship_milano_cancel_rest(order, split)

    report = sales_report()

    (web,) = report.by_channel
    assert web["orders"] == 1 and web["revenue"] == D("216.00")
    assert web["net"] == sum(
        (line.net for line in order.lines.filter(fulfilment__location=split.milano)),
        D("0.00"),
    )
    assert sum(row.sold for row in returns_rate_by_shop()) == 2
    page = admin_client.get(reverse("admin:orders_order_report")).content.decode()
    assert "216.00" in page and "720.00" not in page
