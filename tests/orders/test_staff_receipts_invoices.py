"""Receipts and invoices from the staff pages and the admin: reprint (receipt, gift
receipt, exchange, refund) on the 80 mm page, send the receipt again by email, issue
an invoice and open its PDF; refusals are messages, with nothing written."""

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerEvent
from omnistore.accounts.models import Role
from omnistore.core.models import OutboxMessage
from orders.models import Invoice, InvoiceCounter, PaymentMethod
from orders.services.exchanges import exchange_items
from orders.services.invoices import issue_invoice
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import deliver_outbox
from tests.orders.receipt_helpers import (
    business,
    cash_sale_with_change,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)

pytestmark = pytest.mark.django_db
RATES = {"SHIRT": "22", "BOOK": "4", "SCARF": "22"}


@pytest.fixture
def shop():
    return entity_shop(legal_entity())


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


def sale(shop, associate, customer=None):
    order = cash_sale_with_change(
        shop=shop,
        associate=associate,
        lines=[
            (item(shop, "Oxford shirt", "SHIRT", "61.00"), 2),
            (item(shop, "Cookbook", "BOOK", "20.80"), 1),
        ],
        tendered="150",
        customer=customer,
    )
    return tax_as_sold(order, RATES)


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_print_page_is_an_80mm_receipt_with_everything_it_must_show(
    staff, shop, associate
):
    order = sale(shop, associate)

    html = page(staff, reverse("staff:receipt_print", args=[order.number]))

    assert "orders/receipt.css" in html
    css = Path(finders.find("orders/receipt.css")).read_text()
    assert "@page { size: 80mm auto;" in css
    for text in (
        "Omnistore Italia S.r.l.",
        "Via Dante 7, 20121 Milano",
        "VAT IT12345670017",
        "Milano Centro",
        "2 × Oxford shirt",
        "142.80 EUR",
        "Cash tendered",
        "7.20 EUR",
        "Served by Giulia B.",
    ):
        assert text in html, text
    vat = html[html.index('data-testid="receipt-vat"') :]
    assert "22%" in vat and "100.00" in vat and "22.00" in vat
    assert "4%" in vat and "20.00" in vat and "0.80" in vat


def test_the_gift_receipt_prints_without_amounts(staff, shop, associate):
    order = sale(shop, associate)

    html = page(staff, reverse("staff:receipt_print", args=[order.number]), kind="gift")

    assert "Gift receipt" in html and "2 × Oxford shirt" in html
    for amount in ("61.00", "142.80", "20.80", "7.20", "Cash tendered", "VAT 22%"):
        assert amount not in html, amount


def test_the_exchange_and_refund_receipts_print_from_the_returns_desk(
    staff, shop, associate
):
    customer = make_customer(phone="+393331234567")
    order = sale(shop, associate, customer)
    first, second = order.lines.order_by("id")
    exchange = exchange_items(
        order=order.number,
        lines=[ReturnLineRequest(first.pk, 1, "too_small")],
        replacement=[(item(shop, "Wool scarf", "SCARF", "40.00"), 2)],
        location=shop,
        actor=associate,
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )
    refund = return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(second.pk, 1, "changed_mind")],
        location=shop,
        actor=associate,
    )
    tax_as_sold(order, RATES)
    tax_as_sold(exchange.order, RATES, entity=shop.legal_entity)

    detail = page(
        staff, reverse("staff:return_detail", args=[exchange.return_request.code])
    )
    assert reverse("staff:receipt_print", args=[exchange.order.number]) in detail
    html = page(staff, reverse("staff:receipt_print", args=[exchange.order.number]))
    assert "Exchange receipt" in html
    assert f"Returned (return {exchange.return_request.code})" in html
    assert (
        "New items" in html and "2 × Wool scarf" in html and "1 × Oxford shirt" in html
    )

    detail = page(staff, reverse("staff:return_detail", args=[refund.code]))
    assert reverse("staff:return_receipt_print", args=[refund.code]) in detail
    html = page(staff, reverse("staff:return_receipt_print", args=[refund.code]))
    assert "Refund receipt" in html and "1 × Cookbook" in html and "20.80 EUR" in html
    assert 'data-testid="credit-valid-until"' not in html


def test_a_refund_receipt_in_store_credit_prints_the_day_it_expires(
    staff, shop, associate, settings
):
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 365
    order = sale(shop, associate, make_customer(phone="+393331234567"))

    def in_credit(index):
        line = order.lines.order_by("id")[index]
        return return_at_counter(
            order=order.number,
            lines=[ReturnLineRequest(line.pk, 1, "changed_mind")],
            location=shop,
            actor=associate,
            refund_method="store_credit",
        )

    refund = in_credit(1)
    until = timezone.localdate(refund.store_credit.get().expires_at)

    html = page(staff, reverse("staff:return_receipt_print", args=[refund.code]))

    assert "Store credit" in html and "20.80 EUR" in html
    assert f"valid until {until.day} {until:%B %Y}" in html
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 0
    never = in_credit(0)
    html = page(staff, reverse("staff:return_receipt_print", args=[never.code]))
    assert "Store credit" in html and "valid until" not in html


def test_unknown_receipts_are_404(staff):
    assert staff.get(reverse("staff:receipt_print", args=["NOPE"])).status_code == 404
    assert (
        staff.get(reverse("staff:return_receipt_print", args=["NOPE"])).status_code
        == 404
    )


def test_another_shops_refund_receipt_is_404_like_its_return(client, shop, associate):
    order = sale(shop, associate, make_customer(phone="+393331234567"))
    line = order.lines.order_by("id").first()
    refund = return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(line.pk, 1, "changed_mind")],
        location=shop,
        actor=associate,
    )
    elsewhere = StaffFactory(store=entity_shop(shop.legal_entity, code="RM01"))
    client.force_login(elsewhere)
    for name in ("staff:return_detail", "staff:return_receipt_print"):
        assert client.get(reverse(name, args=[refund.code])).status_code == 404
    client.force_login(associate)
    printed = client.get(reverse("staff:return_receipt_print", args=[refund.code]))
    assert printed.status_code == 200


def test_the_receipt_is_sent_again_by_email_with_vat_and_seller(staff, shop, associate):
    customer = make_customer(email="ada@example.com")
    order = sale(shop, associate, customer)
    deliver_outbox()
    mail.outbox = []

    response = staff.post(reverse("staff:receipt_email", args=[order.number]))

    assert response.status_code == 302
    assert "Receipt sent again to ada@example.com." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    deliver_outbox()
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    html = message.alternatives[0][0]
    assert "VAT IT12345670017" in html and 'data-testid="receipt-vat"' in html
    assert "VAT 22%: net 100.00, VAT 22.00, gross 122.00" in message.body
    assert "Cash tendered: 150.00 EUR · change 7.20 EUR" in message.body
    assert CustomerEvent.objects.filter(
        customer=customer, kind="receipt_resent", actor=associate
    ).exists()


def test_the_receipt_button_pressed_twice_sends_one_email(staff, shop, associate):
    customer = make_customer(email="twice@example.com")
    order = sale(shop, associate, customer)
    deliver_outbox()
    mail.outbox = []
    url = reverse("staff:receipt_email", args=[order.number])
    detail = page(staff, reverse("staff:order_detail", args=[order.number]))
    token = re.search(r'name="once" value="([0-9a-f]+)"', detail).group(1)

    staff.post(url, {"once": token})
    again = staff.post(url, {"once": token})

    assert f"The receipt is already on its way to {order.email}." in [
        str(m) for m in get_messages(again.wsgi_request)
    ]
    deliver_outbox()
    assert [m.to for m in mail.outbox] == [["twice@example.com"]]
    assert (
        CustomerEvent.objects.filter(customer=customer, kind="receipt_resent").count()
        == 1
    )
    # The page drawn again is a new request: it sends.
    staff.post(url, {"once": "f" * 32})
    deliver_outbox()
    assert len(mail.outbox) == 2


def test_a_receipt_is_not_sent_more_than_five_times_an_hour(staff, shop, associate):
    order = sale(shop, associate, make_customer(email="flood@example.com"))
    url = reverse("staff:receipt_email", args=[order.number])
    for _ in range(6):
        response = staff.post(url)
    # the sale's own receipt and four more; the presses after are refused
    assert (
        OutboxMessage.objects.filter(
            topic="orders.email",
            payload__order_id=order.pk,
            payload__kind="receipt",
        ).count()
        == 5
    )
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("already sent 5 times in the last hour" in m for m in said), said


def test_a_receipt_without_an_address_is_not_sent(staff, shop, associate):
    order = sale(shop, associate)
    before = OutboxMessage.objects.count()

    response = staff.post(reverse("staff:receipt_email", args=[order.number]))

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "This order has no email address to send the receipt to." in messages
    assert OutboxMessage.objects.count() == before


def test_staff_issue_an_invoice_and_open_its_pdf(staff, shop, associate):
    order = sale(shop, associate, business())
    detail = page(staff, reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="issue-invoice"' in detail

    response = staff.post(reverse("staff:invoice_issue", args=[order.number]))

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert f"Invoice {invoice.number} issued." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    detail = page(staff, reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="issue-invoice"' not in detail and invoice.number in detail
    pdf = staff.get(reverse("staff:invoice_pdf", args=[order.number, invoice.number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_staff_cannot_invoice_a_customer_without_a_vat_number(staff, shop, associate):
    order = sale(shop, associate, make_customer(phone="+393339999999"))

    response = staff.post(reverse("staff:invoice_issue", args=[order.number]))

    assert any(
        "add the VAT number" in str(m) for m in get_messages(response.wsgi_request)
    )
    assert not Invoice.objects.exists() and not InvoiceCounter.objects.exists()


def test_another_shops_associate_can_look_but_not_send_or_invoice(
    client, shop, associate
):
    """Any associate finds any order by its number, but emails its receipt or
    issues its invoice only where it was sold or is fulfilled (404 elsewhere, and
    nothing written: no email, no invoice number used)."""
    order = sale(shop, associate, business())
    deliver_outbox()
    mail.outbox = []
    outbox_rows = OutboxMessage.objects.count()
    elsewhere = StaffFactory(store=entity_shop(shop.legal_entity, code="RM01"))
    client.force_login(elsewhere)

    detail = page(client, reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="email-receipt"' not in detail
    assert 'data-testid="issue-invoice"' not in detail
    assert 'data-testid="reprint-receipt"' in detail
    for name in ("staff:receipt_email", "staff:invoice_issue"):
        assert client.post(reverse(name, args=[order.number])).status_code == 404

    deliver_outbox()
    assert mail.outbox == [] and OutboxMessage.objects.count() == outbox_rows
    assert not Invoice.objects.exists() and not InvoiceCounter.objects.exists()


def test_headquarters_send_and_invoice_for_any_shop(client, shop, associate):
    order = sale(shop, associate, business())
    client.force_login(UserFactory(role=Role.HQ))

    detail = page(client, reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="issue-invoice"' in detail
    response = client.post(reverse("staff:invoice_issue", args=[order.number]))

    assert response.status_code == 302
    assert Invoice.objects.filter(order=order).count() == 1


def test_the_admin_lists_invoices_issues_them_and_serves_the_pdf(
    client, shop, associate
):
    manager = UserFactory(role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(manager)
    invoiced = sale(shop, associate, business())
    issue_invoice(order=invoiced)
    pending = tax_as_sold(
        cash_sale_with_change(
            shop=shop,
            associate=associate,
            lines=[(item(shop, "Belt", "BELT", "30.50"), 1)],
            tendered="31",
            customer=business(phone="+393330000001", email="bo@example.com"),
        ),
        {"BELT": "22"},
    )

    response = client.post(
        "/admin/orders/order/",
        {
            "action": "issue_invoices",
            "_selected_action": [invoiced.pk, pending.pk],
        },
    )

    assert response.status_code == 302
    assert Invoice.objects.count() == 2
    listing = page(client, "/admin/orders/invoice/")
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert all(number in listing for number in numbers)
    invoice = Invoice.objects.get(order=pending)
    pdf = client.get(f"/admin/orders/invoice/{invoice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert invoice.number in page(client, f"/admin/orders/order/{pending.pk}/change/")


def test_invoice_and_credit_note_pdfs_open_only_where_the_invoice_is_issued(
    client, shop, associate
):
    """The documents name the business buyer: an associate of another shop gets 404
    on them, as on issuing the invoice; an area manager who sees the shop, and HQ,
    open them."""
    order = sale(shop, associate, business())
    invoice, _ = issue_invoice(order=order, actor=associate)
    return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(order.lines.order_by("id").first().pk, 1)],
        location=shop,
        actor=associate,
    )
    note = Invoice.objects.get(credited_invoice=invoice)
    urls = [
        reverse("staff:invoice_pdf", args=[order.number, paper.number])
        for paper in (invoice, note)
    ]
    rome = entity_shop(shop.legal_entity, code="RM01", name="Roma Corso")
    area_manager = UserFactory(
        username="area", role=Role.AREA_MANAGER, store=rome, is_staff=True
    )
    area_manager.shops.add(rome, shop)

    client.force_login(StaffFactory(store=rome))
    assert [client.get(url).status_code for url in urls] == [404, 404]
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert page.status_code == 200
    assert 'data-testid="invoice-link"' not in page.content.decode()
    for insider in (associate, area_manager, UserFactory(role=Role.HQ)):
        client.force_login(insider)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (insider, url)
            assert response["Content-Type"] == "application/pdf"
