"""A manager's yes to a return outside the window (or without a receipt) covers the
items, the value and the reason the manager read: the same associate sending other
lines, more units or another reason asks again, and the yes stays for the return it
was given to. The same for a pickup handed over on identity (the note of what was
seen) and a waived delivery fee (its reason)."""

from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.channels import Channel
from omnistore.staff.once import new_token
from orders.models import OrderStatus, Return
from orders.services.carts import add_cart_lines, create_cart
from orders.services.delivery_waiver import waive_delivery_fee
from orders.services.pickups import collect_order
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import approved, make_approver
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import ready_order, stocked
from tests.orders.returns_helpers import (
    collected_order,
    counter_sale,
    days_ago,
    line_request,
    shopper,
)

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def torino():
    return LocationFactory(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def associate(torino):
    return StaffFactory(store=torino, first_name="Luca", last_name="Verdi")


@pytest.fixture
def manager(torino):
    return make_approver(
        StaffFactory(
            store=torino,
            role=Role.STORE_MANAGER,
            first_name="Marco",
            last_name="Rossi",
        )
    )


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def manager_device(manager):
    device = Client()
    device.force_login(manager)
    return device


@pytest.fixture
def late_order(torino):
    """Three shirts collected 40 days ago: the 30-day window has closed."""
    _, customer = shopper("late@example.com")
    shirt = stocked(torino, 5, price="40.00", sku="SHIRT-WHT-M")
    return collected_order(
        store=torino, lines=[(shirt, 3)], customer=customer, when=days_ago(40)
    )


def send_return(desk, order, units: int, why: str, **extra):
    line = order.lines.get()
    form = {
        "once": new_token(),
        f"qty_{line.pk}": str(units),
        f"reason_{line.pk}": "damaged",
        f"condition_{line.pk}": "damaged",
        "refund_method": "original",
        "action": "receive",
        "override_reason": why,
        **extra,
    }
    return desk.post(reverse("staff:return_start", args=[order.number]), form)


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_a_yes_to_one_shirt_for_a_defect_does_not_take_three_for_another_reason(
    desk, manager_device, late_order
):
    asked = send_return(desk, late_order, 1, "seam defect on the shirt, I checked it")
    assert asked.status_code == 202
    yes = Approval.objects.get()
    assert (yes.kind, yes.amount, yes.currency) == (
        ApprovalKind.RETURN_OUTSIDE_WINDOW,
        D("40.00"),
        "EUR",
    )
    assert yes.summary == (
        f"Return on order {late_order.number} outside the 30-day window: "
        "40.00 EUR for 1 × SHIRT-WHT-M"
    )
    decide = reverse("staff:approval_decide", args=[yes.pk])
    manager_device.post(decide, {"decision": "approve"}, **HTMX)

    other = send_return(desk, late_order, 3, "customer changed her mind")

    assert other.status_code == 202
    assert "A manager must approve" in other.content.decode()
    assert not Return.objects.exists()
    yes.refresh_from_db()
    assert (yes.status, yes.used_at) == (ApprovalStatus.APPROVED, None)
    asked_again = Approval.objects.exclude(pk=yes.pk).get()
    assert (asked_again.status, asked_again.reason, asked_again.amount) == (
        ApprovalStatus.PENDING,
        "customer changed her mind",
        D("120.00"),
    )
    assert "3 × SHIRT-WHT-M" in asked_again.summary


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_the_same_return_sent_again_goes_through_and_another_reason_asks(
    desk, manager_device, late_order
):
    send_return(desk, late_order, 1, "seam defect")
    yes = Approval.objects.get()
    decide = reverse("staff:approval_decide", args=[yes.pk])
    manager_device.post(decide, {"decision": "approve"}, **HTMX)

    # The same unit, another reason, even with the approval sent back: asked anew.
    reworded = send_return(desk, late_order, 1, "zip broke", approval=yes.pk)
    assert reworded.status_code == 202 and not Return.objects.exists()
    # More units for the approved reason: asked anew too.
    more = send_return(desk, late_order, 2, "seam defect", approval=yes.pk)
    assert more.status_code == 202 and not Return.objects.exists()

    # Sent again as approved (a reload, no approval sent): it goes through with it.
    accepted = send_return(desk, late_order, 1, "seam defect")
    assert accepted.status_code == 302
    ret = Return.objects.get()
    assert ret.lines.get().quantity == 1
    yes.refresh_from_db()
    assert yes.status == ApprovalStatus.USED
    opening = ret.history.order_by("pk").first().note
    assert opening == (
        "Accepted outside the return window: seam defect · approved by Marco Rossi"
    )


def test_a_yes_without_a_receipt_covers_the_items_and_the_value_it_was_given_for(
    torino, associate, manager
):
    order = counter_sale(
        store=torino,
        lines=[(stocked(torino, 5, price="20.00", sku="SOCK-BLU"), 3)],
        staff=associate,
    )

    def give_back(units, **kwargs):
        return return_at_counter(
            order=order.number,
            lines=[line_request(order, units)],
            location=torino,
            actor=associate,
            without_receipt=True,
            note="Gift, no slip",
            **kwargs,
        )

    with pytest.raises(ApprovalRequired) as asked:
        give_back(1)
    assert asked.value.ask.amount == D("20.00")
    assert asked.value.ask.summary.endswith(": 20.00 EUR for 1 × SOCK-BLU")
    yes = approved(asked.value, associate, manager)
    with pytest.raises(ApprovalRequired) as again:
        give_back(3, approvals=[yes.pk])
    assert again.value.ask.amount == D("60.00")
    assert Approval.objects.get(pk=yes.pk).status == ApprovalStatus.APPROVED

    ret = give_back(1, approvals=[yes.pk])
    assert ret.lines.get().quantity == 1
    used = Approval.objects.get(pk=yes.pk)
    assert (used.status, used.decided_by) == (ApprovalStatus.USED, manager)


def test_a_pickup_yes_covers_the_identity_note_the_manager_read(
    torino, associate, manager
):
    order = ready_order(store=torino, lines=[(stocked(torino, 3), 1)])

    def hand_over(note, **kwargs):
        return collect_order(
            order=order,
            actor=associate,
            identity_checked=True,
            note=note,
            location=torino,
            **kwargs,
        )

    with pytest.raises(ApprovalRequired) as asked:
        hand_over("Passport AX1 of the customer")
    yes = approved(asked.value, associate, manager)
    for approvals in ((), [yes.pk]):
        with pytest.raises(ApprovalRequired):
            hand_over("Her sister, no ID", approvals=approvals)
    assert Approval.objects.get(pk=yes.pk).status == ApprovalStatus.APPROVED

    done = hand_over("Passport AX1 of the customer")
    assert done.status == OrderStatus.COLLECTED
    assert Approval.objects.get(pk=yes.pk).status == ApprovalStatus.USED


def test_a_waived_delivery_fee_yes_covers_the_reason_given(torino, associate, manager):
    cart = create_cart(channel=Channel.STORE)
    add_cart_lines(cart=cart, lines=[(stocked(torino, 5, price="60.00").pk, 1)])

    def waive(reason, approvals=()):
        return waive_delivery_fee(
            cart=cart,
            channel=Channel.PHONE,
            method="delivery",
            fee=D("4.90"),
            currency="EUR",
            country="IT",
            goods=D("60.00"),
            customer_id=None,
            customer="",
            reason=reason,
            actor=associate,
            location=torino,
            approvals=approvals,
        )

    with pytest.raises(ApprovalRequired) as asked:
        waive("Late parcel")
    yes = approved(asked.value, associate, manager)
    with pytest.raises(ApprovalRequired):
        waive("Just because", approvals=[yes.pk])

    waiver = waive("Late parcel", approvals=[yes.pk])
    assert (waiver.reason, waiver.approval_id) == ("Late parcel", yes.pk)
