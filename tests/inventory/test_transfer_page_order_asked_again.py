"""A pickup's transfer closed short, its missing units asked again on a new transfer
from another location: the page of the transfer closed short says the customer
still waits and names the transfer that now brings what did not arrive, never that
the order was cancelled; once the order is collected, neither page says anyone
waits any more."""

import pytest
from django.urls import reverse

from inventory.models import Transfer
from inventory.services.transfers import (
    close_transfer_short,
    receive_transfer,
    ship_transfer,
)
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.pickups import collect_order
from tests.factories import WarehouseFactory, stock
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db

WAITS = "whose customer waits for them"


def said(client, transfer) -> str:
    """What the transfer's page says its units are for."""
    page = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('data-testid="transfer-order"')
    return html[start : html.index("</p>", start)]


def link(transfer) -> str:
    url = reverse("staff:transfer_detail", args=[transfer.pk])
    return f'<a href="{url}">{transfer}</a>'


def closed_short_and_asked_again(shop, warehouse, variant, associate, received):
    """A pickup of two at the shop, both on their way from the warehouse; the shop
    receives ``received`` of them and closes the transfer short ("box damaged"):
    the missing units are asked again from another warehouse."""
    stock(variant, warehouse, 2)
    order = pickup_order(store=shop, lines=[(variant, 2)])
    first = Transfer.objects.get(reference_id=order.number)
    ship_transfer(transfer=first)
    stock(variant, WarehouseFactory(code="WH02", name="Napoli DC"), 3)
    if received:
        receive_transfer(
            transfer=first, quantities={variant.pk: received}, actor=associate
        )
    close_transfer_short(transfer=first, actor=associate, reason="box damaged")
    again = order.fulfilments.get().transfer
    assert again.pk != first.pk
    return order, first, again


@pytest.mark.parametrize("received", [1, 0])
def test_the_transfer_closed_short_names_the_one_now_bringing_the_goods(
    staff_client, shop, warehouse, variant, associate, received
):
    order, first, again = closed_short_and_asked_again(
        shop, warehouse, variant, associate, received
    )

    text = said(staff_client, first)

    assert "cancelled" not in text and "free stock" not in text
    assert f"order {order.number}</a>, {WAITS}" in text
    assert f"what did not arrive comes on transfer {link(again)}" in text
    waiting = said(staff_client, again)
    assert "Brings the goods of <a href=" in waiting
    assert f"order {order.number}</a>, {WAITS}" in waiting
    assert "cancelled with the order" in waiting  # not shipped yet


def test_once_the_order_is_collected_no_transfer_says_its_customer_waits(
    staff_client, shop, warehouse, variant, associate
):
    order, first, again = closed_short_and_asked_again(
        shop, warehouse, variant, associate, 1
    )
    receive_transfer(transfer=ship_transfer(transfer=again), actor=associate)
    mark_picked(order=order, actor=associate, location=shop)
    order = mark_ready(order=order, actor=associate, location=shop)
    collect_order(order=order, actor=associate, code=order.pickup_code, location=shop)

    for transfer in (first, again):
        text = said(staff_client, transfer)
        assert WAITS not in text and "cancelled" not in text
        assert f"order {order.number}</a>, handed over to its customer" in text


def test_once_the_order_is_cancelled_both_transfers_say_so(
    staff_client, shop, warehouse, variant, associate
):
    order, first, again = closed_short_and_asked_again(
        shop, warehouse, variant, associate, 1
    )

    cancel_order(order=order, actor=associate, reason="Changed their mind")

    assert "which was cancelled: they are free stock" in said(staff_client, first)
    assert "which was cancelled: nothing travels for it" in said(staff_client, again)
