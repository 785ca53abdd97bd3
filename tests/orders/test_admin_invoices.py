"""An order's invoices in the admin: the PDF is linked for who may open it."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from orders.services.invoices import issue_invoice
from tests.factories import StaffFactory, UserFactory
from tests.orders.receipt_helpers import business, entity_shop, item, legal_entity
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced():
    shop = entity_shop(legal_entity())
    order = counter_sale(
        store=shop,
        lines=[(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
        staff=StaffFactory(store=shop),
        customer=business(),
    )
    invoice, _ = issue_invoice(order=order)
    return shop, order, invoice


def test_hq_opens_the_pdf_a_store_manager_reads_the_invoice_without_a_dead_link(
    client, invoiced
):
    shop, order, invoice = invoiced
    pdf = reverse("admin:orders_invoice_pdf", args=[invoice.pk])
    page = reverse("admin:orders_order_change", args=[order.pk])

    client.force_login(UserFactory(role=Role.HQ))
    assert pdf in client.get(page).content.decode()
    assert client.get(pdf)["Content-Type"] == "application/pdf"

    manager = assign_role(user=UserFactory(), role=Role.STORE_MANAGER, shops=[shop])
    client.force_login(manager)
    html = client.get(page).content.decode()
    assert invoice.number in html  # the invoice is listed on the order
    assert pdf not in html
    assert client.get(pdf).status_code in (403, 404)
