"""The refund limit on the staff screens: a return split across two visits to the
desk and an order cancelled at the counter both wait for a manager once the order's
refunds pass the limit, then go through with the approval sent back."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.staff.once import new_token
from orders.models import OrderStatus, PaymentMethod, Refund, Return, ReturnStatus
from orders.services.payments import PaymentRequest
from tests.approvals.helpers import make_approver
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import delivery_order, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
FLOAT = {D("50"): 4}  # 200.00 in the drawer


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = D("150.00")


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro", ships_online_orders=True)


@pytest.fixture
def associate(milano):
    return StaffFactory(store=milano, first_name="Luca", last_name="Verdi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def approve(milano):
    """The shop's manager saying yes from their own device."""
    manager = Client()
    manager.force_login(
        make_approver(
            StaffFactory(
                store=milano,
                role=Role.STORE_MANAGER,
                first_name="Marco",
                last_name="Rossi",
            )
        )
    )

    def yes(request: Approval):
        decide = reverse("staff:approval_decide", args=[request.pk])
        assert manager.post(decide, {"decision": "approve"}).status_code == 302

    return yes


def return_form(order, units: int) -> dict:
    line = order.lines.get()
    return {
        "once": new_token(),
        f"qty_{line.pk}": str(units),
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": "original",
        "action": "refund",
    }


def test_a_return_split_over_two_visits_waits_for_a_manager_the_second_time(
    staff, associate, milano, approve
):
    shirt = stocked(milano, 5, price="59.90")
    order = counter_sale(
        store=milano,
        lines=[(shirt, 3)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
    )
    open_counter_till(associate, counts=FLOAT)
    url = reverse("staff:return_start", args=[order.number])
    assert staff.post(url, return_form(order, 2)).status_code == 302

    form = return_form(order, 1)
    waiting = staff.post(url, form, **HTMX)
    assert waiting.status_code == 202
    page = waiting.content.decode()
    assert "A manager must approve" in page
    assert (
        f"Refund 59.90 EUR on order {order.number} (179.70 EUR with earlier refunds)"
        in page
    )
    assert Return.objects.count() == 1
    request = Approval.objects.get()
    assert (request.kind, request.amount) == (ApprovalKind.REFUND, D("59.90"))

    approve(request)
    done = staff.post(url, {**form, "approval": request.pk}, **HTMX)
    assert done.status_code == 200 and "HX-Redirect" in done
    assert Return.objects.filter(status=ReturnStatus.REFUNDED).count() == 2
    assert sum(r.amount for r in Refund.objects.all()) == D("179.70")


def test_cancelling_above_the_limit_waits_for_a_manager_then_cancels(
    staff, associate, milano, approve
):
    coat = stocked(milano, 5, price="89.90")
    order = delivery_order(
        lines=[(coat, 2)],
        channel="store",
        placing_location=milano,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    open_counter_till(associate, counts=FLOAT)
    url = reverse("staff:order_cancel", args=[order.number])

    waiting = staff.post(url, {"reason": "Found it cheaper"}, **HTMX)
    assert waiting.status_code == 202
    page = waiting.content.decode()
    assert 'id="cancel-form"' in page  # the panel takes the form's place
    assert f"Cancel order {order.number} and refund 179.80 EUR" in page
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and not Refund.objects.exists()
    request = Approval.objects.get()
    assert (request.kind, request.subject, request.amount, request.location) == (
        ApprovalKind.REFUND,
        f"order:{order.number}:cancel",
        D("179.80"),
        milano,
    )

    approve(request)
    done = staff.post(
        url, {"reason": "Found it cheaper", "approval": request.pk}, **HTMX
    )
    assert done["HX-Redirect"] == reverse("staff:order_detail", args=[order.number])
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.history.last().note == "Found it cheaper · approved by Marco Rossi"
    assert Refund.objects.get().amount == D("179.80")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.USED


def test_withdrawing_a_cancel_request_hides_the_pin_form_and_leads_back(
    staff, associate, milano
):
    make_approver(
        StaffFactory(store=milano, role=Role.STORE_MANAGER, first_name="Marco"),
        pin="4821",
    )
    coat = stocked(milano, 5, price="89.90")
    order = delivery_order(
        lines=[(coat, 2)],
        channel="store",
        placing_location=milano,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    open_counter_till(associate, counts=FLOAT)
    page = reverse("staff:order_detail", args=[order.number])
    on_page = {**HTMX, "HTTP_HX_CURRENT_URL": f"http://testserver{page}"}
    url = reverse("staff:order_cancel", args=[order.number])
    asked = staff.post(url, {"reason": "Found it cheaper"}, **on_page)
    assert 'data-testid="pin-input"' in asked.content.decode()
    request = Approval.objects.get()

    stopped = staff.post(
        reverse("staff:approval_cancel", args=[request.pk]), **on_page
    ).content.decode()
    assert "You withdrew the request; nothing was changed." in stopped
    assert 'data-status="withdrawn"' in stopped
    # the PIN form and the cancel button give way to empty, hidden elements
    assert f'<div id="approval-pin-{request.pk}" hx-swap-oob="true" hidden>' in stopped
    assert f'<div id="approval-cancel-{request.pk}" hx-swap-oob="true" hidden>' in (
        stopped
    )
    assert 'name="pin"' not in stopped and "Approve with PIN" not in stopped
    assert "hx-trigger" not in stopped
    assert f'href="http://testserver{page}" data-testid="approval-back"' in stopped
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and not Refund.objects.exists()


def test_the_manager_sees_why_the_order_is_cancelled(staff, associate, milano):
    coat = stocked(milano, 5, price="89.90")
    order = delivery_order(
        lines=[(coat, 2)],
        channel="store",
        placing_location=milano,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    open_counter_till(associate, counts=FLOAT)
    url = reverse("staff:order_cancel", args=[order.number])
    staff.post(url, {"reason": "Found it cheaper"}, **HTMX)
    assert Approval.objects.get().reason == "Found it cheaper"


def test_a_full_page_cancel_above_the_limit_shows_the_approval_page(
    staff, associate, milano
):
    coat = stocked(milano, 5, price="89.90")
    order = delivery_order(
        lines=[(coat, 2)],
        channel="store",
        placing_location=milano,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    open_counter_till(associate, counts=FLOAT)
    response = staff.post(
        reverse("staff:order_cancel", args=[order.number]), {"reason": "Wrong size"}
    )
    assert response.status_code == 202
    assert "A manager must approve" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
