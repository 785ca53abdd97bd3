"""A shop waives the delivery fee of a sale it sends home, as a goodwill gesture, from
the checkout panel: with a reason, by a manager at once, by an associate once a
manager approves (PIN on the device, or from their queue). The total shown, the
payment asked, the card reader's charge and the order agree; the order keeps the
fee waived, who waived it, who approved and why. Undone before payment, the fee is
charged again; a pickup, a sale taken now and a waiver with no reason are refused
as form errors."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.markets import forget_tax_table
from inventory.models import Location, Market
from omnistore.accounts.models import Role
from omnistore.approvals.models import (
    Approval,
    ApprovalChannel,
    ApprovalKind,
    ApprovalStatus,
)
from omnistore.core.channels import Channel
from orders.models import (
    DeliveryFeeWaiver,
    Order,
    PaymentMethod,
    TerminalIntent,
    TerminalIntentStatus,
)
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.terminal_helpers import reader, simulator
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Torino 1",
    "postcode": "20123",
    "city": "Milano",
    "country": "IT",
}
CARD = PaymentMethod.CARD_IN_STORE
LATE = {"waiver-why": "late", "waiver-detail": "Parcel lost for a week"}
WAIVE = reverse("staff:sale_delivery_waiver")


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
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(shop):
    return make_approver(
        StaffFactory(
            store=shop,
            role=Role.STORE_MANAGER,
            first_name="Marco",
            last_name="Rossi",
        ),
        pin="2468",
    )


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def manager_device(manager):
    device = Client()
    device.force_login(manager)
    return device


@pytest.fixture
def coat(shop):
    item = VariantFactory(sku="COAT-BLK-L", price="120.00")
    stock(item, shop, 3)
    stock(item, WarehouseFactory(code="WH01", name="Piacenza DC"), 3)
    return item


@pytest.fixture
def ada():
    return make_customer(phone="+393331234567", email="ada@example.com")


def start_delivery(client, coat, *, phone=True) -> str:
    """A sale of one coat for Ada, delivered home; the sale page as it shows it."""
    if phone:
        client.post(reverse("staff:sale_phone"), {"phone": "on"}, **HTMX)
    client.post(reverse("staff:sale_add"), {"code": coat.sku}, **HTMX)
    client.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": "3331234567"},
        **HTMX,
    )
    return client.get(reverse("staff:sale") + "?mode=delivery").content.decode()


def waive(client, **data):
    return client.post(WAIVE, {**ADDRESS, "mode": "delivery", **data}, **HTMX)


def checkout(client, **data):
    return client.post(
        reverse("staff:sale_checkout"),
        {"mode": "delivery", "method_1": CARD, **ADDRESS, **data},
        **HTMX,
    )


def shown_total(html: str) -> str:
    return html.split('<strong id="checkout-total">', 1)[1].split("<", 1)[0]


def shown_delivery(html: str) -> str:
    return html.split('data-testid="delivery-fee">', 1)[1].split("<", 1)[0]


def test_an_associate_asks_a_manager_approves_by_pin_and_the_order_pays_no_delivery(
    staff, associate, manager, coat, ada
):
    html = start_delivery(staff, coat)
    assert shown_total(html) == "124.90 EUR"
    assert 'data-testid="waive-fee"' in html

    asked = waive(staff, **LATE)

    assert asked.status_code == 202
    assert 'id="sale-checkout"' in asked.content.decode()  # in the checkout's place
    request = Approval.objects.get()
    assert (request.kind, request.status, request.amount, request.currency) == (
        ApprovalKind.DELIVERY_FEE_WAIVER,
        ApprovalStatus.PENDING,
        Decimal("4.90"),
        "EUR",
    )
    assert request.summary == (  # whose sale, of how much: what the yes covers
        "Waive the 4.90 EUR delivery fee of Giulia Bianchi's sale of 120.00 EUR "
        "delivered to IT"
    )
    assert request.reason == "Late parcel: Parcel lost for a week"
    assert shown_total(staff.get(reverse("staff:sale")).content.decode()) == (
        "124.90 EUR"  # nothing waived while the manager has not said yes
    )

    pin = reverse("staff:approval_pin", args=[request.pk])
    right = staff.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert right["HX-Trigger"] == "approval-granted"
    done = waive(staff, **LATE, approval=request.pk)  # the panel sends it again

    assert done.status_code == 200
    html = done.content.decode()
    assert shown_delivery(html) == "waived"
    assert shown_total(html) == "120.00 EUR"
    assert 'value="Via Torino 1"' in html  # the address typed is kept

    placed = checkout(staff)

    order = Order.objects.get()
    assert placed["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert (order.channel, order.subtotal, order.delivery_fee, order.total) == (
        Channel.PHONE,
        Decimal("120.00"),
        Decimal("0.00"),
        Decimal("120.00"),
    )
    assert [p.amount for p in order.payments.all()] == [Decimal("120.00")]
    assert order.net_total + order.tax_total == order.total
    placed_step = order.history.get()
    assert placed_step.actor == associate  # who waived it
    assert placed_step.note == (
        "Placed via Phone · delivery fee 4.90 EUR waived: Late parcel: Parcel "
        "lost for a week · approved by Marco Rossi"
    )
    waiver = DeliveryFeeWaiver.objects.get(order=order)
    assert (waiver.amount, waiver.currency, waiver.waived_by, waiver.approval) == (
        Decimal("4.90"),
        "EUR",
        associate,
        request,
    )
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.channel) == (
        ApprovalStatus.USED,
        manager,
        ApprovalChannel.PIN,
    )


def test_without_a_managers_yes_the_fee_stays_and_is_charged(
    staff, associate, manager, coat, ada
):
    start_delivery(staff, coat)
    first = waive(staff, **LATE)
    assert first.status_code == 202
    # Another approval of the associate's (for something else) does not waive it.
    other = Approval.objects.create(
        kind=ApprovalKind.DELIVERY_FEE_WAIVER,
        status=ApprovalStatus.APPROVED,
        location=associate.store,
        subject="cart:0:delivery_fee",
        summary="Another sale",
        amount=Decimal("4.90"),
        currency="EUR",
        requested_by=associate,
        decided_by=manager,
        decided_at=timezone.now(),
        expires_at=timezone.now() + timedelta(minutes=5),
    )

    again = waive(staff, **LATE, approval=other.pk)

    assert again.status_code == 202
    assert shown_total(staff.get(reverse("staff:sale")).content.decode()) == (
        "124.90 EUR"
    )
    checkout(staff)
    order = Order.objects.get()
    assert (order.delivery_fee, order.total) == (Decimal("4.90"), Decimal("124.90"))
    assert not DeliveryFeeWaiver.objects.exists()
    assert Approval.objects.get(pk=other.pk).status == ApprovalStatus.APPROVED


def test_a_manager_waives_at_once_and_the_order_page_and_admin_show_it(
    manager_device, manager, coat, ada
):
    open_counter_till(manager)
    start_delivery(manager_device, coat, phone=False)

    done = waive(manager_device, **{"waiver-why": "complaint", "waiver-detail": ""})

    assert done.status_code == 200
    assert shown_total(done.content.decode()) == "120.00 EUR"
    assert not Approval.objects.exists()  # recorded by the order that takes it
    checkout(manager_device)
    order = Order.objects.get()
    own = Approval.objects.get()
    assert (own.status, own.channel, own.decided_by) == (
        ApprovalStatus.USED,
        ApprovalChannel.SELF,
        manager,
    )
    assert own.delivery_fee_waiver.order == order
    assert (order.channel, order.delivery_fee, order.total) == (
        Channel.STORE,
        Decimal("0.00"),
        Decimal("120.00"),
    )
    assert order.history.get().note == (
        "Placed via Store · delivery fee 4.90 EUR waived: Complaint"
    )

    page = manager_device.get(reverse("staff:order_detail", args=[order.number]))
    shown = page.content.decode().split('data-testid="order-fee-waiver">', 1)[1]
    assert shown.startswith(
        "Delivery fee waived: <strong>4.90 EUR</strong>, by Marco Rossi ·"
    )
    assert "Why: Complaint" in shown.split("</p>", 1)[0]

    admin = Client()
    admin.force_login(StaffFactory(is_staff=True, is_superuser=True, role=Role.HQ))
    change = admin.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "4.90 EUR by Marco Rossi: Complaint" in change.content.decode()


def test_a_waiver_without_a_reason_is_a_form_error(staff, coat, ada):
    start_delivery(staff, coat)

    none = waive(staff, **{"waiver-why": "", "waiver-detail": ""})
    other = waive(staff, **{"waiver-why": "other", "waiver-detail": "  "})

    assert none.status_code == other.status_code == 422
    assert "Choose why the fee is waived." in none.content.decode()
    assert "Say what happened." in other.content.decode()
    assert shown_total(other.content.decode()) == "124.90 EUR"
    assert not Approval.objects.exists()
    assert "sale_delivery_waiver" not in staff.session


@pytest.mark.parametrize("mode", ["pickup", "carry_out"])
def test_a_sale_not_delivered_home_has_no_fee_to_waive(staff, coat, ada, mode):
    start_delivery(staff, coat, phone=False)
    staff.get(reverse("staff:sale") + f"?mode={mode}")

    refused = staff.post(WAIVE, {**LATE, "mode": mode}, **HTMX)

    assert refused.status_code == 422
    assert "a pickup or a sale taken now has none to waive" in (
        refused.content.decode()
    )
    assert not Approval.objects.exists()
    assert "sale_delivery_waiver" not in staff.session


def test_undone_before_payment_the_fee_is_charged_again(
    staff, manager, coat, ada, settings
):
    settings.OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER = False  # associates waive alone
    start_delivery(staff, coat)
    assert shown_total(waive(staff, **LATE).content.decode()) == "120.00 EUR"

    undone = waive(staff, action="undo")

    assert undone.status_code == 200
    assert shown_total(undone.content.decode()) == "124.90 EUR"
    assert shown_delivery(undone.content.decode()) == "4.90 EUR"
    checkout(staff)
    order = Order.objects.get()
    assert (order.delivery_fee, order.total) == (Decimal("4.90"), Decimal("124.90"))
    assert order.history.get().note == "Placed via Phone"
    assert not DeliveryFeeWaiver.objects.exists()


def test_the_card_reader_charges_the_total_shown_with_the_fee_waived(
    staff, shop, associate, coat, ada, settings
):
    settings.OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER = False
    reader(shop, label="Till 1")
    start_delivery(staff, coat)
    shown = shown_total(waive(staff, **LATE).content.decode())

    checkout(staff)

    intent = TerminalIntent.objects.get(status=TerminalIntentStatus.PENDING)
    assert f"{intent.amount} {intent.currency}" == shown == "120.00 EUR"
    simulator().decide(intent.provider_reference, TerminalIntentStatus.SUCCEEDED)
    staff.get(reverse("staff:sale_terminal", args=[intent.reference]), **HTMX)
    order = Order.objects.get()
    assert (order.delivery_fee, order.total) == (Decimal("0.00"), Decimal("120.00"))
    assert order.payments.get().amount == Decimal("120.00")
    waiver = DeliveryFeeWaiver.objects.get(order=order)
    assert (waiver.amount, waiver.waived_by, waiver.approval) == (
        Decimal("4.90"),
        associate,
        None,
    )


def waived_by_pin(client, manager) -> Approval:
    """The associate's waiver, approved by the manager's PIN on the device."""
    asked = waive(client, **LATE)
    assert asked.status_code == 202
    request = Approval.objects.filter(status=ApprovalStatus.PENDING).get()
    pin = reverse("staff:approval_pin", args=[request.pk])
    client.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    done = waive(client, **LATE, approval=request.pk)
    assert shown_delivery(done.content.decode()) == "waived"
    request.refresh_from_db()
    return request


def test_a_fee_waived_for_one_customer_is_not_carried_to_another(
    staff, associate, manager, coat, ada
):
    start_delivery(staff, coat)
    yes = waived_by_pin(staff, manager)
    assert yes.status == ApprovalStatus.APPROVED  # no order has used it

    detached = staff.post(reverse("staff:sale_customer"), {"action": "detach"}, **HTMX)

    html = detached.content.decode()  # the checkout again, out of band
    assert shown_delivery(html) == "4.90 EUR"
    assert '<strong id="checkout-total" hx-swap-oob="true">124.90 EUR' in html
    assert "sale_delivery_waiver" not in staff.session
    bruno = make_customer(
        phone="+393339876543", email="bruno@example.com", first_name="Bruno"
    )
    staff.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": "3339876543"},
        **HTMX,
    )
    page = staff.get(reverse("staff:sale") + "?mode=delivery").content.decode()
    assert (shown_delivery(page), shown_total(page)) == ("4.90 EUR", "124.90 EUR")
    checkout(staff)
    order = Order.objects.get()
    assert (order.customer, order.delivery_fee, order.total) == (
        bruno,
        Decimal("4.90"),
        Decimal("124.90"),
    )
    assert order.history.get().note == "Placed via Phone"
    assert not DeliveryFeeWaiver.objects.exists()
    yes.refresh_from_db()  # withdrawn with the customer, never shown as done
    assert (yes.status, yes.withdrawn_at is not None) == (
        ApprovalStatus.WITHDRAWN,
        True,
    )


def test_goods_changed_after_the_waiver_pay_the_fee_again(
    staff, shop, manager, coat, ada
):
    scarf = VariantFactory(sku="SCARF-RED", price="15.00")
    stock(scarf, shop, 3)
    stock(scarf, Location.objects.get(code="WH01"), 3)  # sent from where the coat is
    start_delivery(staff, coat)
    yes = waived_by_pin(staff, manager)

    added = staff.post(reverse("staff:sale_add"), {"code": scarf.sku}, **HTMX)

    html = added.content.decode()
    assert shown_delivery(html) == "4.90 EUR"
    assert '<strong id="checkout-total" hx-swap-oob="true">139.90 EUR' in html
    checkout(staff)
    order = Order.objects.get()
    assert (order.subtotal, order.delivery_fee, order.total) == (
        Decimal("135.00"),
        Decimal("4.90"),
        Decimal("139.90"),
    )
    assert not DeliveryFeeWaiver.objects.exists()
    yes.refresh_from_db()
    assert yes.status == ApprovalStatus.WITHDRAWN


def test_an_undone_or_cleared_waiver_leaves_its_approval_withdrawn_not_done(
    staff, manager, coat, ada
):
    start_delivery(staff, coat)
    first = waived_by_pin(staff, manager)

    undone = waive(staff, action="undo")

    assert shown_total(undone.content.decode()) == "124.90 EUR"
    first.refresh_from_db()
    assert (first.status, first.decided_by) == (ApprovalStatus.WITHDRAWN, manager)
    second = waived_by_pin(staff, manager)  # waived again: asked again
    assert second.pk != first.pk and second.status == ApprovalStatus.APPROVED

    staff.post(reverse("staff:sale_clear"))

    second.refresh_from_db()
    assert second.status == ApprovalStatus.WITHDRAWN
    assert not Approval.objects.filter(status=ApprovalStatus.USED).exists()
    assert not Order.objects.exists()
