"""What the till shows of money that never entered the drawer: a card sale and a
refund to the card it took at the counter are booked on the session (its Z report
lists them by tender) and read with their tender and amount, on the till's ledger and on the
order's admin page, never as cash of 0.00; the drawer's expected cash, the Z
report's cash figures and the close count only cash. A shop with one register
opens it without asking which; with several the device chooses."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import PaymentMethod, Register, TillMovement, TillSession
from orders.services.refunds import return_at_counter
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def store():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def associate(store):
    return StaffFactory(
        store=store, username="giulia", first_name="Giulia", last_name="Bianchi"
    )


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def day(store, associate):
    """Till 1 open with 100.00; a shirt sold for cash (100 tendered), a belt by
    card at the counter, and a bag sold by card at the counter, returned there and
    refunded to the card it was paid with."""
    session = open_counter_till(associate)
    shirt = stocked(store, 3, price="69.00")
    belt = stocked(store, 3, price="25.00")
    cash = counter_sale(
        store=store,
        lines=[(shirt, 1)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(session, D("100")),
    )
    card = counter_sale(
        store=store, lines=[(belt, 1)], staff=associate, till=TillBooking(session)
    )
    bag = counter_sale(
        store=store,
        lines=[(stocked(store, 2, price="40.00"), 1)],
        staff=associate,
        customer=make_customer(email="pia@example.com"),
        till=TillBooking(session),
    )
    ret = return_at_counter(
        order=bag.number,
        lines=[line_request(bag, 1)],
        location=store,
        actor=associate,
    )
    return session, cash, card, bag, ret


def ledger_rows(page: str) -> list[str]:
    """The till's ledger as read: each row's cells, tags stripped."""
    rows = page.split('<tr data-testid="till-line">')[1:]
    cells = []
    for row in rows:
        row = row.split("</tr>")[0]
        texts = [c.split("</td>")[0] for c in row.split("<td")[1:]]
        cells.append(" | ".join(_text(t) for t in texts))
    return cells


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.split(">", 1)[1]).split())


def till_section(response) -> list[str]:
    """The order page's "Till" rows, without the time each starts with."""
    html = response.content.decode().split("field-till_history")[1]
    items = html.split("</ul>")[0].split("<li>")[1:]
    return [_text(">" + i.split("</li>")[0]).split(" · ", 1)[1] for i in items]


def test_a_card_refund_reads_as_a_card_refund_on_the_till_not_cash(staff, day):
    session, cash, card, bag, ret = day
    refund = bag.payments.get().refunds.get()
    assert refund.amount == D("40.00")
    booked = TillMovement.objects.get(refund=refund)
    assert booked.session == session  # the session knows it: its Z report lists it

    page = staff.get(reverse("staff:till")).content.decode()

    rows = ledger_rows(page)
    refund_row = next(r for r in rows if r.split(" | ")[1] == "Refund")
    assert refund_row.endswith("| Card in store -40.00 | —")
    card_row = next(r for r in rows if f"Sale {card.number}" in r)
    assert card_row.endswith("| Card in store 25.00 | —")
    cash_row = next(r for r in rows if f"Sale {cash.number}" in r)
    assert cash_row.endswith("| 69.00")
    assert not any(r.endswith("| 0.00") for r in rows)
    # 100.00 float + 69.00 in cash: the card's money never was in the drawer.
    assert 'data-testid="till-expected">169.00 EUR<' in page


def test_the_orders_admin_page_shows_each_booking_with_its_tender(
    client, store, associate, day
):
    _, cash, card, bag, _ = day
    client.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )

    returned = client.get(f"/admin/orders/order/{bag.pk}/change/")
    sold = client.get(f"/admin/orders/order/{card.pk}/change/")
    in_cash = client.get(f"/admin/orders/order/{cash.pk}/change/")

    assert till_section(returned) == [
        "Sale 40.00 EUR · Card in store · Till 1 · Giulia Bianchi",
        "Refund -40.00 EUR · Card in store · Till 1 · Giulia Bianchi",
    ]
    assert till_section(sold) == [
        "Sale 25.00 EUR · Card in store · Till 1 · Giulia Bianchi"
    ]
    assert till_section(in_cash) == [
        "Sale 69.00 EUR · Cash · tendered 100.00 · change 31.00 · Till 1 · "
        "Giulia Bianchi"
    ]


def test_a_split_sale_shows_its_cash_and_its_card_part(staff, client, store, day):
    session, *_ = day
    associate = session.opened_by
    coat = stocked(store, 1, price="138.00")
    split = counter_sale(
        store=store,
        lines=[(coat, 1)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, "20.00"), (PaymentMethod.CARD_IN_STORE, None)],
        till=TillBooking(session, D("50")),
    )

    rows = ledger_rows(staff.get(reverse("staff:till")).content.decode())
    row = next(r for r in rows if f"Sale {split.number}" in r)
    assert row.endswith(
        "· change 30.00 | Giulia Bianchi | Card in store 118.00 | 20.00"
    )

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert till_section(client.get(f"/admin/orders/order/{split.pk}/change/")) == [
        "Sale 20.00 EUR · Cash · tendered 50.00 · change 30.00 · Till 1 · "
        "Giulia Bianchi",
        "Sale 118.00 EUR · Card in store · Till 1 · Giulia Bianchi",
    ]


def test_the_z_report_counts_the_card_refund_by_tender_and_not_in_the_drawer(
    staff, day
):
    session, *_ = day
    close = {"count-d_100": 1, "count-d_50": 1, "count-d_10": 1, "count-d_5": 1}
    close["count-d_2"] = 2
    response = staff.post(reverse("staff:till_close"), close)
    assert response["Location"] == reverse("staff:till_report", args=[session.pk])
    session.refresh_from_db()
    assert (session.expected_cash, session.counted_cash) == (D("169.00"), D("169.00"))

    report = staff.get(response["Location"]).content.decode()

    refunds = report.split("<h2>Refunds</h2>")[1].split("</table>")[0]
    assert '<td>Card in store</td><td class="num">40.00</td>' in refunds
    assert 'data-testid="z-refunds-total">40.00<' in report
    assert '<td>Cash refunds</td><td class="num">0.00</td>' in report
    assert '<td>Cash sales</td><td class="num">69.00</td>' in report
    assert 'data-testid="z-expected">169.00<' in report
    assert 'data-testid="z-over-short">0.00<' in report


def test_a_shop_with_one_register_opens_it_without_asking(staff, store):
    register = Register.objects.create(location=store, name="Till 1")

    page = staff.get(reverse("staff:till")).content.decode()

    assert "Open Till 1" in page
    assert "Use this register" not in page and "This device is" not in page
    assert "Choose which register" not in page
    opened = staff.post(reverse("staff:till_open"), {"count-d_50": 2})
    assert opened.status_code == 302
    assert TillSession.objects.get().register == register
    page = staff.get(reverse("staff:till")).content.decode()
    assert "Till 1 is open" in page and "Use this register" not in page


def test_a_shop_with_several_registers_asks_the_device_which(staff, store):
    Register.objects.create(location=store, name="Till 1")
    second = Register.objects.create(location=store, name="Till 2")

    page = staff.get(reverse("staff:till")).content.decode()
    assert "This device is" in page and "Use this register" in page
    assert "Choose which register" in page

    staff.post(reverse("staff:till_register"), {"register": second.pk})
    page = staff.get(reverse("staff:till")).content.decode()
    assert "Open Till 2" in page and "Use this register" in page


def test_the_till_session_admin_reads_card_money_apart_from_the_drawer(client, day):
    session, *_ = day
    client.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    sheet = client.get(f"/admin/orders/tillsession/{session.pk}/change/")
    html = _text(">" + sheet.content.decode())
    assert "Card in store -40.00" in html and "Card in store 25.00" in html
    listed = client.get("/admin/orders/tillmovement/", {"kind": "refund"})
    rows = _text(">" + listed.content.decode())
    assert "Card in store -40.00" in rows
    assert listed.status_code == 200
