"""Real threads, real connections, real row locks: invoice numbers stay gapless and
unique when many are asked for at the same moment, and one order never gets two."""

import pytest
from django.utils import timezone

from orders.models import Invoice, InvoiceCounter
from orders.services.invoices import issue_invoice
from tests.concurrency import run_parallel
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import (
    business,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)
from tests.orders.returns_helpers import counter_sale

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def counter():
    shop = entity_shop(legal_entity())
    return shop, StaffFactory(store=shop), business()


def sales(shop, associate, customer, count):
    shirt = item(shop, "Oxford shirt", "SHIRT", "61.00", units=count)
    return [
        tax_as_sold(
            counter_sale(
                store=shop, lines=[(shirt, 1)], staff=associate, customer=customer
            ),
            {"SHIRT": "22"},
        )
        for _ in range(count)
    ]


def test_twenty_concurrent_invoices_get_twenty_consecutive_numbers(counter):
    shop, associate, customer = counter
    orders = sales(shop, associate, customer, 20)

    results = run_parallel(
        [lambda order=order: issue_invoice(order=order.pk) for order in orders]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(created for _, created in results)
    sequences = sorted(invoice.sequence for invoice, _ in results)
    assert sequences == list(range(1, 21))  # no gap, no duplicate
    year = timezone.localdate().year
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        f"INV-{year}-{n:06d}" for n in range(1, 21)
    ]
    assert Invoice.objects.values("order").distinct().count() == 20
    assert InvoiceCounter.objects.get().last_number == 20


def test_twenty_requests_for_one_order_give_one_invoice(counter):
    shop, associate, customer = counter
    (order,) = sales(shop, associate, customer, 1)

    results = run_parallel([lambda: issue_invoice(order=order.pk)] * 20)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({invoice.pk for invoice, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Invoice.objects.count() == 1
    assert InvoiceCounter.objects.get().last_number == 1
