"""What a customer reads of their order names associates by first name and initial
("Giulia B."), as the rest of the customer API does: who served on the receipt, the
manager who approved a move in the order's history (API and data export). Staff
pages keep the full names."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from omnistore.approvals.models import Approval, ApprovalChannel, ApprovalKind
from orders.models import OrderStatus, OrderStatusChange, ReturnStatusChange
from orders.selectors.orders import APPROVED_BY, approval_subject
from orders.services.refunds import return_at_counter
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import (
    business,
    cash_sale_with_change,
    entity_shop,
    item,
    legal_entity,
)
from tests.orders.returns_helpers import api_client_for, line_request, shopper

pytestmark = pytest.mark.django_db
NOTE = "Customer asked at the counter"


@pytest.fixture
def shop():
    return entity_shop(legal_entity())


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(shop):
    return StaffFactory(store=shop, first_name="Marco", last_name="Rossi")


@pytest.fixture
def nora():
    user, _ = shopper("nora@example.com")
    return user, business(email="nora@example.com", user=user)


@pytest.fixture
def order(shop, associate, manager, nora):
    """Giulia's sale to Nora, with a move Marco approved, noted as the services
    note it."""
    shirt = item(shop, "Oxford shirt", "SHIRT", "61.00")
    sold = cash_sale_with_change(
        shop=shop,
        associate=associate,
        lines=[(shirt, 1)],
        tendered="100",
        customer=nora[1],
    )
    now = timezone.now()
    Approval.objects.create(
        kind=ApprovalKind.REFUND,
        status="used",
        location=shop,
        subject=approval_subject(sold),
        summary="Refund",
        requested_by=associate,
        expires_at=now + timedelta(minutes=10),
        decided_by=manager,
        decided_at=now,
        channel=ApprovalChannel.PIN,
    )
    OrderStatusChange.objects.create(
        order=sold,
        from_status=sold.status,
        to_status=OrderStatus.CANCELLED,
        actor=associate,
        location=shop,
        note=f"{NOTE}{APPROVED_BY}Marco Rossi",
    )
    return sold


def test_my_receipt_names_who_served_by_first_name_and_initial(order, nora):
    response = api_client_for(nora[0]).get(f"/api/v1/orders/{order.number}/receipt/")

    assert response.status_code == 200, response.json()
    assert response.json()["served_by"] == "Giulia B."


def test_my_order_history_names_the_approving_manager_by_first_name_and_initial(
    order, nora
):
    response = api_client_for(nora[0]).get(f"/api/v1/orders/{order.number}/")

    assert response.status_code == 200, response.json()
    notes = [change["note"] for change in response.json()["history"]]
    assert f"{NOTE} · approved by Marco R." in notes
    assert not any("Rossi" in note for note in notes)


def test_my_data_export_names_the_approving_manager_by_first_name_and_initial(
    order, nora
):
    response = api_client_for(nora[0]).get("/api/v1/me/export/")

    assert response.status_code == 200
    exported = next(o for o in response.json()["orders"] if o["number"] == order.number)
    notes = [change["note"] for change in exported["history"]]
    assert f"{NOTE} · approved by Marco R." in notes
    assert "Rossi" not in response.content.decode()


def test_the_staff_order_page_keeps_the_full_note(client, order, manager):
    client.force_login(manager)

    response = client.get(reverse("staff:order_detail", args=[order.number]))

    assert response.status_code == 200
    assert f"{NOTE} · approved by Marco Rossi" in response.content.decode()
    order.refresh_from_db()
    assert order.history.last().note == f"{NOTE} · approved by Marco Rossi"


def test_my_exported_returns_name_the_approving_manager_by_first_name_and_initial(
    order, nora, shop, associate
):
    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=shop,
        actor=associate,
    )
    ReturnStatusChange.objects.create(
        return_request=ret,
        from_status=ret.status,
        to_status=ret.status,
        actor=associate,
        location=shop,
        note=f"Cash{APPROVED_BY}Marco Rossi",
    )
    response = api_client_for(nora[0]).get("/api/v1/me/export/")

    assert response.status_code == 200
    (exported,) = response.json()["returns"]
    notes = [change["note"] for change in exported["history"]]
    assert "Cash · approved by Marco R." in notes
    assert "Rossi" not in response.content.decode()
