"""An invoice is made out to the buyer as the profile says, however long: a first and
last name of 100 characters each (what the profile takes) and an address with every
line at its longest are written whole on PostgreSQL, which refuses a value longer
than its column."""

import pytest

from customers.models import Address
from orders.models import Invoice
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

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

FIRST = "Annamaria" * 11 + "A"  # 100 characters
LAST = "Rossi" * 20  # 100 characters


def test_an_invoice_for_the_longest_names_and_address_is_issued_whole():
    shop = entity_shop(legal_entity())
    associate = StaffFactory(store=shop)
    user, _ = shopper("nora@example.com")
    customer = business(email="nora@example.com", user=user)
    customer.addresses.all().delete()
    Address.objects.create(
        customer=customer,
        line1="Via " + "L" * 246,
        line2="Scala " + "B" * 244,
        postcode="1" * 20,
        city="C" * 100,
        country="IT",
        is_default=True,
    )
    client = api_client_for(user)
    named = client.patch(
        "/api/v1/me/", {"first_name": FIRST, "last_name": LAST}, format="json"
    )
    assert named.status_code == 200, named.json()
    order = tax_as_sold(
        cash_sale_with_change(
            shop=shop,
            associate=associate,
            lines=[(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
            tendered="61",
            customer=customer,
        ),
        {"SHIRT": "22"},
    )

    response = client.post(f"/api/v1/orders/{order.number}/invoice/")

    assert response.status_code == 201, response.json()
    invoice = Invoice.objects.get(order=order)
    assert invoice.buyer_name == f"{FIRST} {LAST}"
    assert invoice.buyer_address == (
        f"Via {'L' * 246}, Scala {'B' * 244}, {'1' * 20} {'C' * 100}"
    )
    assert len(invoice.buyer_address) == 625
    pdf = client.get(response.json()["pdf"])
    assert pdf.status_code == 200
