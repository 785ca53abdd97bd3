"""Cancelling at the desk an order paid in cash: the cash goes back out of the
counter's open till, booked with who and when; with no till open the desk is told
why and nothing changes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.channels import Channel
from orders.models import OrderStatus, Refund, TillMovement, TillMovementKind
from orders.selectors.orders import order_by_id
from orders.services.payments import PaymentRequest
from tests.factories import (
    LocationFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.factories import delivery_order
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def cash_order(shop, associate):
    """Rung up at the counter, delivered from a warehouse, paid in cash."""
    coat = VariantFactory(sku="COAT-BLK-L", price=Decimal("120.00"))
    stock(coat, WarehouseFactory(code="WH01", name="Piacenza DC"), 3)
    return delivery_order(
        lines=[(coat, 1)],
        channel=Channel.STORE,
        placing_location=shop,
        staff=associate,
        payments=[PaymentRequest(method="cash")],
    )


def test_the_cash_goes_back_out_of_the_open_till(staff, associate, cash_order):
    till = open_counter_till(associate, counts={Decimal("50"): 4})
    response = staff.post(
        reverse("staff:order_cancel", args=[cash_order.number]), {"reason": "Wrong"}
    )
    assert response.status_code == 302
    assert order_by_id(cash_order.pk).status == OrderStatus.CANCELLED
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (booked.session, booked.amount, booked.actor) == (
        till,
        Decimal("-120.00"),
        associate,
    )


def test_with_no_till_open_the_cancel_is_refused_with_the_reason(staff, cash_order):
    response = staff.post(
        reverse("staff:order_cancel", args=[cash_order.number]),
        {"reason": "Wrong size"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Cash moves only through an open till" in response.content.decode()
    assert order_by_id(cash_order.pk).status == OrderStatus.PLACED
    assert not Refund.objects.exists()
