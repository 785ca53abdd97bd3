"""A cash refund the till cannot pay (its drawer holds less, or it is not open) is
refused before a manager is asked to approve it, so no approval is spent on a refund
that then fails; the returns desk says so up front, and the associate refunds
another way. A 189.00 item paid in cash at Torino comes back at Milano, whose drawer
should hold 104.10; refunds above 150.00 need a manager."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.approvals.models import Approval
from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token
from orders.models import PaymentMethod, RefundMethod, Return, ReturnStatus
from orders.services.refunds import refund_return, return_at_counter
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
DRAWER = {D("50"): 2, D("2"): 2, D("0.10"): 1}  # 104.10
SHORT = "The drawer should hold 104.10: 189.00 cannot go out."


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = D("150.00")


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def torino():
    return LocationFactory(code="TO01", name="Torino Via Roma")


@pytest.fixture
def associate(milano):
    return StaffFactory(store=milano)


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


def cash_sale(torino, *, customer=True):
    """A 189.00 coat paid in cash at Torino's counter."""
    clerk = StaffFactory(store=torino)
    return counter_sale(
        store=torino,
        lines=[(stocked(torino, 3, price="189.00"), 1)],
        staff=clerk,
        customer=make_customer(phone="+393331234567") if customer else None,
        tenders=[(PaymentMethod.CASH, "189.00")],
        till=TillBooking(open_counter_till(clerk), None),
    )


def start_form(order, method="original") -> dict:
    line = order.lines.get()
    return {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": method,
        "action": "refund",
    }


def refund_option(html: str) -> str:
    """The "Original payment method" radio and its label."""
    start = html.index('value="original"')
    return html[html.rindex("<label", 0, start) : html.index("</label>", start)]


def refund_choices(html: str) -> dict[str, str]:
    """The refund method radios on the page: value → the input tag."""
    tags = re.findall(r'<input[^>]*name="refund_method"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', tag).group(1): tag for tag in tags}


def test_a_cash_refund_the_drawer_cannot_pay_is_refused_before_a_manager_is_asked(
    desk, associate, torino
):
    sale = cash_sale(torino)
    open_counter_till(associate, counts=DRAWER)

    refused = desk.post(
        reverse("staff:return_start", args=[sale.number]), start_form(sale), **HTMX
    )

    assert refused.status_code == 422
    assert SHORT in refused.content.decode()
    assert not Approval.objects.exists()  # no manager asked for nothing
    assert not Return.objects.exists()


def test_the_return_page_says_up_front_and_refuses_a_hand_made_cash_refund(
    desk, associate, milano, torino
):
    sale = cash_sale(torino)
    open_counter_till(associate, counts=DRAWER)
    ret = return_at_counter(
        order=sale.number,
        lines=[line_request(sale)],
        location=milano,
        actor=associate,
        refund_now=False,
    )

    page = desk.get(reverse("staff:return_detail", args=[ret.code]))

    html = page.content.decode()
    assert " disabled" in refund_choices(html)["original"]
    option = refund_option(html)
    assert f"not here. It was paid in cash: {SHORT} Refund it another way" in option
    refused = desk.post(
        reverse("staff:return_refund", args=[ret.code]),
        {"refund_method": RefundMethod.ORIGINAL},
        **HTMX,
    )
    assert refused.status_code == 422
    assert SHORT in refused.content.decode()
    assert not Approval.objects.exists()
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED


def test_the_service_refuses_the_cash_before_asking_for_an_approval(
    associate, milano, torino
):
    sale = cash_sale(torino)
    open_counter_till(associate, counts=DRAWER)
    ret = return_at_counter(
        order=sale.number,
        lines=[line_request(sale)],
        location=milano,
        actor=associate,
        refund_now=False,
    )

    with pytest.raises(ValidationFailed) as refused:
        refund_return(
            return_request=ret,
            actor=associate,
            method=RefundMethod.ORIGINAL,
            location=milano,
        )

    assert refused.value.code == "cash_out_exceeds_drawer"
    assert refused.value.message == SHORT
    assert not Approval.objects.exists()


def test_with_the_till_closed_the_desk_offers_store_credit_not_cash(desk, torino):
    sale = cash_sale(torino)

    html = desk.get(reverse("staff:return_start", args=[sale.number])).content.decode()

    choices = refund_choices(html)
    assert " disabled" in choices["original"]
    assert " checked" in choices["store_credit"]
    assert " disabled" not in choices["store_credit"]
    assert "this shop&#x27;s till is not open: open it at the counter first" in (
        refund_option(html)
    )
    assert 'data-testid="refund-elsewhere"' not in html


def test_a_walk_in_cash_sale_with_the_till_closed_is_refunded_from_an_open_till(
    desk, torino
):
    """Without a customer profile there is no store credit either: the desk says
    the cash needs an open till."""
    sale = cash_sale(torino, customer=False)

    html = desk.get(reverse("staff:return_start", args=[sale.number])).content.decode()

    assert 'data-testid="refund-elsewhere"' in html
    assert "Paid in cash: refund it from an open till holding the cash." in html
