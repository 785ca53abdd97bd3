"""A transfer's page says what its units are for, as the order it brings them for
answers: while the order waits, its customer waits for them; once the order is
cancelled (the transfer already on its way), the units are free stock when they
arrive, and the page no longer says anyone waits."""

import pytest
from django.urls import reverse

from inventory.models import Transfer, TransferStatus
from inventory.services.transfers import receive_transfer, ship_transfer
from orders.services.fulfilment import cancel_order
from tests.factories import stock
from tests.inventory.staff_helpers import level
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db

WAITS = "whose customer waits for them"


@pytest.fixture
def order(shop, warehouse, variant):
    """A paid pickup at the shop whose unit lies at the warehouse, on its way."""
    stock(variant, warehouse, 2)
    order = pickup_order(store=shop, lines=[(variant, 1)])
    ship_transfer(transfer=the_transfer(order))
    return order


def the_transfer(order) -> Transfer:
    return Transfer.objects.get(reference_type="order", reference_id=order.number)


def said(client, transfer) -> str:
    page = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('data-testid="transfer-order"')
    return html[start : html.index("</p>", start)]


def test_the_customer_waits_until_the_order_is_cancelled_then_the_units_are_free(
    staff_client, order, shop, variant
):
    transfer = the_transfer(order)
    waiting = said(staff_client, transfer)
    assert WAITS in waiting and "cancelled" not in waiting

    cancel_order(order=order, reason="Changed their mind")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT  # on its way: it comes

    text = said(staff_client, transfer)

    assert WAITS not in text
    assert f"order {order.number}</a>, which was cancelled" in text
    assert "the units are free stock when received" in text
    receive_transfer(transfer=transfer, quantities={variant.pk: 1}, actor=None)
    assert level(variant, shop).reserved == 0  # free indeed
    assert "which was cancelled: they are free stock" in said(staff_client, transfer)
