"""A gift card sold on its own is no taxable supply (its VAT is due when it is
spent): asking for the invoice of such an order is refused with a 409 and takes no
number of the gapless series; the next real invoice gets the first number."""

import pytest
from django.utils import timezone

from inventory.models import Market
from orders.models import Invoice, InvoiceCounter, Order
from orders.services.invoices import issue_invoice
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

from .test_api_gift_card_purchase import body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def test_the_invoice_of_a_gift_card_purchase_is_refused_and_takes_no_number():
    seller = legal_entity()
    Market.objects.filter(countries__country="IT").update(legal_entity=seller)
    user, _ = shopper("nora@example.com")
    customer = business(email="nora@example.com", user=user)
    client = api_client_for(user)
    bought = client.post("/api/v1/gift-cards/purchase/", body(), format="json")
    assert bought.status_code == 201, bought.json()
    number = bought.json()["order"]
    assert Order.objects.get(number=number).legal_entity == seller

    response = client.post(f"/api/v1/orders/{number}/invoice/")

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "nothing_to_invoice"
    assert "gift card" in response.json()["message"]
    assert not Invoice.objects.exists() and not InvoiceCounter.objects.exists()
    detail = client.get(f"/api/v1/orders/{number}/").json()
    assert detail["invoices"] == []
    # the next invoice of the series is its first number
    shop = entity_shop(seller)
    associate = StaffFactory(store=shop)
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
    invoice, created = issue_invoice(order=order, actor=associate)
    assert created
    assert invoice.number == f"INV-{timezone.localdate().year}-000001"
