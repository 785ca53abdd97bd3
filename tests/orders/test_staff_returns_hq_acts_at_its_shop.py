"""HQ reads every return from whichever shop it acts for, and acts on one received at
another shop only from that shop's desk, as any manager does: a cash refund is paid
from the drawer of the shop acted for, so Milano's till never pays back what Torino
took. Read from Milano, the page offers *Switch to* Torino instead of the refund, and
a refund sent anyway is refused with the reason, nothing paid; at Torino, HQ
refunds it from Torino's till."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import (
    PaymentMethod,
    Refund,
    Return,
    ReturnStatus,
    TillMovement,
    TillMovementKind,
)
from orders.services.refunds import return_at_counter
from orders.services.till import TillBooking
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def milano():
    return shop(code="MI09", name="Milano Duomo")


@pytest.fixture
def torino():
    return shop(code="TO09", name="Torino Via Roma")


@pytest.fixture
def tills(milano, torino):
    """Both shops' drawers open, one register each."""
    return {
        location.code: open_counter_till(StaffFactory(store=location))
        for location in (milano, torino)
    }


@pytest.fixture
def received_at_torino(torino, tills):
    """A sale paid in cash at Torino, brought back there and received, not refunded."""
    clerk = StaffFactory(store=torino)
    sold = counter_sale(
        store=torino,
        lines=[(stocked(torino, 5, price="25.00"), 1)],
        staff=clerk,
        tenders=[(PaymentMethod.CASH, "25.00")],
        till=TillBooking(tills["TO09"], None),
    )
    return return_at_counter(
        order=sold.number,
        lines=[line_request(sold)],
        location=torino,
        actor=clerk,
        refund_now=False,
    )


@pytest.fixture
def hq_at_milano(client, milano):
    hq = make_approver(UserFactory(role=Role.HQ, username="hq"), "Headquarters")
    client.force_login(hq)
    client.post(reverse("staff:switch_store"), {"store": milano.pk})
    return client


def refunds_paid_from(session) -> int:
    return TillMovement.objects.filter(
        session=session, kind=TillMovementKind.REFUND
    ).count()


def test_hq_reads_another_shops_return_and_is_offered_the_switch(
    hq_at_milano, received_at_torino
):
    ret = received_at_torino
    assert ret.status == ReturnStatus.RECEIVED  # its desk would offer "Refund"

    page = hq_at_milano.get(reverse("staff:return_detail", args=[ret.code]))

    assert page.status_code == 200
    html = page.content.decode()
    assert ret.code in html
    assert 'data-testid="refund"' not in html
    assert 'data-testid="acted-on-elsewhere"' in html
    assert "Switch to Torino Via Roma" in html


def test_hq_refunding_from_another_shops_drawer_is_refused(
    hq_at_milano, received_at_torino, tills
):
    ret = received_at_torino

    refused = hq_at_milano.post(
        reverse("staff:return_refund", args=[ret.code]),
        {"refund_method": "original"},
        **HTMX,
    )

    assert refused.status_code == 422
    assert "switch to Torino Via Roma to act on it" in refused.content.decode()
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED
    assert not Refund.objects.exists()
    assert refunds_paid_from(tills["MI09"]) == 0


def test_switched_to_the_returns_shop_hq_refunds_it_from_that_till(
    hq_at_milano, torino, received_at_torino, tills
):
    ret = received_at_torino
    url = reverse("staff:return_detail", args=[ret.code])
    hq_at_milano.post(reverse("staff:switch_store"), {"store": torino.pk, "next": url})
    page = hq_at_milano.get(url).content.decode()
    assert 'data-testid="refund"' in page
    assert 'data-testid="acted-on-elsewhere"' not in page

    done = hq_at_milano.post(
        reverse("staff:return_refund", args=[ret.code]), {"refund_method": "original"}
    )

    assert done.status_code == 302
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REFUNDED
    assert Refund.objects.get().amount == Decimal("25.00")
    assert (refunds_paid_from(tills["TO09"]), refunds_paid_from(tills["MI09"])) == (
        1,
        0,
    )
