"""The Z report as the fixed record of its session: every sale rung up on the till
is a sale of that session (a void included), every refund or void given back out
of a drawer counts in that drawer's session, the figures reconcile with the drawer,
and a closed session's report never changes, whatever happens to its orders later."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import PaymentMethod, Register
from orders.selectors.till import expected_cash, z_report
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.till import TillBooking, close_till, open_till
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

D = Decimal
FLOAT = {D("50"): 2, D("10"): 5}  # 150.00


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(store=store, role=Role.STORE_MANAGER, username="marta")
    )


@pytest.fixture
def register(store):
    return Register.objects.create(location=store, name="Till 1")


@pytest.fixture
def trainers(store):
    return stocked(store, 10, price="59.90")


def cash_pickup_sale(store, associate, session, item, tendered="60.00"):
    """Rung up at the counter, paid in cash, to be collected later at the shop."""
    return place_order(
        lines=[LineRequest(item, 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="pia@example.com",
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
        till=TillBooking(session, D(tendered)),
    )


def figures(report) -> dict:
    """What a Z report states, as printed."""
    return {
        "orders": report.orders,
        "sales": report.sales_by_tender,
        "sales_total": report.sales_total,
        "refunds": report.refunds_by_tender,
        "refunds_total": report.refunds_total,
        "discounts": report.discounts,
        "voids": [(o.number, o.total) for o in report.voids],
        "voids_total": report.voids_total,
        "receipts": (report.first_receipt, report.last_receipt),
        "vat": [(v.rate, v.net, v.tax, v.gross) for v in report.vat],
        "cash": report.cash,
        "expected": report.expected,
    }


def tendered(rows, label="Cash") -> Decimal:
    return dict(rows).get(label, D("0.00"))


def reconciles(report) -> bool:
    """Float + cash sales − cash refunds + cash in − cash out = expected."""
    cash = report.cash
    return (
        cash["float"]
        + tendered(report.sales_by_tender)
        - tendered(report.refunds_by_tender)
        + cash["cash_in"]
        + cash["cash_out"]
        == report.expected
    )


def printed(client, session) -> str:
    """The Z report as the staff page prints it (the report card only)."""
    page = client.get(reverse("staff:till_report", args=[session.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('<article class="card z-report"') : html.index("</article>")]


def test_a_cash_sale_voided_in_its_session_is_a_sale_and_a_refund_once_each(
    store, associate, manager, register, trainers
):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    kept = counter_sale(
        store=store,
        lines=[(trainers, 2)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(session, D("120")),
    )
    voided = cash_pickup_sale(store, associate, session, trainers)
    cancel_order(order=voided, actor=manager, reason="Changed her mind", location=store)

    report = z_report(session)

    assert report.orders == 2
    assert report.sales_by_tender == [("Cash", kept.total + voided.total)]
    assert report.refunds_by_tender == [("Cash", D("59.90"))]
    assert [o.number for o in report.voids] == [voided.number]
    assert report.voids_total == D("59.90")
    assert report.cash["sale"] == D("179.70") and report.cash["refund"] == D("-59.90")
    # 150.00 + 179.70 − 59.90: the void is taken off once.
    assert report.expected == expected_cash(session) == D("269.80")
    assert reconciles(report)
    assert sum(v.gross for v in report.vat) == report.sales_total


def test_a_closed_sessions_z_report_stays_as_it_was_at_the_close(
    client, store, associate, manager, register, trainers
):
    """A sale of a closed session cancelled in the next one: the closed session's
    report (and its page) is unchanged; the new session shows the void and its cash
    refund, out of its own drawer."""
    first = open_till(register=register, counts=FLOAT, actor=associate)
    voided_then = cash_pickup_sale(store, associate, first, trainers)
    cancel_order(order=voided_then, actor=manager, reason="Wrong size", location=store)
    sold = cash_pickup_sale(store, associate, first, trainers)
    expected = expected_cash(first)  # 150.00 + 119.80 − 59.90
    assert expected == D("209.90")
    counts = {D("100"): 2, D("5"): 1, D("2"): 2, D("0.50"): 1, D("0.20"): 2}
    first = close_till(session=first, counts=counts, actor=associate)
    assert first.over_short == D("0.00")
    client.force_login(associate)
    at_close = figures(z_report(first))
    page_at_close = printed(client, first)
    assert at_close["orders"] == 2 and at_close["sales_total"] == D("119.80")
    assert at_close["voids"] == [(voided_then.number, D("59.90"))]
    assert reconciles(z_report(first))

    second = open_till(register=register, counts=FLOAT, actor=associate)
    cancel_order(order=sold, actor=manager, reason="Not collected", location=store)

    assert figures(z_report(first)) == at_close
    assert printed(client, first) == page_at_close
    later = z_report(second)
    assert later.orders == 0 and later.sales_total == D("0.00")
    assert later.refunds_by_tender == [("Cash", D("59.90"))]
    assert [(o.number, o.total) for o in later.voids] == [(sold.number, D("59.90"))]
    assert later.expected == D("90.10")  # 150.00 − 59.90
    assert reconciles(later)
    assert sold.number in printed(client, second)
