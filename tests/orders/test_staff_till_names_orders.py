"""The till's ledger names the order of each booking: a cancellation's cash refund,
booked with the reason the order was cancelled for, reads with its order's number
as a sale ("Sale OS-…") and a return's refund ("Return R-…") do, in the same
number of queries however many there are."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import PaymentMethod, TillMovement, TillMovementKind
from orders.services.fulfilment import mark_picked, ship_order
from orders.services.payments import PaymentRequest
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import delivery_order, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def no_refund_limit(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro", ships_online_orders=True)


@pytest.fixture
def associate(milano):
    return StaffFactory(store=milano)


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate, counts={Decimal("50"): 10})  # 500.00 to pay out
    return client


def cancelled_cash_sale(staff, milano, associate, reason="Customer never came"):
    """A delivery sold for cash at the counter, cancelled there: its cash goes back
    out of the drawer."""
    order = delivery_order(
        lines=[(stocked(milano, 2, price="59.90"), 1)],
        channel="store",
        placing_location=milano,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    url = reverse("staff:order_cancel", args=[order.number])
    response = staff.post(url, {"reason": reason}, **HTMX)
    assert response.status_code == 200, response.content.decode()
    return order


def refund_rows(page: str) -> list[str]:
    """The ledger's refund bookings (the opening float is a row too)."""
    rows = re.findall(r'<tr data-testid="till-line">(.*?)</tr>', page, re.S)
    return [row for row in rows if "<td>Refund</td>" in row]


def test_a_cancellations_cash_refund_names_its_order(staff, milano, associate):
    order = cancelled_cash_sale(staff, milano, associate)
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (booked.reason, booked.amount) == ("Customer never came", Decimal("-59.90"))
    named = cancelled_cash_sale(staff, milano, associate)
    TillMovement.objects.filter(order=named).update(  # a reason naming its order
        reason=f"Order {named.number} cancelled"
    )

    first, second = refund_rows(staff.get(reverse("staff:till")).content.decode())

    order_page = reverse("staff:order_detail", args=[order.number])
    assert (
        f'<span data-testid="till-order">Order <a href="{order_page}">'
        f"{order.number}</a></span> · Customer never came"
    ) in first
    assert "-59.90" in first
    assert 'data-testid="till-order"' not in second  # not said twice
    assert second.count(named.number) == 1


def test_a_refund_for_the_parts_not_shipped_names_its_order(staff, milano, associate):
    """A split delivery sold for cash: Milano's parcel leaves, the part Roma was
    to send is cancelled at the counter, and its cash refund reads with the order
    as a whole cancellation's does."""
    roma = LocationFactory(code="RM01", name="Roma Corso", ships_online_orders=True)
    order = delivery_order(
        lines=[
            (stocked(milano, 1, price="59.90"), 1),
            (stocked(roma, 1, price="189.00"), 1),
        ],
        channel="store",
        placing_location=milano,
        staff=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )
    mark_picked(order=order, actor=associate, location=milano)
    ship_order(order=order, actor=associate, location=milano)
    url = reverse("staff:order_cancel", args=[order.number])
    response = staff.post(url, {"reason": "Changed mind about the cardigan"}, **HTMX)
    assert response.status_code == 200, response.content.decode()

    (row,) = refund_rows(staff.get(reverse("staff:till")).content.decode())

    order_page = reverse("staff:order_detail", args=[order.number])
    assert (
        f'<span data-testid="till-order">Order <a href="{order_page}">'
        f"{order.number}</a></span> · Changed mind about the cardigan"
    ) in row
    assert "-189.00" in row


@pytest.mark.parametrize("more", [2])
def test_the_ledger_costs_the_same_queries_whatever_its_length(
    staff, milano, associate, more
):
    cancelled_cash_sale(staff, milano, associate)
    with CaptureQueriesContext(connection) as one:
        staff.get(reverse("staff:till"))
    for _ in range(more):
        cancelled_cash_sale(staff, milano, associate)
    with CaptureQueriesContext(connection) as several:
        page = staff.get(reverse("staff:till")).content.decode()

    assert len(refund_rows(page)) == 1 + more
    assert page.count('data-testid="till-order"') == 1 + more
    assert len(several) == len(one)
