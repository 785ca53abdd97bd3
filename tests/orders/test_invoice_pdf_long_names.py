"""A long buyer name or item name wraps within its column of the invoice PDF: every
character of it is on the page, none past the margin; names in Chinese, Japanese,
Korean or full-width letters are drawn too (a fallback font has them)."""

import re
import subprocess

import pytest

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

COMPANY = "Studio" + "X" * 150
ITEM = "Oxford shirt " + "Y" * 120


def page_text(pdf: bytes) -> str:
    """The text pdftotext finds on the page (what lies past its edge is not), with
    the line breaks of the wrapping taken out."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", "", text)


def invoice_pdf_text(company: str, item_name: str) -> str:
    shop = entity_shop(legal_entity())
    associate = StaffFactory(store=shop)
    user, _ = shopper("nora@example.com")
    customer = business(email="nora@example.com", user=user)
    customer.company_name = company
    customer.save(update_fields=["company_name"])
    order = tax_as_sold(
        cash_sale_with_change(
            shop=shop,
            associate=associate,
            lines=[(item(shop, item_name, "SHIRT", "61.00"), 1)],
            tendered="61",
            customer=customer,
        ),
        {"SHIRT": "22"},
    )
    client = api_client_for(user)
    issued = client.post(f"/api/v1/orders/{order.number}/invoice/")
    assert issued.status_code == 201, issued.json()

    response = client.get(issued.json()["pdf"])

    assert response.status_code == 200
    pdf = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return page_text(pdf)


def test_a_long_company_and_item_name_are_whole_on_the_invoice_pdf():
    text = invoice_pdf_text(COMPANY, ITEM)

    assert COMPANY in text
    assert "Y" * 120 in text


def test_names_in_chinese_japanese_korean_and_full_width_letters_are_drawn():
    company = "北京贸易有限公司・株式会社さくら・한국상사"
    name = "ＯＸＦＯＲＤ シャツ 衬衫"

    text = invoice_pdf_text(company, name)

    assert company in text
    assert name.replace(" ", "") in text
