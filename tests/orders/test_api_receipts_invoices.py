"""The receipt and the invoices of a customer's own order through the storefront API:
the same receipt the shop prints, a gift receipt without amounts, a business
customer's invoice (once per order, listed on the order, as PDF); other customers'
orders answer 404."""

import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import Invoice, InvoiceCounter, Order, OrderLine, PaymentMethod
from orders.services.exchanges import exchange_items
from orders.services.invoices import issue_invoice
from orders.services.payments import PaymentRequest
from orders.services.refunds import receive_return, refund_return, return_at_counter
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import (
    business,
    cash_sale_with_change,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RATES = {"SHIRT": "22", "BOOK": "4", "SCARF": "22"}


@pytest.fixture
def shop():
    return entity_shop(legal_entity())


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def nora():
    user, _ = shopper("nora@example.com")
    customer = business(email="nora@example.com", user=user)
    return user, customer


def returning(order, index, reason="changed_mind"):
    """One unit of the order's ``index``-th line coming back."""
    line = order.lines.order_by("id")[index]
    return ReturnLineRequest(line.pk, 1, reason)


def sale(shop, associate, customer):
    shirt = item(shop, "Oxford shirt", "SHIRT", "61.00")
    book = item(shop, "Cookbook", "BOOK", "20.80")
    order = cash_sale_with_change(
        shop=shop,
        associate=associate,
        lines=[(shirt, 2), (book, 1)],
        tendered="150",
        customer=customer,
    )
    return tax_as_sold(order, RATES)


def test_the_receipt_of_my_order_has_seller_vat_tenders_change_and_who_served(
    shop, associate, nora
):
    user, customer = nora
    order = sale(shop, associate, customer)

    response = api_client_for(user).get(f"/api/v1/orders/{order.number}/receipt/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kind"] == "sale" and body["title"] == "Receipt"
    assert body["seller"] == {
        "name": "Omnistore Italia S.r.l.",
        "address": "Via Dante 7, 20121 Milano",
        "vat_number": "IT12345670017",
    }
    assert body["shop"]["name"] == "Milano Centro"
    assert [
        (x["sku"], x["quantity"], x["total"], x["rate"]) for x in body["sold"]["lines"]
    ] == [
        ("SHIRT", 2, "122.00", "22.00"),
        ("BOOK", 1, "20.80", "4.00"),
    ]
    assert body["sold"]["vat"] == [
        {"rate": "22.00", "net": "100.00", "tax": "22.00", "gross": "122.00"},
        {"rate": "4.00", "net": "20.00", "tax": "0.80", "gross": "20.80"},
    ]
    assert body["sold"]["total"] == "142.80"
    assert body["tenders"] == [{"method": "cash", "label": "Cash", "amount": "142.80"}]
    assert (body["cash_tendered"], body["change"]) == ("150.00", "7.20")
    assert body["served_by"] == "Giulia B."
    assert body["customer"] == "Galli Srl"


def test_a_gift_receipt_shows_no_amount(shop, associate, nora):
    user, customer = nora
    order = sale(shop, associate, customer)

    body = (
        api_client_for(user)
        .get(f"/api/v1/orders/{order.number}/receipt/", {"kind": "gift"})
        .json()
    )

    assert body["kind"] == "gift" and body["title"] == "Gift receipt"
    assert [(x["sku"], x["quantity"]) for x in body["sold"]["lines"]] == [
        ("SHIRT", 2),
        ("BOOK", 1),
    ]
    assert all(
        x["unit_price"] is None and x["total"] is None for x in body["sold"]["lines"]
    )
    assert body["sold"]["total"] is None and body["sold"]["vat"] == []
    assert body["tenders"] == [] and body["change"] is None


def test_an_unknown_receipt_kind_is_a_400(shop, associate, nora):
    user, customer = nora
    order = sale(shop, associate, customer)
    response = api_client_for(user).get(
        f"/api/v1/orders/{order.number}/receipt/", {"kind": "nope"}
    )
    assert response.status_code == 400 and "kind" in response.json()["extra"]


def test_someone_elses_receipt_and_invoice_answer_404(shop, associate, nora):
    _, customer = nora
    order = sale(shop, associate, customer)
    other, _ = shopper("bo@example.com")
    client = api_client_for(other)

    assert client.get(f"/api/v1/orders/{order.number}/receipt/").status_code == 404
    assert client.post(f"/api/v1/orders/{order.number}/invoice/").status_code == 404
    assert not Invoice.objects.exists()


def test_the_exchange_receipt_shows_both_sides(shop, associate, nora):
    user, customer = nora
    scarf = item(shop, "Wool scarf", "SCARF", "40.00")
    order = sale(shop, associate, customer)

    result = exchange_items(
        order=order.number,
        lines=[returning(order, 0, "too_small")],
        replacement=[(scarf, 2)],
        location=shop,
        actor=associate,
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )
    tax_as_sold(order, RATES)
    tax_as_sold(result.order, RATES, entity=shop.legal_entity)

    body = (
        api_client_for(user)
        .get(f"/api/v1/orders/{result.order.number}/receipt/")
        .json()
    )
    assert body["kind"] == "exchange"
    assert [(x["sku"], x["total"]) for x in body["returned"]["lines"]] == [
        ("SHIRT", "61.00")
    ]
    assert [(x["sku"], x["quantity"]) for x in body["sold"]["lines"]] == [("SCARF", 2)]
    assert body["sold"]["total"] == "80.00"
    assert sorted((t["method"], t["amount"]) for t in body["tenders"]) == [
        ("cash", "19.00"),
        ("store_credit", "61.00"),
    ]
    assert body["return_code"] == result.return_request.code


def book_returned(order, associate, **kwargs):
    """The cookbook of ``sale`` brought back to the associate's shop and refunded."""
    return return_at_counter(
        order=order.number,
        lines=[returning(order, 1)],
        location=associate.store,
        actor=associate,
        **kwargs,
    )


def test_the_refund_receipt_of_my_return(shop, associate, nora):
    user, customer = nora
    order = sale(shop, associate, customer)
    ret = book_returned(order, associate)
    tax_as_sold(order, RATES)

    body = api_client_for(user).get(f"/api/v1/returns/{ret.code}/receipt/").json()

    assert body["kind"] == "return" and body["title"] == "Refund receipt"
    assert body["returned"]["vat"] == [
        {"rate": "4.00", "net": "20.00", "tax": "0.80", "gross": "20.80"}
    ]
    assert [(t["method"], t["amount"]) for t in body["refunds"]] == [("cash", "20.80")]
    assert body["refunds"][0]["valid_until"] is None


def test_a_return_has_a_refund_receipt_once_paid_back_naming_who_paid_it(
    shop, associate, nora
):
    """Asked online, the return has no receipt yet (nothing was paid back); once a
    shop refunds it, the receipt names the associate who did, as receipts do."""
    user, customer = nora
    order = sale(shop, associate, customer)
    ret = request_return(
        order=order, lines=[returning(order, 1)], channel="web", customer=customer
    )
    client = api_client_for(user)
    waiting = client.get(f"/api/v1/returns/{ret.code}/receipt/")
    assert waiting.status_code == 409  # the return is there; its receipt not yet
    assert waiting.json()["code"] == "return_not_refunded"

    desk = StaffFactory(store=shop, first_name="Marco", last_name="Rossi")
    receive_return(return_request=ret, location=shop, actor=desk)
    assert client.get(f"/api/v1/returns/{ret.code}/receipt/").status_code == 409
    # another customer's return stays unknown to them
    stranger, _ = shopper("eve@example.com")
    other = api_client_for(stranger).get(f"/api/v1/returns/{ret.code}/receipt/")
    assert other.status_code == 404
    refund_return(return_request=ret, actor=desk, location=shop)

    body = client.get(f"/api/v1/returns/{ret.code}/receipt/").json()
    assert body["kind"] == "return"
    assert body["served_by"] == "Marco R."
    assert [t["amount"] for t in body["refunds"]] == ["20.80"]


def test_a_cancelled_return_has_no_receipt_to_wait_for(shop, associate, nora):
    from orders.services.return_endings import cancel_return

    user, customer = nora
    order = sale(shop, associate, customer)
    ret = request_return(
        order=order, lines=[returning(order, 1)], channel="web", customer=customer
    )
    cancel_return(return_request=ret, actor=associate, reason="kept", location=shop)
    answer = api_client_for(user).get(f"/api/v1/returns/{ret.code}/receipt/")
    assert answer.status_code == 404  # never refunded: nothing will come


def test_a_refund_as_store_credit_says_until_when_it_can_be_spent(
    shop, associate, nora, settings
):
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 30
    user, customer = nora
    order = sale(shop, associate, customer)
    ret = book_returned(order, associate, refund_method="store_credit")

    body = api_client_for(user).get(f"/api/v1/returns/{ret.code}/receipt/").json()

    (credit,) = ret.store_credit.all()
    assert credit.expires_at > timezone.now() + timedelta(days=29)
    assert body["refunds"] == [
        {
            "method": "store_credit",
            "label": "Store credit",
            "amount": "20.80",
            "valid_until": timezone.localdate(credit.expires_at).isoformat(),
        }
    ]


def test_a_customer_asks_for_the_invoice_within_the_window_then_a_shop_issues_it(
    shop, associate, nora, settings
):
    settings.OMNISTORE_INVOICE_REQUEST_DAYS = 30
    user, customer = nora
    order = sale(shop, associate, customer)
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    client = api_client_for(user)

    late = client.post(f"/api/v1/orders/{order.number}/invoice/")

    assert late.status_code == 409, late.json()
    assert late.json()["code"] == "invoice_window_closed"
    until = timezone.localdate(timezone.now() - timedelta(days=1))
    assert late.json()["extra"] == {"invoice_until": until.isoformat()}
    assert not Invoice.objects.exists()
    invoice, created = issue_invoice(order=order, actor=associate)
    assert created and invoice.number.startswith("INV-")
    again = client.post(f"/api/v1/orders/{order.number}/invoice/")
    assert again.status_code == 200 and again.json()["number"] == invoice.number


def test_a_business_customer_asks_for_an_invoice_once_and_sees_it_on_the_order(
    shop, associate, nora
):
    user, customer = nora
    order = sale(shop, associate, customer)
    client = api_client_for(user)

    first = client.post(f"/api/v1/orders/{order.number}/invoice/")
    again = client.post(f"/api/v1/orders/{order.number}/invoice/")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200 and again.json() == first.json()
    body = first.json()
    year = timezone.localdate().year
    assert body["number"] == f"INV-{year}-000001"
    assert (body["net"], body["tax"], body["gross"]) == ("120.00", "22.80", "142.80")
    assert body["buyer_vat_number"] == "IT00743110157"
    detail = client.get(f"/api/v1/orders/{order.number}/").json()
    assert [i["number"] for i in detail["invoices"]] == [body["number"]]
    # the PDF's address is whole, like every link the API gives
    assert body["pdf"] == detail["invoices"][0]["pdf"]
    assert body["pdf"].startswith("http://testserver/api/v1/orders/")
    pdf = client.get(body["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    assert content.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "invoice.pdf").write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", "invoice.pdf", "invoice"],
        cwd=ARTIFACTS,
        check=True,
    )
    assert (ARTIFACTS / "invoice.png").stat().st_size > 10_000


def test_an_invoice_without_a_vat_number_is_a_clear_400_and_nothing_is_written(
    shop, associate
):
    user, customer = shopper("bo@example.com")
    order = tax_as_sold(
        cash_sale_with_change(
            shop=shop,
            associate=associate,
            lines=[(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
            tendered="61",
            customer=customer,
        ),
        RATES,
    )

    response = api_client_for(user).post(f"/api/v1/orders/{order.number}/invoice/")

    assert response.status_code == 400
    assert response.json()["code"] == "vat_number_required"
    assert "vat_number" in response.json()["extra"]
    assert not Invoice.objects.exists() and not InvoiceCounter.objects.exists()
    assert Decimal(order.total) == Decimal("61.00")


def test_a_line_sold_before_vat_was_recorded_shows_no_rate(shop, associate, nora):
    user, customer = nora
    order = sale(shop, associate, customer)
    OrderLine.objects.filter(order=order, sku="BOOK").update(net=0, tax=0, tax_rate=0)

    body = api_client_for(user).get(f"/api/v1/orders/{order.number}/receipt/").json()

    assert [(x["sku"], x["rate"]) for x in body["sold"]["lines"]] == [
        ("SHIRT", "22.00"),
        ("BOOK", None),
    ]
