"""A transfer requested for a customer's order (click and collect sourced from another
location) is not cancelled from the stock screens: the order waits for it, so it is
cancelled with the order, from the order's page."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from inventory.models import Transfer, TransferStatus
from inventory.services.transfers import cancel_transfer
from omnistore.accounts.models import Role
from omnistore.core.exceptions import Conflict
from orders.services.fulfilment import cancel_order
from tests.factories import StaffFactory, UserFactory, stock
from tests.inventory.staff_helpers import HTMX, level, login_as, open_transfer
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop, warehouse, variant):
    """A paid pickup at the shop whose unit lies at the warehouse: a transfer
    brings it."""
    stock(variant, warehouse, 2)
    return pickup_order(store=shop, lines=[(variant, 1)])


def the_transfer(order) -> Transfer:
    return Transfer.objects.get(reference_type="order", reference_id=order.number)


def test_the_order_brings_its_unit_by_a_transfer(order, shop, warehouse, variant):
    transfer = the_transfer(order)
    assert (transfer.source, transfer.destination) == (warehouse, shop)
    assert transfer.status == TransferStatus.REQUESTED
    assert level(variant, warehouse).reserved == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_an_associate_cannot_cancel_an_orders_transfer(
    staff_client, order, warehouse, variant, htmx
):
    transfer = the_transfer(order)
    response = staff_client.post(
        reverse("staff:transfer_cancel", args=[transfer.pk]), **(HTMX if htmx else {})
    )
    assert response.status_code == 422
    message = response.context["action_error"]
    assert order.number in message
    assert "cancelled with the order" in message
    assert escape(message) in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED
    assert level(variant, warehouse).reserved == 1


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.HQ])
def test_nor_can_a_manager_or_hq_from_the_stock_screens(
    client, order, shop, warehouse, variant, role
):
    user = (
        UserFactory(role=Role.HQ)
        if role == Role.HQ
        else StaffFactory(store=shop, role=role)
    )
    login_as(client, user)
    transfer = the_transfer(order)
    response = client.post(reverse("staff:transfer_cancel", args=[transfer.pk]))
    assert response.status_code == 422
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED
    assert level(variant, warehouse).reserved == 1


def test_the_page_offers_no_cancel_and_names_the_order(staff_client, order):
    transfer = the_transfer(order)
    response = staff_client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["can_cancel"] is False
    assert reverse("staff:transfer_cancel", args=[transfer.pk]) not in html
    assert reverse("staff:order_detail", args=[order.number]) in html
    assert 'data-testid="transfer-order"' in html


def test_the_source_still_ships_an_orders_transfer(client, order, warehouse):
    login_as(client, UserFactory(role=Role.HQ))
    transfer = the_transfer(order)
    page = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    assert page.context["can_ship"] is True
    response = client.post(reverse("staff:transfer_ship", args=[transfer.pk]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT


def test_a_transfer_with_no_order_behind_it_is_still_cancelled(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 3)
    transfer = open_transfer(shop, other_shop, [(variant, 2)])
    page = staff_client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    assert page.context["can_cancel"] is True
    response = staff_client.post(reverse("staff:transfer_cancel", args=[transfer.pk]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED


def test_the_service_cancels_an_orders_transfer_only_with_its_order(
    order, warehouse, variant
):
    transfer = the_transfer(order)

    with pytest.raises(Conflict) as refused:
        cancel_transfer(transfer=transfer, note="no van")
    assert refused.value.code == "transfer_for_reference"
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED

    cancel_order(order=order, reason="Changed their mind")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED
    assert level(variant, warehouse).reserved == 0
