"""Only a shop waives a delivery fee, on a sale its staff take: the storefront's
checkout charges the market's fee whatever a client sends, a manager's real
approval included. The customer reads a fee waived for them in their order's
history, the manager who approved named as staff are named to customers."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.markets import forget_tax_table
from inventory.models import Market
from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalStatus
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.channels import Channel
from orders.models import DeliveryFeeWaiver, Order
from orders.services.carts import add_cart_lines, create_cart
from orders.services.checkout import LineRequest, place_order
from orders.services.delivery_waiver import waive_delivery_fee
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from tests.approvals.helpers import approved, make_approver
from tests.factories import StaffFactory
from tests.orders.factories import ADDRESS, shop, stocked, warehouse
from tests.orders.returns_helpers import api_client_for, shopper

from .test_api_checkout import CARD, cart_with, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 200.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"), free_delivery_from=Decimal("200.00")
    )
    forget_tax_table()
    yield
    forget_tax_table()


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(
            store=store, role=Role.STORE_MANAGER, first_name="Marco", last_name="Rossi"
        )
    )


@pytest.fixture
def coat():
    return stocked(warehouse(code="WH01"), 5, price="120.00")


def approved_waiver(coat, store, associate, manager, buyer=None):
    """A waiver a manager approved for a sale at the shop's counter, for ``buyer``."""
    cart = create_cart(channel=Channel.STORE)
    add_cart_lines(cart=cart, lines=[(coat.pk, 1)])
    asked = {
        "cart": cart,
        "channel": Channel.PHONE,
        "method": "delivery",
        "fee": Decimal("4.90"),
        "currency": "EUR",
        "country": "IT",
        "goods": Decimal("120.00"),
        "customer_id": buyer.pk if buyer is not None else None,
        "customer": buyer.full_name if buyer is not None else "",
        "reason": "Late parcel",
        "actor": associate,
        "location": store,
    }
    with pytest.raises(ApprovalRequired) as error:
        waive_delivery_fee(**asked)
    yes = approved(error.value, associate, manager)
    return cart, waive_delivery_fee(**asked, approvals=[yes.pk])


def test_a_storefront_checkout_pays_the_delivery_fee_whatever_it_sends(
    store, associate, manager, coat
):
    _, waiver = approved_waiver(coat, store, associate, manager)
    client = APIClient()
    cart_with(client, (coat, 1))

    response = checkout(
        client,
        fulfilment="delivery",
        address={**ADDRESS, "country": "IT"},
        delivery_waiver=waiver.as_json(),
        waive_delivery_fee=True,
        delivery_fee="0.00",
        approval=waiver.approval_id,
        payment={**CARD, "amount": "120.00"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["delivery_fee"], body["total"]) == ("4.90", "124.90")
    assert [p["amount"] for p in body["payments"]] == ["124.90"]
    assert not DeliveryFeeWaiver.objects.exists()
    assert Order.objects.get().history.get().note == "Placed via Website"
    approval = Approval.objects.get(pk=waiver.approval_id)
    assert approval.status == ApprovalStatus.APPROVED  # still the counter's to use
    assert not DeliveryFeeWaiver.objects.filter(approval=approval).exists()


def test_the_customer_reads_the_fee_waived_and_the_manager_named_as_staff_are(
    store, associate, manager, coat
):
    user, customer = shopper("ada@example.com")
    cart, waiver = approved_waiver(coat, store, associate, manager, customer)
    order = place_order(
        lines=[LineRequest(coat, 1)],
        channel=Channel.PHONE,
        fulfilment="delivery",
        address=ADDRESS,
        placing_location=store,
        staff=associate,
        customer=customer,
        payments=[PaymentRequest("card_in_store")],
        cart=cart,
        staff_sale=StaffSale(delivery_waiver=waiver),
    )

    body = api_client_for(user).get(f"/api/v1/orders/{order.number}/").json()

    assert (body["delivery_fee"], body["total"]) == ("0.00", "120.00")
    assert body["history"][0]["note"] == (
        "Placed via Phone · delivery fee 4.90 EUR waived: Late parcel · approved by "
        "Marco R."
    )
