"""Store credit a counter gives for goods brought back is on its till: a return
refunded as store credit at Milano Duomo's counter is booked on the session open
there as a refund by store credit that moves no cash, so the Z report lists it
under refunds as "Store credit" and the till's ledger reads it as no cash; an
exchange lists the credit its return gave back beside the replacement it paid for
as a sale. Credit given at another shop is on that shop's till; credit given at a
warehouse or away from a counter is on none. The drawer's expected cash never
moves with it, and the pages read it in a fixed number of queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from omnistore.staff.once import new_token
from orders.models import (
    PaymentMethod,
    RefundMethod,
    StoreCreditKind,
    StoreCreditTransaction,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.till import expected_cash, z_report
from orders.services.checkout import LineRequest, place_order
from orders.services.exchanges import exchange_items
from orders.services.payments import PaymentRequest
from orders.services.refunds import (
    receive_and_refund_return,
    refund_return,
    return_at_counter,
)
from orders.services.returns import request_return
from orders.services.till import TillBooking, close_till
from orders.services.till_refunds import book_counter_credit
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked, warehouse
from tests.orders.returns_helpers import counter_sale, line_request, shopper
from tests.orders.stored_value_helpers import give_points
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def duomo():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def associate(duomo):
    return StaffFactory(store=duomo, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def till_1(associate):
    """Milano Duomo's Till 1, open with a 100.00 float."""
    return open_counter_till(associate)


def sold_at_duomo(duomo, associate, till, *, price="40.00", email="pia@example.com"):
    """A bag sold at Duomo's counter by card to a customer with a profile."""
    return counter_sale(
        store=duomo,
        lines=[(stocked(duomo, 2, price=price), 1)],
        staff=associate,
        customer=make_customer(email=email),
        till=TillBooking(till),
    )


def return_as_credit(client, order):
    """The bag brought back to the counter and refunded as store credit, on the
    desk's return page."""
    line = order.lines.get()
    response = client.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": RefundMethod.STORE_CREDIT,
            "action": "refund",
        },
    )
    assert response.status_code == 302, response.content.decode()[:800]


def section(page: str, heading: str) -> list[str]:
    """A Z report table's rows under ``heading``, each as "label amount"."""
    table = page.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr")[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", "<tr" + r).split()) for r in rows]


def ledger_rows(page: str) -> list[str]:
    """The till's ledger as read: each row's cells, tags stripped."""
    rows = page.split('<tr data-testid="till-line">')[1:]
    return [
        " | ".join(
            " ".join(re.sub(r"<[^>]+>", " ", cell.split(">", 1)[1]).split())
            for cell in row.split("</tr>")[0].split("<td")[1:]
        )
        for row in rows
    ]


def test_a_return_refunded_as_store_credit_at_the_counter_is_on_its_z_report(
    staff, duomo, associate, till_1
):
    bag = sold_at_duomo(duomo, associate, till_1)

    return_as_credit(staff, bag)

    credit = StoreCreditTransaction.objects.get(kind=StoreCreditKind.RETURN)
    assert credit.amount == D("40.00")
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (booked.session, booked.store_credit, booked.amount) == (
        till_1,
        credit,
        D("0.00"),
    )
    assert (booked.actor, booked.order) == (associate, bag)
    report = z_report(till_1)
    assert report.refunds_by_tender == [("Store credit", D("40.00"))]
    assert report.refunds_total == D("40.00")
    assert report.cash["refund"] == D("0.00")
    assert report.expected == expected_cash(till_1) == D("100.00")
    page = staff.get(reverse("staff:till_report", args=[till_1.pk])).content.decode()
    assert section(page, "Refunds") == ["Store credit 40.00", "Refunds 40.00"]
    assert 'data-testid="z-expected">100.00<' in page
    ledger = ledger_rows(staff.get(reverse("staff:till")).content.decode())
    code = credit.return_request.code
    assert [row.split(" | ", 1)[1] for row in ledger][-1] == (
        f"Refund | Return {code} | Giulia Bianchi | Store credit -40.00 | —"
    )


def test_the_drawer_closes_on_its_float_after_credit_given(
    staff, duomo, associate, till_1
):
    """Credit moves no cash: counting the float alone closes the drawer even."""
    for number in range(3):
        bag = sold_at_duomo(duomo, associate, till_1, email=f"c{number}@example.com")
        return_as_credit(staff, bag)

    assert TillMovement.objects.filter(store_credit__isnull=False).count() == 3
    closed = close_till(session=till_1, counts={D("50"): 2}, actor=associate)

    assert closed.expected_cash == D("100.00")
    assert closed.over_short == D("0.00")
    assert z_report(closed).refunds_by_tender == [("Store credit", D("120.00"))]


def test_the_till_session_admin_lists_the_credit_given_apart_from_the_drawer(
    client, staff, duomo, associate, till_1
):
    return_as_credit(staff, sold_at_duomo(duomo, associate, till_1))
    client.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )

    sheet = client.get(f"/admin/orders/tillsession/{till_1.pk}/change/")

    assert sheet.status_code == 200
    html = " ".join(re.sub(r"<[^>]+>", " ", sheet.content.decode()).split())
    assert "Refunds · Store credit 40.00" in html
    assert "Store credit -40.00" in html
    assert "Expected cash 100.00 EUR" in html


@pytest.fixture
def points_order(duomo, associate):
    """A 24.90 shirt for Nora, paid with 469 points (4.69) and 20.21 by card, sold
    before the till was opened."""
    _, customer = shopper("nora@example.com")
    give_points(customer, 469)
    shirt = stocked(duomo, 5, price="24.90", sku="WSH-00001-LBL-S")
    return place_order(
        lines=[LineRequest(shirt, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=duomo,
        staff=associate,
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=469),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )


def test_an_exchange_lists_its_credit_given_back_and_its_replacement_sale(
    staff, duomo, associate, till_1, points_order
):
    """The shirt swapped for a 45.00 size: its points go back as points, its 20.21
    as store credit, which pays the replacement with 24.79 in cash."""
    larger = stocked(duomo, 5, price="45.00", sku="WSH-00001-LBL-L")

    result = exchange_items(
        order=points_order,
        lines=[line_request(points_order, 1)],
        replacement=[(larger, 1)],
        location=duomo,
        actor=associate,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
    )

    assert result.credit_used == D("20.21")
    report = z_report(till_1)
    assert report.refunds_by_tender == [
        ("Loyalty points", D("4.69")),
        ("Store credit", D("20.21")),
    ]
    assert report.sales_by_tender == [
        ("Cash", D("24.79")),
        ("Store credit", D("20.21")),
    ]
    assert report.expected == D("124.79")
    page = staff.get(reverse("staff:till_report", args=[till_1.pk])).content.decode()
    assert section(page, "Refunds") == [
        "Loyalty points 4.69",
        "Store credit 20.21",
        "Refunds 24.90",
    ]
    assert section(page, "Sales by tender") == [
        "Cash 24.79",
        "Store credit 20.21",
        "Sales (1 order) 45.00",
    ]


@pytest.fixture
def roma():
    return shop(code="RM01", name="Roma Corso")


def test_credit_given_elsewhere_is_not_on_this_till(
    staff, duomo, associate, till_1, roma
):
    """Given at Roma's counter it is on Roma's till; received at a warehouse, or
    refunded away from any counter, it is on none."""
    roman = StaffFactory(store=roma, first_name="Luca", last_name="Verdi")
    roma_till = open_counter_till(roman)
    at_roma = sold_at_duomo(duomo, associate, till_1, email="roma@example.com")
    return_at_counter(
        order=at_roma,
        lines=[line_request(at_roma, 1)],
        location=roma,
        actor=roman,
        refund_method=RefundMethod.STORE_CREDIT,
    )
    by_post = sold_at_duomo(duomo, associate, till_1, email="post@example.com")
    posted = request_return(
        order=by_post,
        lines=[line_request(by_post, 1)],
        channel=Channel.WEB,
        refund_method=RefundMethod.STORE_CREDIT,
    )
    receive_and_refund_return(
        return_request=posted,
        location=warehouse(code="WH01"),
        actor=associate,
        method=RefundMethod.STORE_CREDIT,
    )
    later = sold_at_duomo(duomo, associate, till_1, email="later@example.com")
    kept = return_at_counter(
        order=later,
        lines=[line_request(later, 1)],
        location=duomo,
        actor=associate,
        refund_method=RefundMethod.STORE_CREDIT,
        refund_now=False,
    )
    refund_return(return_request=kept, actor=associate)
    assert StoreCreditTransaction.objects.filter(kind="return").count() == 3

    assert z_report(till_1).refunds_by_tender == []
    assert z_report(roma_till).refunds_by_tender == [("Store credit", D("40.00"))]
    booked = TillMovement.objects.filter(store_credit__isnull=False)
    assert [m.session for m in booked] == [roma_till]
    page = staff.get(reverse("staff:till_report", args=[till_1.pk])).content.decode()
    assert section(page, "Refunds") == ["No refunds", "Refunds 0.00"]


def test_a_credit_is_booked_on_the_till_once(duomo, associate, till_1):
    bag = sold_at_duomo(duomo, associate, till_1)
    ret = return_at_counter(
        order=bag,
        lines=[line_request(bag, 1)],
        location=duomo,
        actor=associate,
        refund_method=RefundMethod.STORE_CREDIT,
    )
    credit = StoreCreditTransaction.objects.get(return_request=ret)

    again = book_counter_credit(credit=credit, location=duomo, actor=associate)

    assert again is None
    assert TillMovement.objects.filter(store_credit=credit).count() == 1


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_till_and_its_z_report_read_credit_given_in_fixed_queries(
    staff, duomo, associate, till_1
):
    return_as_credit(staff, sold_at_duomo(duomo, associate, till_1))
    report_url = reverse("staff:till_report", args=[till_1.pk])
    till_url = reverse("staff:till")
    before = queries(staff, report_url), queries(staff, till_url)

    for number in range(3):
        bag = sold_at_duomo(duomo, associate, till_1, email=f"q{number}@example.com")
        return_as_credit(staff, bag)

    assert TillMovement.objects.filter(store_credit__isnull=False).count() == 4
    assert (queries(staff, report_url), queries(staff, till_url)) == before
