"""A shop's Z report counts only what its counter gave back: a manager at the shop
cancelling the parts of a split web order not yet sent, refunding a web order's
return to its card and cancelling a web order paid online gives money back through
the online provider, not the drawer — none of it is booked on the till, listed in
its refunds or counted as a void. A sale of the shop's own cancelled there is a
refund and a void, and the refunds reconcile with the drawer. An online payment a
session booked before such refunds were kept off the till is listed apart."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import (
    PaymentMethod,
    Refund,
    Register,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.till import z_report
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.till import TillBooking, open_till
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import CARD, stocked
from tests.orders.returns_helpers import collected_order, line_request
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = pytest.mark.django_db

D = Decimal
FLOAT = {D("50"): 2, D("10"): 5}  # 150.00


@pytest.fixture
def split():
    return split_shops()


@pytest.fixture
def store(split):
    return split.milano


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(
            store=store, role=Role.STORE_MANAGER, first_name="Marta", last_name="Neri"
        )
    )


@pytest.fixture
def session(store, manager):
    register = Register.objects.create(location=store, name="Till 1")
    return open_till(register=register, counts=FLOAT, actor=manager)


def web_pickup(store):
    return place_order(
        lines=[LineRequest(stocked(store, 2, price="89.00"), 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=store,
        email="pia@example.com",
        payments=CARD,
    )


def cash_pickup_sale(store, manager, session):
    """Rung up at the shop's counter, paid in cash, to be collected later."""
    return place_order(
        lines=[LineRequest(stocked(store, 2, price="59.90"), 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=manager,
        email="pia@example.com",
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
        till=TillBooking(session, D("60.00")),
    )


def test_online_payments_refunded_at_the_shop_stay_off_its_z_report(
    client, split, store, manager, session
):
    web = split_order(split, customer=make_customer(email="ada@example.com"))
    mark_picked(order=web, actor=manager, location=store)
    ship_order(order=web, actor=manager, location=store)
    cancel_order(order=web, actor=manager, reason="Out of stock", location=store)
    collected = collected_order(
        store=store,
        lines=[(stocked(store, 2, price="40.00"), 1)],
        customer=make_customer(email="pia@example.com"),
        staff=manager,
    )
    return_at_counter(
        order=collected.number,
        lines=[line_request(collected, 1)],
        location=store,
        actor=manager,
    )
    paid_online = web_pickup(store)
    cancel_order(order=paid_online, actor=manager, reason="Asked", location=store)
    own = cash_pickup_sale(store, manager, session)
    cancel_order(order=own, actor=manager, reason="Changed her mind", location=store)
    online = [web, collected, paid_online]
    assert Refund.objects.filter(payment__order__in=online).count() == 3

    report = z_report(session)

    assert not TillMovement.objects.filter(
        order__in=online, kind=TillMovementKind.REFUND
    ).exists()
    assert report.refunds_by_tender == [("Cash", D("59.90"))]
    assert report.refunds_total == D("59.90") == -report.cash["refund"]
    assert [o.number for o in report.voids] == [own.number]
    assert report.online_refunds == []
    assert report.expected == D("150.00")  # 150.00 + 59.90 − 59.90
    client.force_login(manager)
    page = client.get(reverse("staff:till_report", args=[session.pk])).content
    page = page.decode()
    assert "Card online" not in page
    assert 'data-testid="z-refunds-total">59.90<' in page
    assert web.number not in page and paid_online.number not in page


def test_an_online_payment_booked_on_the_till_before_is_listed_apart(
    client, store, manager, session
):
    """As the till booked it then: the card's money at 0.00 of cash."""
    web = web_pickup(store)
    cancel_order(order=web, actor=manager, reason="Asked", location=store)
    refund = Refund.objects.get(payment__order=web)
    TillMovement.objects.create(
        session=session,
        kind=TillMovementKind.REFUND,
        amount=D("0.00"),
        order=web,
        refund=refund,
        reason=refund.reason,
        actor=manager,
    )

    report = z_report(session)

    assert report.refunds_by_tender == [] and report.refunds_total == D("0.00")
    assert report.voids == []
    assert report.online_refunds == [("Card online", D("89.00"))]
    assert report.online_refunds_total == D("89.00")
    assert report.expected == D("150.00")
    client.force_login(manager)
    page = client.get(reverse("staff:till_report", args=[session.pk])).content
    apart = page.decode().split('data-testid="z-online-refunds">')[1]
    assert "Card online" in apart.split("</table>")[0]
