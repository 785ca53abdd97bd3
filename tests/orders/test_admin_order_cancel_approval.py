"""A manager cancelling in the admin an order whose refund passes the limit approves
it themselves, recorded as in the staff pages: an approval of their own, at the
order's shop they manage (their home shop when it is one of the order's). HQ's is
of no one shop. The order is paid by card: the admin, no counter, cancels no order
holding cash."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalKind,
    ApprovalStatus,
)
from orders.models import OrderStatus, PaymentMethod, Refund, TillMovement
from orders.services.payments import PaymentRequest
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.orders.factories import delivery_order, stocked

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = D("150.00")


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro", ships_online_orders=True)


@pytest.fixture
def order(milano):
    """179.80 by card, taken at Milano's counter for delivery home."""
    coat = stocked(milano, 5, price="89.90")
    return delivery_order(
        lines=[(coat, 2)],
        channel="store",
        placing_location=milano,
        staff=StaffFactory(store=milano),
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
    )


def cancel_on_its_page(client, user, order):
    client.force_login(user)
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    response = client.post(url, {"reason": "Customer rang to cancel"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def own_approval(order) -> tuple:
    approval = Approval.objects.get()
    return (
        approval.kind,
        approval.channel,
        approval.status,
        approval.subject,
        approval.amount,
        approval.location,
        approval.requested_by,
        approval.decided_by,
    )


def test_a_store_managers_cancel_in_the_admin_is_their_own_approval_at_their_shop(
    client, milano, order
):
    marco = UserFactory(username="marco", role=Role.STORE_MANAGER, store=milano)

    cancel_on_its_page(client, marco, order)

    assert own_approval(order) == (
        ApprovalKind.REFUND,
        ApprovalChannel.SELF,
        ApprovalStatus.USED,
        f"order:{order.number}:cancel",
        D("179.80"),
        milano,
        marco,
        marco,
    )
    assert Refund.objects.get().amount == D("179.80")
    assert not TillMovement.objects.exists()  # the admin is no counter


def test_an_area_managers_approval_is_at_the_orders_shop_they_manage(
    client, milano, order
):
    roma = LocationFactory(code="RM01", name="Roma")
    lucia = UserFactory(username="lucia", role=Role.AREA_MANAGER, store=roma)
    lucia.shops.add(milano)

    client.force_login(lucia)
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {
            "action": "cancel_orders",
            "_selected_action": [order.pk],
            "confirm": "1",
            "reason": "Customer rang to cancel",
        },
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert own_approval(order)[1:] == (
        ApprovalChannel.SELF,
        ApprovalStatus.USED,
        f"order:{order.number}:cancel",
        D("179.80"),
        milano,
        lucia,
        lucia,
    )


def test_hqs_cancel_in_the_admin_is_their_own_approval_of_no_shop(client, order):
    elena = UserFactory(username="elena", role=Role.HQ, is_staff=True)

    cancel_on_its_page(client, elena, order)

    assert own_approval(order)[1:] == (
        ApprovalChannel.SELF,
        ApprovalStatus.USED,
        f"order:{order.number}:cancel",
        D("179.80"),
        None,
        elena,
        elena,
    )
