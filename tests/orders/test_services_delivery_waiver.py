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
from orders.services.delivery_waiver import (
    FeeWaiver,
    waive_delivery_fee,
    withdraw_fee_waiver,
)
from orders.services.fulfilment import mark_picked, ship_order
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
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


def waive(cart, actor, store, *, approvals=(), method="delivery", buyer=None, **kwargs):
    """The fee waived on the sale of one coat (120.00) for ``buyer`` (a profile, or
    none attached)."""
    return waive_delivery_fee(
        cart=cart,
        channel=kwargs.pop("channel", Channel.PHONE),
        method=method,
        fee=kwargs.pop("fee", D("4.90")),
        currency="EUR",
        country="IT",
        goods=kwargs.pop("goods", D("120.00")),
        customer_id=buyer.pk if buyer is not None else None,
        customer=buyer.full_name if buyer is not None else "",
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
        staff_sale=StaffSale(delivery_waiver=waiver),
        **kwargs,
    )


def approved_waiver(coat, store, associate, manager, buyer) -> tuple[Cart, FeeWaiver]:
    cart = basket(coat)
    with pytest.raises(ApprovalRequired) as asked:
        waive(cart, associate, store, buyer=buyer)
    yes = approved(asked.value, associate, manager)
    return cart, waive(cart, associate, store, approvals=[yes.pk], buyer=buyer)


def test_an_associates_waiver_waits_for_a_manager_and_the_order_pays_no_delivery(
    store, associate, manager, coat, ada
):
    cart = basket(coat)
    with pytest.raises(ApprovalRequired) as asked:
        waive(cart, associate, store, buyer=ada)
    assert asked.value.ask.amount == D("4.90")
    yes = approved(asked.value, associate, manager)
    assert yes.summary == (
        "Waive the 4.90 EUR delivery fee of Ada Bianchi's sale of 120.00 EUR "
        "delivered to IT"
    )

    waiver = waive(cart, associate, store, approvals=[yes.pk], buyer=ada)

    assert waiver == FeeWaiver(
        amount=D("4.90"),
        currency="EUR",
        reason="Late parcel",
        goods=D("120.00"),
        country="IT",
        customer_id=ada.pk,
        customer="Ada Bianchi",
        approval_id=yes.pk,
    )
    assert Approval.objects.get(pk=yes.pk).status == ApprovalStatus.APPROVED
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
    cart, waiver = approved_waiver(coat, store, associate, manager, ada)
    sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)

    with pytest.raises(Conflict, match="no manager's approval"):
        sell(coat, store, basket(coat), staff=associate, waiver=waiver, customer=ada)

    assert Order.objects.count() == 1


def test_a_waiver_no_manager_approved_is_refused(store, associate, manager, coat, ada):
    cart = basket(coat)
    sale = {"goods": D("120.00"), "country": "IT", "customer_id": ada.pk}
    for forged in (
        FeeWaiver(D("4.90"), "EUR", "Late parcel", **sale),
        FeeWaiver(D("4.90"), "EUR", "Late parcel", **sale, approval_id=123456),
    ):
        with pytest.raises(Conflict, match="no manager's approval"):
            sell(coat, store, cart, staff=associate, waiver=forged, customer=ada)
    other_cart, waiver = approved_waiver(coat, store, associate, manager, ada)
    with pytest.raises(Conflict):  # approved for another basket
        sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)
    assert not Order.objects.exists()
    assert cart.status == other_cart.status == CartStatus.OPEN


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.APP])
def test_the_storefront_never_waives_whatever_it_sends(
    store, associate, manager, coat, ada, channel
):
    cart, waiver = approved_waiver(coat, store, associate, manager, ada)

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
                staff_sale=StaffSale(delivery_waiver=waiver),
            )
        assert refused.value.code == "delivery_waiver_not_allowed"
    with pytest.raises(ValidationFailed):  # nor a shop's sale with no staff behind it
        sell(coat, store, cart, staff=None, waiver=waiver, customer=ada)
    assert not Order.objects.exists()


def test_a_fee_above_the_one_waived_is_refused(store, associate, coat, ada, settings):
    settings.OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER = False
    cart = basket(coat)
    waiver = waive(cart, associate, store, fee=D("3.00"), buyer=ada)
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
    cart, waiver = approved_waiver(coat, store, associate, manager, ada)
    order = sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)
    ship_order(order=mark_picked(order=order))  # nothing left to send her

    erase_customer(customer=ada, reason="Ticket GDPR-7", forfeit_balance=True)

    kept = DeliveryFeeWaiver.objects.get(order=order)
    assert (kept.amount, kept.reason) == (D("4.90"), ERASED_TEXT)
    assert order.history.order_by("at", "id").first().note == (
        f"Placed via Phone · delivery fee 4.90 EUR waived: {ERASED_TEXT} · approved "
        "by Marco Rossi"
    )
    yes = Approval.objects.get(pk=waiver.approval_id)
    assert yes.reason == ERASED_TEXT
    assert ada.full_name not in yes.summary
    assert yes.summary.startswith("Waive the 4.90 EUR delivery fee of ")
    assert yes.summary.endswith(f"{ERASED_TEXT}'s sale of 120.00 EUR delivered to IT")


def test_a_waiver_goes_only_to_the_customer_and_goods_the_manager_read(
    store, associate, manager, coat, ada
):
    cart, waiver = approved_waiver(coat, store, associate, manager, ada)
    assert Approval.objects.get(pk=waiver.approval_id).summary == (
        "Waive the 4.90 EUR delivery fee of Ada Bianchi's sale of 120.00 EUR "
        "delivered to IT"
    )
    bruno = make_customer(email="bruno@example.com", first_name="Bruno")

    with pytest.raises(Conflict) as someone_else:
        sell(coat, store, cart, staff=associate, waiver=waiver, customer=bruno)
    shirt = stocked(store, 5, price="60.00", sku="SHIRT-WHT-M")
    with pytest.raises(Conflict) as other_goods:
        place_order(
            lines=[LineRequest(shirt, 1)],
            channel=Channel.PHONE,
            fulfilment="delivery",
            address=ADDRESS,
            placing_location=store,
            staff=associate,
            customer=ada,
            payments=[PaymentRequest("card_in_store")],
            cart=cart,
            staff_sale=StaffSale(delivery_waiver=waiver),
        )

    assert (
        someone_else.value.code
        == other_goods.value.code
        == ("delivery_waiver_other_sale")
    )
    assert "another customer: waive it again" in someone_else.value.message
    assert other_goods.value.message == (
        "The delivery fee was waived on goods of 120.00 EUR; they now come to 60.00 "
        "EUR: waive it again."
    )
    assert not Order.objects.exists()
    assert Approval.objects.get(pk=waiver.approval_id).status == (
        ApprovalStatus.APPROVED
    )
    order = sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)
    assert (order.delivery_fee, order.delivery_fee_waiver.approval_id) == (
        D("0.00"),
        waiver.approval_id,
    )


def test_the_approval_stays_approved_until_the_order_uses_it(
    store, associate, manager, coat, ada
):
    cart, waiver = approved_waiver(coat, store, associate, manager, ada)
    yes = Approval.objects.get(pk=waiver.approval_id)
    assert (yes.status, yes.used_at) == (ApprovalStatus.APPROVED, None)

    order = sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)

    yes.refresh_from_db()
    assert (yes.status, yes.used_at) == (ApprovalStatus.USED, order.created_at)
    assert yes.delivery_fee_waiver.order == order


def test_a_yes_withdrawn_before_payment_waives_nothing(
    store, associate, manager, coat, ada
):
    cart, waiver = approved_waiver(coat, store, associate, manager, ada)

    withdraw_fee_waiver(waiver, actor=associate)

    yes = Approval.objects.get(pk=waiver.approval_id)
    assert yes.status == ApprovalStatus.WITHDRAWN
    assert yes.withdrawn_at is not None and yes.decided_by == manager
    with pytest.raises(Conflict, match="no manager's approval: waive it again"):
        sell(coat, store, cart, staff=associate, waiver=waiver, customer=ada)
    assert not Order.objects.exists()


def test_the_same_sale_sent_twice_gets_its_first_order(
    store, associate, manager, coat, ada
):
    """A double tap on Pay: the second request read the basket before the first
    placed it, and is answered with that order, as any replay of its key is."""
    cart, waiver = approved_waiver(coat, store, associate, manager, ada)
    read_by_the_second = Cart.objects.get(pk=cart.pk)
    key = f"sale:{cart.token}"
    first = sell(
        coat,
        store,
        cart,
        staff=associate,
        waiver=waiver,
        customer=ada,
        idempotency_key=key,
    )

    again = sell(
        coat,
        store,
        read_by_the_second,
        staff=associate,
        waiver=waiver,
        customer=ada,
        idempotency_key=key,
    )

    assert (again.pk, again.idempotent_replay) == (first.pk, True)
    assert Order.objects.count() == DeliveryFeeWaiver.objects.count() == 1
    assert Approval.objects.get(pk=waiver.approval_id).status == ApprovalStatus.USED
    with pytest.raises(Conflict, match="no manager's approval"):  # another key
        sell(
            coat,
            store,
            read_by_the_second,
            staff=associate,
            waiver=waiver,
            customer=ada,
            idempotency_key="sale:another-basket",
        )
