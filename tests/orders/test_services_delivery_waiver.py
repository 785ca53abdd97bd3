"""A delivery fee waived by the shop taking the sale: asked with a reason, approved
by a manager (or a manager's own), taken by checkout only from a staff sale
delivered home with that very approval, once; the order pays no delivery and keeps
what was waived, who waived it, who approved and why. Erasing the customer keeps
the amounts and the names, not the reason typed."""

from decimal import Decimal

import pytest

from customers.privacy import ERASED_TEXT
from customers.services.erasure import erase_customer
from inventory.markets import forget_tax_table
from inventory.models import Market
from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalStatus
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import Cart, CartStatus, DeliveryFeeWaiver, Order
from orders.services.carts import add_cart_lines, create_cart
from orders.services.checkout import LineRequest, place_order
from orders.services.delivery_waiver import FeeWaiver, waive_delivery_fee
from orders.services.fulfilment import mark_picked, ship_order
from orders.services.payments import PaymentRequest
from tests.approvals.helpers import approved, make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, stock
from tests.orders.factories import ADDRESS, shop, stocked, warehouse

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 200.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=D("4.90"), free_delivery_from=D("200.00")
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
def coat(store):
    item = stocked(store, 5, price="120.00", sku="COAT-BLK-L")
    stock(item, warehouse(code="WH01"), 5)
    return item


@pytest.fixture
def ada():
    return make_customer(email="ada@example.com", first_name="Ada")


def basket(coat) -> Cart:
    cart = create_cart(channel=Channel.STORE)
    add_cart_lines(cart=cart, lines=[(coat.pk, 1)])
    return cart


def waive(cart, actor, store, *, approvals=(), method="delivery", **kwargs):
    return waive_delivery_fee(
        cart=cart,
        channel=kwargs.pop("channel", Channel.PHONE),
        method=method,
        fee=kwargs.pop("fee", D("4.90")),
        currency="EUR",
        country="IT",
        reason=kwargs.pop("reason", "Late parcel"),
        actor=actor,
        location=store,
        approvals=approvals,
    )


def sell(coat, store, cart, *, staff, waiver, channel=Channel.PHONE, **kwargs):
    return place_order(
        lines=[LineRequest(coat, 1)],
        channel=channel,
        fulfilment="delivery",
        address=ADDRESS,
        placing_location=store,
        staff=staff,
        payments=[PaymentRequest("card_in_store", amount=kwargs.pop("paid", None))],
        cart=cart,
        delivery_waiver=waiver,
        **kwargs,
    )


def approved_waiver(coat, store, associate, manager) -> tuple[Cart, FeeWaiver]:
    cart = basket(coat)
    with pytest.raises(ApprovalRequired) as asked:
        waive(cart, associate, store)
    yes = approved(asked.value, associate, manager)
    return cart, waive(cart, associate, store, approvals=[yes.pk])


def test_an_associates_waiver_waits_for_a_manager_and_the_order_pays_no_delivery(
    store, associate, manager, coat, ada
):
    cart = basket(coat)
    with pytest.raises(ApprovalRequired) as asked:
        waive(cart, associate, store)
    assert asked.value.ask.amount == D("4.90")
    yes = approved(asked.value, associate, manager)

    waiver = waive(cart, associate, store, approvals=[yes.pk])

    assert waiver == FeeWaiver(D("4.90"), "EUR", "Late parcel", yes.pk)
    order = sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)
    assert (order.subtotal, order.delivery_fee, order.total) == (
        D("120.00"),
        D("0.00"),
        D("120.00"),
    )
    assert [p.amount for p in order.payments.all()] == [D("120.00")]
    assert sum(t.gross for t in order.tax_totals.all()) == order.total
    kept = DeliveryFeeWaiver.objects.get(order=order)
    assert (kept.amount, kept.currency, kept.reason, kept.waived_by) == (
        D("4.90"),
        "EUR",
        "Late parcel",
        associate,
    )
    assert kept.approval == Approval.objects.get(pk=yes.pk, status=ApprovalStatus.USED)
    placed = order.history.get()
    assert (placed.actor, placed.note) == (
        associate,
        "Placed via Phone · delivery fee 4.90 EUR waived: Late parcel · approved by "
        "Marco Rossi",
    )


def test_a_managers_own_waiver_needs_no_one_and_names_no_approver(store, manager, coat):
    cart = basket(coat)
    waiver = waive(cart, manager, store, channel=Channel.STORE)

    order = sell(
        coat,
        store,
        cart,
        staff=manager,
        waiver=waiver,
        channel=Channel.STORE,
        email="ada@example.com",
    )

    assert (order.delivery_fee, order.total) == (D("0.00"), D("120.00"))
    assert order.history.get().note == (
        "Placed via Store · delivery fee 4.90 EUR waived: Late parcel"
    )
    assert order.delivery_fee_waiver.approval.decided_by == manager


def test_an_approval_waives_one_order_only(store, associate, manager, coat, ada):
    cart, waiver = approved_waiver(coat, store, associate, manager)
    sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)

    with pytest.raises(Conflict, match="no manager's approval"):
        sell(coat, store, basket(coat), staff=associate, waiver=waiver, customer=ada)

    assert Order.objects.count() == 1


def test_a_waiver_no_manager_approved_is_refused(store, associate, manager, coat, ada):
    cart = basket(coat)
    for forged in (
        FeeWaiver(D("4.90"), "EUR", "Late parcel"),
        FeeWaiver(D("4.90"), "EUR", "Late parcel", approval_id=123456),
    ):
        with pytest.raises(Conflict, match="no manager's approval"):
            sell(coat, store, cart, staff=associate, waiver=forged, customer=ada)
    other_cart, waiver = approved_waiver(coat, store, associate, manager)
    with pytest.raises(Conflict):  # approved for another basket
        sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)
    assert not Order.objects.exists()
    assert cart.status == other_cart.status == CartStatus.OPEN


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.APP])
def test_the_storefront_never_waives_whatever_it_sends(
    store, associate, manager, coat, ada, channel
):
    cart, waiver = approved_waiver(coat, store, associate, manager)

    for staff in (None, associate):
        with pytest.raises(ValidationFailed) as refused:
            place_order(
                lines=[LineRequest(coat, 1)],
                channel=channel,
                fulfilment="delivery",
                address=ADDRESS,
                customer=ada,
                staff=staff,
                payments=[PaymentRequest("card_online", token="tok_visa")],
                delivery_waiver=waiver,
            )
        assert refused.value.code == "delivery_waiver_not_allowed"
    with pytest.raises(ValidationFailed):  # nor a shop's sale with no staff behind it
        sell(coat, store, cart, staff=None, waiver=waiver, customer=ada)
    assert not Order.objects.exists()


def test_a_fee_above_the_one_waived_is_refused(store, associate, coat, ada, settings):
    settings.OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER = False
    cart = basket(coat)
    waiver = waive(cart, associate, store, fee=D("3.00"))
    assert waiver.approval_id is None

    with pytest.raises(Conflict, match="now 4.90 EUR, more than the 3.00 EUR waived"):
        sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)

    order = sell(coat, store, cart, staff=associate, waiver=None, customer=ada)
    assert (order.delivery_fee, order.total) == (D("4.90"), D("124.90"))


def test_only_a_delivery_with_a_fee_and_a_reason_is_waived(store, associate, coat):
    cart = basket(coat)
    for method in ("pickup", "carry_out"):
        with pytest.raises(ValidationFailed, match="none to waive"):
            waive(cart, associate, store, method=method)
    with pytest.raises(ValidationFailed, match="Say why"):
        waive(cart, associate, store, reason="   ")
    with pytest.raises(ValidationFailed, match="travels free"):
        waive(cart, associate, store, fee=D("0.00"))
    assert not Approval.objects.exists()


def test_erasure_keeps_the_waiver_but_not_the_reason_typed(
    store, associate, manager, coat, ada
):
    cart, waiver = approved_waiver(coat, store, associate, manager)
    order = sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)
    ship_order(order=mark_picked(order=order))  # nothing left to send her

    erase_customer(customer=ada, reason="Ticket GDPR-7", forfeit_balance=True)

    kept = DeliveryFeeWaiver.objects.get(order=order)
    assert (kept.amount, kept.reason) == (D("4.90"), ERASED_TEXT)
    assert order.history.order_by("at", "id").first().note == (
        f"Placed via Phone · delivery fee 4.90 EUR waived: {ERASED_TEXT} · approved "
        "by Marco Rossi"
    )
    assert Approval.objects.get(pk=waiver.approval_id).reason == ERASED_TEXT
