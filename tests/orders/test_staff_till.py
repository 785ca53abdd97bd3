"""The till through the staff pages: a day at the counter (open, sell in cash with
change, cash out, close short with a manager's approval, Z report), the sale refused without an open
till or with too little cash, and form errors answered with 422."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval
from omnistore.staff.once import new_token
from orders.models import (
    Order,
    PaymentMethod,
    Register,
    TillMovement,
    TillSession,
    TillSessionStatus,
)
from orders.services.refunds import return_at_counter
from orders.services.till import close_till, open_till
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.returns_helpers import line_request

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def register(shop):
    return Register.objects.create(location=shop, name="Till 1")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


def item(shop, sku, price):
    variant = VariantFactory(sku=sku, price=D(price))
    stock(variant, shop, 5)
    return variant


def sell(client, sku, **payment):
    client.post(reverse("staff:sale_add"), {"code": sku}, **HTMX)
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, **payment}
    return client.post(reverse("staff:sale_checkout"), data, **HTMX)


def count(**units):
    return {f"count-d_{k}": v for k, v in units.items()}


def test_a_till_day_at_the_counter(staff, client, shop, associate, register):
    response = staff.post(reverse("staff:till_open"), count(**{"50": 2, "10": 5}))
    assert response.status_code == 302
    session = TillSession.objects.get(status=TillSessionStatus.OPEN)
    assert session.opening_float == D("150.00") and session.opened_by == associate

    item(shop, "SHIRT", "69.00")
    item(shop, "BELT", "15.50")
    item(shop, "SOCKS", "24.90")
    # 100 in cash for 69: the sale takes 69 and gives 31 back.
    response = sell(staff, "SHIRT", amount_1="100.00")
    assert response.status_code == 200, response.content.decode()
    receipt = staff.get(response["HX-Redirect"]).content.decode()
    assert "Cash tendered" in receipt and "31.00 EUR" in receipt
    assert sell(staff, "BELT", tendered="20").status_code == 200
    assert sell(staff, "SOCKS", tendered="25.00").status_code == 200
    orders = list(Order.objects.order_by("id"))
    assert [m.change for m in TillMovement.objects.filter(kind="sale")] == [
        D("31.00"),
        D("4.50"),
        D("0.10"),
    ]

    return_at_counter(
        order=orders[1].number,
        lines=[line_request(orders[1], 1)],
        location=shop,
        actor=associate,
    )
    response = staff.post(
        reverse("staff:till_cash"),
        {
            "move-kind": "cash_out",
            "move-amount": "50.00",
            "move-reason": "Bank",
            "move-once": new_token(),
        },
    )
    assert response.status_code == 302
    page = staff.get(reverse("staff:till")).content.decode()
    assert "193.90 EUR" in page and "Bank" in page

    close = count(**{"100": 1, "50": 1, "20": 1, "10": 1, "1": 3, "0_50": 1, "0_20": 2})
    close["count-note"] = "Counted twice"
    response = staff.post(reverse("staff:till_close"), close)
    assert response.status_code == 202  # waits for a manager; the till stays open
    assert "A manager must approve" in response.content.decode()
    request = Approval.objects.get()
    assert request.summary == (
        "Close Till 1: 10.00 EUR short (counted 183.90, expected 193.90)"
    )
    session.refresh_from_db()
    assert session.status == TillSessionStatus.OPEN

    # An associate cannot approve; the shop's manager can, from their own device.
    decide = reverse("staff:approval_decide", args=[request.pk])
    assert staff.post(decide, {"decision": "approve"}).status_code == 404
    manager = make_approver(
        StaffFactory(store=shop, role=Role.STORE_MANAGER, username="marta")
    )
    other = Client()
    other.force_login(manager)
    assert other.post(decide, {"decision": "approve"}).status_code == 302
    response = staff.post(
        reverse("staff:till_close"), {**close, "approval": request.pk}
    )
    session.refresh_from_db()
    assert response["Location"] == reverse("staff:till_report", args=[session.pk])
    assert session.status == TillSessionStatus.CLOSED
    assert session.over_short == D("-10.00")
    assert (session.approved_by, session.approval_note) == (manager, "")
    assert session.close_note == "Counted twice"

    report = staff.get(response["Location"]).content.decode()
    total = sum(o.total for o in Order.objects.all())
    assert f'data-testid="z-sales-total">{total}<' in report
    assert 'data-testid="z-refunds-total">15.50<' in report
    assert 'data-testid="z-over-short">-10.00<' in report
    assert "No VAT recorded" not in report and "22.00 %" in report
    assert "@page" not in report
    assert orders[0].number in report and orders[-1].number in report
    assert 'data-testid="z-approved">Approved by' in report
    assert (
        'data-testid="z-close-note">Note at closing (Giulia Bianchi): “Counted twice”'
        in report
    )


def test_a_cash_sale_without_an_open_till_is_refused(staff, shop, register):
    item(shop, "SHIRT", "69.00")
    response = sell(staff, "SHIRT", tendered="100")
    assert response.status_code == 422
    assert "Open the till first" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize("registers", [1, 0], ids=["till_closed", "no_register"])
def test_a_card_sale_without_an_open_till_is_refused(staff, shop, registers):
    """A card sale takes no cash, yet belongs on a drawer's Z report like every
    counter sale: with the till not open (or no register to open) it is refused on
    the page, nothing charged or sold."""
    if registers:
        Register.objects.create(location=shop, name="Till 1")
    item(shop, "SHIRT", "69.00")
    response = sell(staff, "SHIRT", method_1=PaymentMethod.CARD_IN_STORE)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Open the till first" in body and "Nothing was sold" in body
    assert ("no register yet" in body) == (not registers)
    assert not Order.objects.exists() and not TillMovement.objects.exists()


def test_a_card_sale_with_the_till_open_is_on_its_z_report(
    staff, shop, associate, register
):
    session = open_till(register=register, counts={D("50"): 1}, actor=associate)
    item(shop, "SHIRT", "69.00")
    response = sell(staff, "SHIRT", method_1=PaymentMethod.CARD_IN_STORE)
    assert response.status_code == 200
    booked = TillMovement.objects.get(kind="sale")
    assert (booked.session, booked.order) == (session, Order.objects.get())


def test_tendering_less_than_the_cash_due_is_a_form_error(
    staff, shop, associate, register
):
    open_till(register=register, counts={D("50"): 1}, actor=associate)
    item(shop, "SHIRT", "69.00")
    response = sell(staff, "SHIRT", tendered="50.00")
    assert response.status_code == 422
    assert (
        "The customer gave 50.00 EUR; 69.00 EUR is due in cash."
        in response.content.decode()
    )
    assert not Order.objects.exists()
    # A split (the refused shirt is still in the basket, a second one joins it):
    # only the cash part is compared with what was tendered.
    response = sell(
        staff,
        "SHIRT",
        amount_1="20.00",
        method_2=PaymentMethod.CARD_IN_STORE,
        amount_2="118.00",
        tendered="50",
    )
    assert response.status_code == 200
    assert TillMovement.objects.get(kind="sale").change == D("30.00")


def test_bad_counts_and_moves_answer_422(staff, associate, register):
    response = staff.post(reverse("staff:till_open"), {"count-d_50": "-1"}, **HTMX)
    assert response.status_code == 422 and not TillSession.objects.exists()
    open_till(register=register, counts={D("10"): 1}, actor=associate)
    response = staff.post(
        reverse("staff:till_cash"),
        {
            "move-kind": "cash_out",
            "move-amount": "20",
            "move-reason": "Deposit",
            "move-once": new_token(),
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "At most 10.00." in response.content.decode()
    response = staff.post(reverse("staff:till_close"), {"count-d_5": "x"}, **HTMX)
    assert response.status_code == 422
    assert TillSession.objects.get().status == TillSessionStatus.OPEN


def test_a_cash_in_above_the_ceiling_shows_once_under_the_amount(
    staff, associate, register, settings
):
    settings.OMNISTORE_TILL_CASH_IN_MAX = D("200.00")
    open_till(register=register, counts={D("10"): 1}, actor=associate)
    response = staff.post(
        reverse("staff:till_cash"),
        {
            "move-kind": "cash_in",
            "move-amount": "250",
            "move-reason": "Change from the bank",
            "move-once": new_token(),
        },
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="error-amount"' in page and page.count("At most 200.00.") == 1
    assert "goes into the drawer at once" not in page
    # The error is read with its field, and the panel says (as an alert) that
    # nothing was recorded.
    assert 'id="id_move-amount_error"' in page
    assert 'aria-describedby="id_move-amount_error"' in page
    assert 'role="alert" data-testid="move-errors"' in page
    assert not TillMovement.objects.filter(kind="cash_in").exists()


def test_the_device_chooses_among_the_shops_registers(staff, shop, associate):
    first = Register.objects.create(location=shop, name="Till 1")
    second = Register.objects.create(location=shop, name="Till 2")
    other = Register.objects.create(location=LocationFactory(), name="Elsewhere")
    assert "Choose which register" in staff.get(reverse("staff:till")).content.decode()
    response = staff.post(reverse("staff:till_register"), {"register": other.pk})
    assert response.status_code == 422
    staff.post(reverse("staff:till_register"), {"register": second.pk})
    staff.post(reverse("staff:till_open"), count(**{"20": 1}))
    assert TillSession.objects.get().register == second
    assert not first.sessions.exists()


def test_another_shops_session_is_not_found(staff, associate):
    elsewhere = LocationFactory(code="TO01")
    register = Register.objects.create(location=elsewhere, name="Till 1")
    other = StaffFactory(store=elsewhere)
    session = open_till(register=register, counts={}, actor=other)
    close_till(session=session, counts={D("1"): 1}, actor=other)
    assert staff.get(reverse("staff:till_report", args=[session.pk])).status_code == 404


def test_a_session_without_sales_says_so_where_the_vat_would_be(
    staff, associate, register
):
    session = open_till(register=register, counts={D("20"): 1}, actor=associate)
    close_till(session=session, counts={D("20"): 1}, actor=associate)
    page = staff.get(reverse("staff:till_report", args=[session.pk])).content.decode()
    assert "No sales in this session, so no VAT." in page
    assert "carry no tax rates" not in page


def test_the_z_report_tells_the_associates_note_from_the_managers(
    staff, shop, associate, register
):
    staff.post(reverse("staff:till_open"), count(**{"100": 1, "20": 1}))
    close = {**count(**{"100": 1}), "count-note": "short, unknown"}
    assert staff.post(reverse("staff:till_close"), close).status_code == 202
    request = Approval.objects.get()
    manager = make_approver(
        StaffFactory(
            store=shop,
            role=Role.STORE_MANAGER,
            first_name="Marco",
            last_name="Rossi",
        )
    )
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]),
        {"decision": "approve", "note": "Recount in the morning"},
        **HTMX,
    )

    closed = staff.post(reverse("staff:till_close"), {**close, "approval": request.pk})
    session = TillSession.objects.get()
    assert closed["Location"] == reverse("staff:till_report", args=[session.pk])
    assert (session.close_note, session.approval_note) == (
        "short, unknown",
        "Recount in the morning",
    )
    page = staff.get(closed["Location"]).content.decode()
    note = page.split('data-testid="z-close-note">')[1].split("</div>")[0]
    approved = page.split('data-testid="z-approved">')[1].split("</div>")[0]
    assert note == "Note at closing (Giulia Bianchi): “short, unknown”"
    assert approved.startswith("Approved by Marco Rossi")
    assert approved.endswith(" · manager's note: “Recount in the morning”")

    hq = UserFactory(username="hq-till", role=Role.HQ, is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(hq)
    sheet = admin.get(
        reverse("admin:orders_tillsession_change", args=[session.pk])
    ).content.decode()
    assert "Manager's note: “Recount in the morning”" in sheet
    assert "Note at closing (Giulia Bianchi)" in sheet


def test_an_approval_without_a_note_shows_no_empty_quotes(
    staff, associate, register, shop
):
    session = open_till(register=register, counts={D("20"): 1}, actor=associate)
    close_till(session=session, counts={D("20"): 1}, actor=associate)
    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER)
    TillSession.objects.filter(pk=session.pk).update(
        approved_by=manager, approved_at=session.opened_at, approval_note=""
    )
    page = staff.get(reverse("staff:till_report", args=[session.pk])).content.decode()
    approved = page.split('data-testid="z-approved">')[1].split("</div>")[0]
    assert approved.startswith("Approved by") and "“" not in approved

    TillSession.objects.filter(pk=session.pk).update(approval_note="Counted twice")
    page = staff.get(reverse("staff:till_report", args=[session.pk])).content.decode()
    assert " · manager's note: “Counted twice”</div>" in page


def test_the_z_report_prints_on_80mm():
    with open(finders.find("orders/till.css")) as sheet:
        css = sheet.read()
    assert "@page { size:80mm auto" in css


def test_the_admin_shows_sessions_read_only_and_scoped_to_the_shop(client, shop):
    """HQ sees every session with its Z report and ledger, adds or changes none;
    a shop's manager sees only their shop's."""
    mine = Register.objects.create(location=shop, name="Till 1")
    theirs = Register.objects.create(location=LocationFactory(code="TO01"), name="T")
    for register in (mine, theirs):
        opener = StaffFactory(store=register.location)
        open_till(register=register, counts={D("20"): 1}, actor=opener)
    session = TillSession.objects.get(register=mine)

    client.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    page = client.get(f"/admin/orders/tillsession/{session.pk}/change/")
    assert page.status_code == 200
    assert 'data-testid="admin-z-report"' in page.content.decode()
    assert "Opening float" in page.content.decode()
    assert client.get("/admin/orders/tillsession/add/").status_code == 403
    listing = client.get("/admin/orders/tillmovement/").content.decode()
    assert listing.count('field-reason">Opening float') == 2

    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER, is_staff=True)
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_tillsession"])
    )
    client.force_login(manager)
    listing = client.get("/admin/orders/tillsession/").content.decode()
    assert f"/admin/orders/tillsession/{session.pk}/change/" in listing
    other = TillSession.objects.get(register=theirs)
    assert f"/admin/orders/tillsession/{other.pk}/change/" not in listing
    assert client.get(f"/admin/orders/tillsession/{other.pk}/change/").status_code in (
        302,
        404,
    )


def test_the_admin_names_a_session_by_the_shops_clock(client, shop):
    """Opened at 8:00 UTC, 9:00 in Milan: the title, the breadcrumb and the ledger's
    session column read 9:00, as "Opened at" beside them does."""
    register = Register.objects.create(location=shop, name="Till 1")
    opener = StaffFactory(store=shop)
    opened = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    session = open_till(register=register, counts={}, actor=opener, now=opened)
    client.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )

    page = client.get(f"/admin/orders/tillsession/{session.pk}/change/")
    listing = client.get("/admin/orders/tillmovement/").content.decode()

    assert "Till 1 · 2026-12-05 09:00" in page.content.decode()
    assert "2026-12-05 08:00" not in page.content.decode()
    assert "Till 1 · 2026-12-05 09:00" in listing


def test_cash_in_sent_twice_is_recorded_once(staff, associate, register):
    open_till(register=register, counts={D("10"): 1}, actor=associate)
    sent = {
        "move-kind": "cash_in",
        "move-amount": "10.00",
        "move-reason": "Float top-up",
        "move-once": new_token(),
    }
    first = staff.post(reverse("staff:till_cash"), sent, **HTMX)
    again = staff.post(reverse("staff:till_cash"), sent, **HTMX)
    assert first.status_code == 200
    assert again.status_code == 422
    assert "sent twice" in again.content.decode()
    assert TillMovement.objects.filter(kind="cash_in").count() == 1


def test_a_shop_without_a_register_says_so_and_who_adds_one(staff, shop):
    page = staff.get(reverse("staff:till"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="till-no-register"' in body
    assert "No register at Milano Centro yet" in body
    assert "Use this register" not in body
    assert "ask them to add one" in body  # an associate cannot add one


def test_headquarters_gets_the_link_to_add_the_shops_register(client, shop):
    hq = UserFactory(role=Role.HQ, is_staff=True, store=shop)
    hq.user_permissions.add(Permission.objects.get(codename="add_register"))
    client.force_login(hq)
    body = client.get(reverse("staff:till")).content.decode()
    assert f"/admin/orders/register/add/?location={shop.pk}" in body


def test_with_a_register_the_device_uses_it(staff, register):
    body = staff.get(reverse("staff:till")).content.decode()
    assert 'data-testid="till-no-register"' not in body
    assert "Open Till 1" in body


def test_a_register_is_added_at_a_shop_never_at_a_warehouse(client, shop):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    depot = WarehouseFactory(code="WH01")
    url = reverse("admin:orders_register_add")
    refused = client.post(url, {"location": depot.pk, "name": "Till 1", "active": "on"})
    assert refused.status_code == 200
    assert "location" in refused.context["adminform"].form.errors
    added = client.post(url, {"location": shop.pk, "name": "Till 1", "active": "on"})
    assert added.status_code == 302
    assert list(Register.objects.values_list("location", flat=True)) == [shop.pk]


def test_a_phone_order_without_an_open_till_is_refused(
    staff, shop, associate, register
):
    """A phone order, paid by the card keyed on the shop's terminal, is booked on
    the till as the counter's other sales are: with it not open, it is refused."""
    make_customer(phone="+393331234567")
    item(shop, "SHIRT", "69.00")
    staff.post(reverse("staff:sale_phone"), {"phone": "on"}, **HTMX)
    staff.post(reverse("staff:sale_add"), {"code": "SHIRT"}, **HTMX)
    staff.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": "3331234567"}, **HTMX
    )
    data = {"mode": "pickup", "store": shop.pk, "method_1": PaymentMethod.CARD_IN_STORE}

    response = staff.post(reverse("staff:sale_checkout"), data, **HTMX)

    assert response.status_code == 422
    assert "Open the till first" in response.content.decode()
    assert not Order.objects.exists()
    open_till(register=register, counts={D("50"): 1}, actor=associate)
    response = staff.post(reverse("staff:sale_checkout"), data, **HTMX)
    assert response.status_code == 200, response.content.decode()
    order = Order.objects.get()
    assert order.channel == "phone"
    assert TillMovement.objects.get(kind="sale").order == order
