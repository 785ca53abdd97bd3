"""A request to a manager outlives the screen that made it: asked again (after a
reload, or from the page once left), the associate's open request for the very
same move is found rather than a second made, and once approved the move goes
through at once with it, used once. The associate sees their open requests again
and withdraws one: it leaves the manager's queue, and no later yes revives it.
A yes never used shows to the manager as such."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.staff.once import new_token
from orders.models import CartLine, Return, ReturnStatus
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
FADED = {"price": "20.00", "reason": "faded"}
MINE = reverse("staff:approval_mine") + "?kind=price_override"


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def manager_device(manager):
    device = Client()
    device.force_login(manager)
    return device


@pytest.fixture
def coat(store):
    item = VariantFactory(sku="COAT-NAVY-M", price=D("200.00"))
    stock(item, store, 10)
    return item


@pytest.fixture
def price_url(desk, coat):
    """The coat in the sale basket; where its price is changed."""
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    return reverse("staff:sale_line_price", args=[CartLine.objects.get().pk])


def counter_price():
    return CartLine.objects.get().counter_price


def approve(manager_device, request: Approval):
    url = reverse("staff:approval_decide", args=[request.pk])
    return manager_device.post(url, {"decision": "approve"}, **HTMX)


def queue(manager_device) -> str:
    return manager_device.get(reverse("staff:approval_queue")).content.decode()


def test_asking_twice_for_the_same_price_makes_one_request(
    desk, price_url, manager_device
):
    first = desk.post(price_url, FADED, **HTMX)
    again = desk.post(price_url, FADED, **HTMX)  # the page reloaded, asked again

    request = Approval.objects.get()
    for response in (first, again):
        assert response.status_code == 202
        assert f'data-approval="{request.pk}"' in response.content.decode()
    assert request.status == ApprovalStatus.PENDING
    assert 'Waiting <span class="muted">(1)</span>' in queue(manager_device)
    assert counter_price() is None


def test_asked_again_once_approved_the_price_is_set_at_once_and_the_yes_used(
    desk, price_url, manager_device
):
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()
    desk.get(reverse("staff:sale"))  # the associate left the panel
    approve(manager_device, request)

    again = desk.post(price_url, FADED, **HTMX)

    assert again.status_code == 200
    assert 'data-testid="counter-price-COAT-NAVY-M"' in again.content.decode()
    assert counter_price() == D("20.00")
    request.refresh_from_db()
    assert (request.status, request.used_at is not None) == (ApprovalStatus.USED, True)
    assert Approval.objects.count() == 1
    # used once: the price put back and set again asks a manager anew
    desk.post(price_url, {**FADED, "action": "list"}, **HTMX)
    anew = desk.post(price_url, FADED, **HTMX)
    assert anew.status_code == 202
    assert Approval.objects.filter(status=ApprovalStatus.PENDING).count() == 1
    assert counter_price() is None


def test_a_yes_is_not_taken_for_another_price_on_the_same_line(
    desk, price_url, manager_device
):
    desk.post(price_url, FADED, **HTMX)
    approve(manager_device, Approval.objects.get())

    other = desk.post(price_url, {"price": "30.00", "reason": "faded"}, **HTMX)

    assert other.status_code == 202
    assert counter_price() is None
    assert Approval.objects.get(status=ApprovalStatus.APPROVED).summary.count("20.00")
    assert Approval.objects.filter(status=ApprovalStatus.PENDING).count() == 1


def return_form(order):
    line = order.lines.get()
    return {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": "original",
        "action": "refund",
        "once": new_token(),
    }


def test_a_refund_asked_again_at_the_returns_desk_once_approved_goes_through(
    desk, store, associate, manager_device
):
    order = counter_sale(
        store=store, lines=[(stocked(store, 3, price="200.00"), 1)], staff=associate
    )
    url = reverse("staff:return_start", args=[order.number])
    assert desk.post(url, return_form(order), **HTMX).status_code == 202
    assert desk.post(url, return_form(order), **HTMX).status_code == 202
    request = Approval.objects.get(kind=ApprovalKind.REFUND)
    approve(manager_device, request)

    done = desk.post(url, return_form(order), **HTMX)

    assert done.status_code == 200 and "HX-Redirect" in done
    assert Return.objects.get().status == ReturnStatus.REFUNDED
    request.refresh_from_db()
    assert request.status == ApprovalStatus.USED
    assert Approval.objects.count() == 1


def test_the_associate_sees_their_waiting_price_change_and_withdraws_it(
    desk, price_url, manager_device, manager
):
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()

    shown = desk.get(MINE, **HTMX).content.decode()
    assert f'data-approval="{request.pk}" data-status="pending"' in shown
    assert "Price override" in shown and "at 20.00 EUR" in shown
    assert "A manager has not answered yet" in shown
    assert 'data-testid="approval-withdraw"' in shown

    withdraw = reverse("staff:approval_withdraw", args=[request.pk])
    after = desk.post(withdraw + "?kind=price_override", **HTMX)

    page = after.content.decode()
    assert after.status_code == 200
    assert 'data-testid="approval-withdrawn"' in page
    assert 'data-testid="my-approval"' not in page
    request.refresh_from_db()
    assert request.status == ApprovalStatus.WITHDRAWN
    assert request.withdrawn_at is not None and request.decided_by is None
    seen = queue(manager_device)
    assert 'Waiting <span class="muted">(0)</span>' in seen
    assert "Withdrawn by Giulia Bianchi" in seen
    # a later yes, from the queue or with the PIN on the asking device, is refused
    late = approve(manager_device, request)
    assert late.status_code == 422 and "already withdrawn" in late.content.decode()
    pin = reverse("staff:approval_pin", args=[request.pk])
    typed = desk.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert typed.status_code == 422 and "HX-Trigger" not in typed
    sent_back = desk.post(price_url, {**FADED, "approval": request.pk}, **HTMX)
    assert sent_back.status_code == 422
    request.refresh_from_db()
    assert request.status == ApprovalStatus.WITHDRAWN
    assert counter_price() is None


def test_asked_again_after_withdrawing_a_new_request_waits(desk, price_url):
    desk.post(price_url, FADED, **HTMX)
    first = Approval.objects.get()
    desk.post(reverse("staff:approval_withdraw", args=[first.pk]), **HTMX)

    again = desk.post(price_url, FADED, **HTMX)

    assert again.status_code == 202
    second = Approval.objects.exclude(pk=first.pk).get()
    assert second.status == ApprovalStatus.PENDING
    assert f'data-approval="{second.pk}"' in again.content.decode()


def test_withdrawing_without_htmx_leads_back_to_the_list(desk, price_url):
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()
    url = reverse("staff:approval_withdraw", args=[request.pk])

    done = desk.post(url + "?kind=price_override")

    assert done.status_code == 302 and done["Location"] == MINE
    page = desk.get(done["Location"]).content.decode()
    assert "You withdrew the request; nothing was changed." in page
    assert 'data-testid="my-approvals-empty"' in page


def test_another_associate_cannot_see_nor_withdraw_the_request(desk, store, price_url):
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()
    other = Client()
    other.force_login(StaffFactory(store=store, username="luca"))

    for url in ("staff:approval_withdraw", "staff:approval_cancel"):
        assert other.post(reverse(url, args=[request.pk]), **HTMX).status_code == 404
    assert 'data-testid="my-approval"' not in other.get(MINE, **HTMX).content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_the_list_is_only_of_the_kinds_asked_and_refuses_an_unknown_one(
    desk, price_url
):
    desk.post(price_url, FADED, **HTMX)
    refunds = reverse("staff:approval_mine") + "?kind=refund"
    assert 'data-testid="my-approval"' not in desk.get(refunds, **HTMX).content.decode()
    everything = desk.get(reverse("staff:approval_mine")).content.decode()
    assert 'data-testid="my-approval"' in everything
    unknown = reverse("staff:approval_mine") + "?kind=anything"
    assert desk.get(unknown, **HTMX).status_code == 400


def test_a_yes_never_used_shows_to_the_manager_as_not_used(
    desk, price_url, manager_device
):
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()
    approve(manager_device, request)

    waiting = queue(manager_device)
    assert "Approved, not used yet" in waiting
    assert f'data-testid="unused-row" data-approval="{request.pk}"' in waiting
    shown = desk.get(MINE, **HTMX).content.decode()
    assert f'data-approval="{request.pk}" data-status="approved"' in shown
    assert "Approved by Marco Rossi" in shown

    Approval.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    lapsed = queue(manager_device)
    assert 'data-testid="unused-row"' not in lapsed
    assert "Approved, never used: expired" in lapsed


def test_a_panel_shown_for_a_request_approved_meanwhile_carries_on_by_itself(
    desk, price_url, manager_device
):
    """Approved between the move's refusal and the panel: the panel asks for the
    status once as it loads, and the answer sends the form again."""
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()
    approve(manager_device, request)
    request.refresh_from_db()
    status = reverse("staff:approval_status", args=[request.pk])

    panel = render_to_string("approvals/_status.html", {"approval": request})
    polled = desk.get(status, **HTMX)

    assert f'hx-get="{status}"' in panel and 'hx-trigger="load"' in panel
    assert polled["HX-Trigger"] == "approval-granted"
    assert "hx-trigger" not in polled.content.decode()
