"""A receipt's money column adds up to its total: each line at its price before the
discount, then the discount, then the total — on the 80 mm slip and in the email.
The line's share of the discount is noted under it on the slip."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from orders.services.receipts import resend_receipt
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def discounted_sale(store, associate):
    """24.90 + 44.70 + 29.80 = 99.40, 15 % off (14.91): 84.49 paid."""
    discount_code("PCT15", "percentage", "15")
    lines = [
        (stocked(store, 3, price=price, sku=sku), 1)
        for price, sku in (("24.90", "CAP"), ("44.70", "SHIRT"), ("29.80", "BELT"))
    ]
    order = counter_sale(
        store=store,
        lines=lines,
        staff=associate,
        discount_code="PCT15",
        email="ada@example.com",
    )
    assert [line.line_total for line in order.lines.order_by("id")] == [
        D("21.16"),
        D("38.00"),
        D("25.33"),
    ]
    assert (order.discount_total, order.total) == (D("14.91"), D("84.49"))
    return order


def amounts(text: str) -> list[Decimal]:
    return [D(found.replace("−", "-")) for found in re.findall(r"−?-?\d+\.\d\d", text)]


def test_the_printed_receipt_column_adds_up_to_the_total(
    client, associate, discounted_sale
):
    client.force_login(associate)

    page = client.get(reverse("staff:receipt_print", args=[discounted_sale.number]))

    assert page.status_code == 200
    table = page.content.decode().split('data-testid="receipt-lines">')[1]
    table = table.split("</table>")[0]
    column = amounts(" ".join(re.findall(r'<td class="num"[^>]*>([^<]*)</td>', table)))
    assert column == [D("24.90"), D("44.70"), D("29.80"), D("-14.91"), D("84.49")]
    assert sum(column[:-1]) == column[-1]
    assert "CAP · −3.74 off" in table and "SHIRT · −6.70 off" in table


def test_the_emailed_receipt_column_adds_up_to_the_total(associate, discounted_sale):
    deliver_outbox()
    mail.outbox.clear()
    resend_receipt(order=discounted_sale, actor=associate)
    deliver_outbox()

    (message,) = mail.outbox
    lines = [line for line in message.body.splitlines() if " EUR" in line]
    sold = [line for line in lines if " × " in line]
    column = [amounts(line)[0] for line in sold]
    assert column == [D("24.90"), D("44.70"), D("29.80")]
    assert "  Discount: -14.91 EUR" in lines
    assert "  Total: 84.49 EUR" in lines
    assert sum(column) - D("14.91") == D("84.49")
    html = message.alternatives[0][0]
    assert '<td class="num">24.90</td>' in html
