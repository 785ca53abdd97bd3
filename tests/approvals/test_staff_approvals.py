"""The approval screens through the staff pages: the associate's screen asks, the
manager's PIN on the same device (wrong, locked, right), the manager's queue on
their own device (scoped to their shops, fixed queries), the status the asking
screen polls, and a manager's own PIN."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import (
    Approval,
    ApprovalKind,
    ApprovalPin,
    ApprovalStatus,
)
from omnistore.staff.once import new_token
from orders.models import Order, OrderStatus, Return, ReturnStatus
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import ready_order, shop, stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def manager_device(manager):
    device = Client()
    device.force_login(manager)
    return device


def sale(store, associate, price="200.00"):
    return counter_sale(
        store=store, lines=[(stocked(store, 3, price=price), 1)], staff=associate
    )


def return_form(order, **extra):
    line = order.lines.get()
    return {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": "original",
        "action": "refund",
        "once": new_token(),
        **extra,
    }


def ask_refund(desk, order, **extra):
    url = reverse("staff:return_start", args=[order.number])
    return desk.post(url, return_form(order, **extra), **HTMX)


def test_a_big_refund_shows_the_approval_panel_in_place_of_the_form(
    desk, store, associate, manager
):
    order = sale(store, associate)
    response = ask_refund(desk, order)
    page = response.content.decode()
    assert response.status_code == 202
    request = Approval.objects.get()
    assert 'id="return-form"' in page and 'data-testid="approval-ask"' in page
    assert f"Refund 200.00 EUR on order {order.number}" in page
    assert f'<option value="{manager.pk}">Marco Rossi (marco)</option>' in page
    # the original form is kept to send again, with the approval
    assert 'name="action" value="refund"' in page
    assert f'name="approval" value="{request.pk}"' in page
    assert 'hx-trigger="approval-granted from:body once"' in page
    assert not Return.objects.exists()


def test_the_managers_pin_on_the_same_device_approves_and_the_refund_completes(
    desk, store, associate, manager
):
    order = sale(store, associate)
    ask_refund(desk, order)
    request = Approval.objects.get()
    pin = reverse("staff:approval_pin", args=[request.pk])

    wrong = desk.post(pin, {"manager": manager.pk, "pin": "1111"}, **HTMX)
    assert wrong.status_code == 422
    assert "Wrong PIN: 4 tries left" in wrong.content.decode()
    assert "HX-Trigger" not in wrong

    right = desk.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert right.status_code == 200 and right["HX-Trigger"] == "approval-granted"
    assert "Approved by Marco Rossi with their PIN" in right.content.decode()

    done = ask_refund(desk, order, approval=request.pk)
    assert done.status_code == 200 and "HX-Redirect" in done
    ret = Return.objects.get()
    assert ret.status == ReturnStatus.REFUNDED
    refunded = ret.history.get(to_status=ReturnStatus.REFUNDED)
    assert refunded.note == "Original payment method · approved by Marco Rossi"
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.channel) == (
        ApprovalStatus.USED,
        manager,
        "pin",
    )


def test_five_wrong_pins_lock_it_with_a_clear_message(desk, store, associate, manager):
    ask_refund(desk, sale(store, associate))
    request = Approval.objects.get()
    pin = reverse("staff:approval_pin", args=[request.pk])
    for _ in range(4):
        desk.post(pin, {"manager": manager.pk, "pin": "1111"}, **HTMX)
    locked = desk.post(pin, {"manager": manager.pk, "pin": "1111"}, **HTMX)
    assert locked.status_code == 422
    text = locked.content.decode()
    assert "Too many wrong PINs: Marco Rossi&#x27;s PIN is locked until" in text
    assert "Approve from the manager&#x27;s own device" in text
    still = desk.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert still.status_code == 422 and "locked until" in still.content.decode()
    assert Approval.objects.get().status == ApprovalStatus.PENDING


@pytest.mark.parametrize("typed", ["abcd", "12ab", "２４６８", "12"])
def test_a_pin_that_is_not_4_to_8_digits_is_refused_as_typed_and_costs_no_try(
    desk, store, associate, manager, typed
):
    ask_refund(desk, sale(store, associate))
    request = Approval.objects.get()
    pin = reverse("staff:approval_pin", args=[request.pk])

    refused = desk.post(pin, {"manager": manager.pk, "pin": typed}, **HTMX)

    assert refused.status_code == 422
    assert "A PIN is 4 to 8 digits." in refused.content.decode()
    assert ApprovalPin.objects.get(user=manager).failures == 0
    wrong = desk.post(pin, {"manager": manager.pk, "pin": "1111"}, **HTMX)
    assert "Wrong PIN: 4 tries left before it locks." in wrong.content.decode()
    assert Approval.objects.get().status == ApprovalStatus.PENDING


def test_a_pin_of_a_manager_of_another_shop_is_not_offered(
    desk, store, associate, manager
):
    other = make_approver(
        StaffFactory(store=shop(code="TO01"), role=Role.STORE_MANAGER), pin="1357"
    )
    panel = ask_refund(desk, sale(store, associate)).content.decode()
    assert f'<option value="{other.pk}"' not in panel
    request = Approval.objects.get()
    pin = reverse("staff:approval_pin", args=[request.pk])
    response = desk.post(pin, {"manager": other.pk, "pin": "1357"}, **HTMX)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_the_queue_approves_from_the_managers_device_and_the_screen_carries_on(
    desk, store, associate, manager_device
):
    order = sale(store, associate)
    ask_refund(desk, order)
    request = Approval.objects.get()
    status = reverse("staff:approval_status", args=[request.pk])
    waiting = desk.get(status, **HTMX)
    assert 'hx-trigger="every 2s"' in waiting.content.decode()
    assert "HX-Trigger" not in waiting

    queue = manager_device.get(reverse("staff:approval_queue"))
    assert f'data-approval="{request.pk}"' in queue.content.decode()
    decide = reverse("staff:approval_decide", args=[request.pk])
    refreshed = manager_device.post(decide, {"decision": "approve"}, **HTMX)
    assert refreshed.status_code == 200
    assert 'data-testid="queue-empty"' in refreshed.content.decode()

    granted = desk.get(status, **HTMX)
    assert granted["HX-Trigger"] == "approval-granted"
    assert "every 2s" not in granted.content.decode()
    ask_refund(desk, order, approval=request.pk)
    assert Return.objects.get().status == ReturnStatus.REFUNDED


def test_a_refusal_and_its_reason_reach_the_asking_screen(
    desk, store, associate, manager_device
):
    ask_refund(desk, sale(store, associate))
    request = Approval.objects.get()
    queue = manager_device.get(reverse("staff:approval_queue")).content.decode()
    assert 'name="note"' in queue and 'data-testid="decision-note"' in queue
    decide = reverse("staff:approval_decide", args=[request.pk])

    unsaid = manager_device.post(decide, {"decision": "refuse", "note": " "}, **HTMX)
    assert unsaid.status_code == 422
    assert "Say why you refuse" in unsaid.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING

    said = {"decision": "refuse", "note": "Not without the receipt"}
    decided = manager_device.post(decide, said, **HTMX)
    assert "Not without the receipt" in decided.content.decode()  # decided lately
    shown = desk.get(reverse("staff:approval_status", args=[request.pk]), **HTMX)
    assert "Refused by Marco Rossi: Not without the receipt" in shown.content.decode()
    assert "HX-Trigger" not in shown


def test_the_queue_poll_leaves_a_note_being_typed_until_something_changes(
    desk, store, associate, manager_device
):
    ask_refund(desk, sale(store, associate))
    url = reverse("staff:approval_queue")
    page = manager_device.get(url).content.decode()
    queue = page.split('data-testid="approval-queue"')[1]
    poll = queue.split('hx-get="')[1].split('"')[0]
    assert poll.startswith(f"{url}?seen=")

    unchanged = manager_device.get(poll, **HTMX)
    assert unchanged.status_code == 204 and not unchanged.content

    ask_refund(desk, sale(store, associate))
    changed = manager_device.get(poll, **HTMX)
    assert changed.status_code == 200
    assert changed.content.decode().count('data-testid="queue-row"') == 2


@pytest.mark.parametrize("decision", [None, "", "yes", "APPROVE"])
def test_a_decision_that_is_neither_button_decides_nothing(
    desk, store, associate, manager_device, decision
):
    ask_refund(desk, sale(store, associate))
    request = Approval.objects.get()
    decide = reverse("staff:approval_decide", args=[request.pk])
    sent = {} if decision is None else {"decision": decision}
    refused = manager_device.post(decide, sent, **HTMX)
    assert refused.status_code == 422
    assert "Choose Approve or Refuse." in refused.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and request.decided_by is None


def test_the_queue_is_the_managers_and_their_shops_only(
    desk, store, associate, manager_device
):
    ask_refund(desk, sale(store, associate))
    elsewhere = shop(code="TO01")
    theirs = StaffFactory(store=elsewhere)
    other_desk = Client()
    other_desk.force_login(theirs)
    ask_refund(other_desk, sale(elsewhere, theirs))
    mine, other = Approval.objects.order_by("pk")
    page = manager_device.get(reverse("staff:approval_queue")).content.decode()
    assert f'data-approval="{mine.pk}"' in page
    assert f'data-approval="{other.pk}"' not in page
    decide = reverse("staff:approval_decide", args=[other.pk])
    assert manager_device.post(decide, {"decision": "approve"}).status_code == 404
    # associates have no queue, and see only their own requests' status
    assert desk.get(reverse("staff:approval_queue")).status_code == 404
    assert (
        desk.get(reverse("staff:approval_status", args=[other.pk])).status_code == 404
    )


@pytest.mark.parametrize("waiting", [1, 5])
def test_the_queue_costs_a_fixed_number_of_queries(
    store, manager_device, waiting, django_assert_num_queries
):
    for _ in range(waiting):
        asker = StaffFactory(store=store)
        device = Client()
        device.force_login(asker)
        ask_refund(device, sale(store, asker))
    # one reads the shops the user belongs to; one the approvals not used yet
    with django_assert_num_queries(9):
        response = manager_device.get(reverse("staff:approval_queue"), **HTMX)
    assert response.content.decode().count('data-testid="queue-row"') == waiting


def test_a_manager_sets_their_pin_and_an_associate_cannot(desk, manager_device):
    url = reverse("staff:approval_my_pin")
    assert desk.get(url).status_code == 404
    differ = manager_device.post(url, {"pin": "8642", "again": "8641"})
    assert (
        differ.status_code == 422 and "The two PINs differ" in differ.content.decode()
    )
    weak = manager_device.post(url, {"pin": "1111", "again": "1111"})
    assert weak.status_code == 422 and "one digit repeated" in weak.content.decode()
    saved = manager_device.post(url, {"pin": "8642", "again": "8642"})
    assert saved.status_code == 302


def test_a_return_without_a_receipt_asks_from_the_return_form(
    desk, store, associate, manager_device
):
    order = sale(store, associate, price="20.00")
    waiting = ask_refund(desk, order, without_receipt="on")
    assert waiting.status_code == 202
    request = Approval.objects.get()
    assert request.kind == ApprovalKind.RETURN_WITHOUT_RECEIPT
    manager_device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    ask_refund(desk, order, without_receipt="on", approval=request.pk)
    assert Return.objects.get().note.startswith("Without a receipt")


def test_a_refund_from_the_return_page_asks_too(desk, store, associate, manager):
    order = sale(store, associate)
    ask_refund(desk, order, action="receive")
    ret = Return.objects.get()
    assert ret.status == ReturnStatus.RECEIVED
    url = reverse("staff:return_refund", args=[ret.code])
    waiting = desk.post(url, {"refund_method": "original"}, **HTMX)
    assert waiting.status_code == 202
    assert 'id="return-actions"' in waiting.content.decode()
    assert Approval.objects.get().amount == Decimal("200.00")


def test_a_pickup_without_the_code_is_handed_over_once_a_manager_approves(
    desk, store, manager
):
    order = ready_order(store=store, lines=[(stocked(store, 3), 1)])
    url = reverse("staff:pickup_collect", args=[order.number])
    form = {"identity_checked": "on", "note": "ID card AX123, name matches"}
    waiting = desk.post(url, form, **HTMX)
    assert waiting.status_code == 202
    assert 'id="collect"' in waiting.content.decode()  # in the form's place
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY
    request = Approval.objects.get(kind=ApprovalKind.PICKUP_BY_IDENTITY)
    pin = reverse("staff:approval_pin", args=[request.pk])
    granted = desk.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert granted["HX-Trigger"] == "approval-granted"
    done = desk.post(url, {**form, "approval": request.pk})
    assert done.status_code == 302
    assert done["Location"] == reverse("staff:pickup_desk")
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ApprovalStatus.USED, manager)
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.COLLECTED
    assert order.history.last().note == (
        "Identity checked: ID card AX123, name matches · approved by Marco Rossi"
    )


def test_the_associate_can_stop_waiting(desk, store, associate):
    ask_refund(desk, sale(store, associate))
    request = Approval.objects.get()
    stopped = desk.post(reverse("staff:approval_cancel", args=[request.pk]), **HTMX)
    assert "You withdrew the request; nothing was changed." in stopped.content.decode()
    assert Approval.objects.get().status == ApprovalStatus.WITHDRAWN
    assert not Return.objects.exists()


def test_the_way_back_never_leaves_the_site(desk, store, associate):
    ask_refund(desk, sale(store, associate))
    request = Approval.objects.get()
    stopped = desk.post(
        reverse("staff:approval_cancel", args=[request.pk]),
        {"back": "https://elsewhere.example/staff/"},
        **HTMX,
        HTTP_HX_CURRENT_URL="https://elsewhere.example/staff/",
    ).content.decode()
    assert "elsewhere.example" not in stopped
    assert f'href="{reverse("staff:dashboard")}" data-testid="approval-back"' in stopped


def test_an_expired_request_polled_hides_the_pin_form_and_leads_back(
    desk, store, associate
):
    ask_refund(desk, sale(store, associate))
    request = Approval.objects.get()
    Approval.objects.filter(pk=request.pk).update(expires_at=request.requested_at)
    back = reverse("staff:sale")
    status = reverse("staff:approval_status", args=[request.pk])
    shown = desk.get(status, {"back": back}, **HTMX).content.decode()
    assert "The request expired; nothing was changed" in shown
    assert f'<div id="approval-pin-{request.pk}" hx-swap-oob="true" hidden>' in shown
    assert f'href="{back}" data-testid="approval-back"' in shown
