"""A split delivery whose parts not yet left are cancelled from the staff order page:
its receipt (API, print, email), the order page and the API order keep the lines as
sold, mark the units cancelled and list what the cancellation gave back; a later
return's refund stays on the return's own receipt."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import OrderStatus
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = pytest.mark.django_db

# Roma's jeans (2 × 80.00) and coat and Napoli's coat (2 × 200.00) never leave.
CANCELLED = "560.00"
SKUS = ("SHIRT-BLU-M", "JEANS-IND-32", "COAT-BLK-L")


@pytest.fixture
def split():
    return split_shops()


@pytest.fixture
def buyer():
    return shopper()


@pytest.fixture
def manager(client, split, settings):
    """Milano's manager, signed in: cancelling refunds without asking anyone."""
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = Decimal("10000.00")
    user = StaffFactory(store=split.milano, role=Role.STORE_MANAGER)
    client.force_login(user)
    return user


@pytest.fixture
def order(client, split, buyer, manager):
    """Milano's parcel has left; Roma's and Napoli's parts are cancelled."""
    order = split_order(split, user=buyer[0])
    deliver_outbox()
    client.post(reverse("staff:order_pick", args=[order.number]))
    client.post(
        reverse("staff:order_ship", args=[order.number]), {"tracking_reference": "MI-1"}
    )
    cancelled = client.post(
        reverse("staff:order_cancel", args=[order.number]), {"reason": "Out of stock"}
    )
    assert cancelled.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    deliver_outbox()  # the parcel's and the cancellation's emails
    mail.outbox.clear()
    return order


def receipt_of(buyer, order) -> dict:
    response = api_client_for(buyer[0]).get(f"/api/v1/orders/{order.number}/receipt/")
    assert response.status_code == 200
    return response.json()


def test_the_receipt_marks_the_units_cancelled_and_lists_their_refund(buyer, order):
    body = receipt_of(buyer, order)

    sold = {
        line["sku"]: (line["quantity"], line["quantity_cancelled"])
        for line in body["sold"]["lines"]
        if line["sku"]
    }
    assert sold == {
        "SHIRT-BLU-M": (1, 0),
        "JEANS-IND-32": (2, 2),
        "COAT-BLK-L": (3, 2),
    }
    assert body["sold"]["total"] == str(order.total)  # as sold
    assert body["cancelled_at"] is None  # the order went ahead
    assert [(t["method"], t["amount"]) for t in body["refunds"]] == [
        ("card_online", CANCELLED)
    ]
    detail = api_client_for(buyer[0]).get(f"/api/v1/orders/{order.number}/").json()
    given_back = [r["amount"] for p in detail["payments"] for r in p["refunds"]]
    assert given_back == [CANCELLED]


def test_the_api_order_marks_the_lines_of_the_cancelled_parts(buyer, order, split):
    detail = api_client_for(buyer[0]).get(f"/api/v1/orders/{order.number}/").json()

    rows = sorted((x["sku"], x["quantity"], x["cancelled"]) for x in detail["lines"])
    assert rows == [
        ("COAT-BLK-L", 1, False),  # Milano's, in the parcel that left
        ("COAT-BLK-L", 1, True),
        ("COAT-BLK-L", 1, True),
        ("JEANS-IND-32", 2, True),
        ("SHIRT-BLU-M", 1, False),
    ]
    assert detail["total"] == str(order.total)


def test_the_printed_receipt_and_the_order_page_say_so(client, order):
    printed = client.get(reverse("staff:receipt_print", args=[order.number]))

    html = printed.content.decode()
    assert html.count('data-testid="receipt-line-cancelled"') == 2
    assert "2 cancelled before they were shipped" in html  # 2 of the 3 coats
    refunds = html[html.index('data-testid="receipt-refunds"') :]
    assert f"{CANCELLED} EUR" in refunds[: refunds.index("</table>")]

    page = client.get(reverse("staff:order_detail", args=[order.number]))
    items = page.content.decode()
    items = items[items.index('data-testid="order-lines"') :]
    items = items[: items.index("</table>")]
    rows = {sku: row for row in items.split("<tr") for sku in SKUS if sku in row}
    assert 'data-testid="line-cancelled"' not in rows["SHIRT-BLU-M"]
    assert ">cancelled before they were shipped, refunded<" in rows["JEANS-IND-32"]
    assert ">2 cancelled before they were shipped, refunded<" in rows["COAT-BLK-L"]


def test_the_order_page_says_so_on_a_line_under_the_items_name(client, order):
    """Not in a pill: a pill keeps to one line in a table's cell, and this one
    pushed the Items table past a tablet's width; a line of its own wraps."""
    page = client.get(reverse("staff:order_detail", args=[order.number]))

    items = page.content.decode()
    items = items[items.index('data-testid="order-lines"') :]
    items = items[: items.index("</table>")]
    (coats,) = [row for row in items.split("<tr") if "COAT-BLK-L" in row]
    assert (
        '<div class="small line-note" data-testid="line-cancelled">'
        "2 cancelled before they were shipped, refunded</div>"
    ) in coats
    assert "badge" not in coats


def test_the_receipt_sent_again_by_email_says_so(client, order):
    sent = client.post(reverse("staff:receipt_email", args=[order.number]))
    assert sent.status_code == 302
    deliver_outbox()

    (email,) = mail.outbox
    assert "2 cancelled before they were shipped" in email.body
    assert f"Refunded: {CANCELLED} EUR" in email.body


def test_a_returns_refund_is_on_its_own_receipt_not_on_the_sale_receipt(
    buyer, order, split, manager
):
    coat = order.lines.get(sku="COAT-BLK-L", fulfilment__location=split.milano)
    ret = return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(coat.pk, 1, "changed_mind")],
        location=split.milano,
        actor=manager,
    )
    client = api_client_for(buyer[0])

    sale = receipt_of(buyer, order)
    assert [t["amount"] for t in sale["refunds"]] == [CANCELLED]
    refund = client.get(f"/api/v1/returns/{ret.code}/receipt/").json()
    assert [t["amount"] for t in refund["refunds"]] == ["200.00"]
    detail = client.get(f"/api/v1/orders/{order.number}/").json()
    given_back = [r["amount"] for p in detail["payments"] for r in p["refunds"]]
    assert sorted(given_back) == ["200.00", CANCELLED]
