"""A price set at the counter stays with the sale: the order line keeps the shelf
price it replaced, why and the manager's approval; the order's history names the
change, the reason and who approved it; the order page, the receipt and the admin
show it; the till's Z report counts what it took off. A sale at the shelf price
reads as before."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalChannel, ApprovalKind
from omnistore.core.channels import Channel
from orders.models import CartLine, Order
from orders.selectors.orders import history_for_the_customer
from orders.selectors.till import z_report
from orders.services.carts import add_cart_lines, create_cart
from orders.services.checkout import LineRequest, place_order
from orders.services.counter_prices import set_counter_price
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from orders.services.till import TillBooking
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
STAIN = "Small stain on the sleeve"


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(
            store=store,
            role=Role.STORE_MANAGER,
            first_name="Marco",
            last_name="Rossi",
        )
    )


@pytest.fixture
def shirt(store):
    return stocked(store, 5, price="59.90", sku="WSH-00001-SND-S")


@pytest.fixture
def session(associate):
    return open_counter_till(associate)


@pytest.fixture
def desk(client, associate, session):
    client.force_login(associate)
    return client


def approve_from_the_queue(manager, request: Approval) -> None:
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )


def sell_in_cash(desk, tendered: str) -> str:
    """Checks the basket out in cash; the receipt page it leads to."""
    sold = desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": tendered},
        **HTMX,
    )
    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    return desk.get(sold["HX-Redirect"]).content.decode()


def page(desk, name: str, *args) -> str:
    response = desk.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_a_counter_price_a_manager_approved_stays_on_the_order_its_receipt_and_z(
    desk, shirt, manager, session
):
    desk.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    url = reverse("staff:sale_line_price", args=[CartLine.objects.get().pk])
    form = {"price": "45.00", "reason": STAIN}
    assert desk.post(url, form, **HTMX).status_code == 202  # 24.9 % off
    request = Approval.objects.get(kind=ApprovalKind.PRICE_OVERRIDE)
    approve_from_the_queue(manager, request)
    assert desk.post(url, {**form, "approval": request.pk}, **HTMX).status_code == 200

    receipt = sell_in_cash(desk, "50.00")

    order = Order.objects.get()
    line = order.lines.get()
    assert (line.unit_price, line.discount, line.line_total) == (
        D("45.00"),
        D("0.00"),
        D("45.00"),
    )
    assert (line.shelf_price, line.price_reason, line.price_approval) == (
        D("59.90"),
        STAIN,
        request,
    )
    said = (
        f"Price set at the counter: WSH-00001-SND-S 45.00 instead of 59.90 EUR: "
        f"{STAIN} · approved by Marco Rossi"
    )
    assert [step.note for step in order.history.order_by("id")] == [
        "Placed via Store",
        said,
    ]
    assert (
        'data-testid="receipt-counter-price">−14.90 price set at the counter '
        "(shelf 59.90)<"
    ) in receipt
    order_page = page(desk, "staff:order_detail", order.number)
    assert (
        f'45.00<span class="muted small" data-testid="line-counter-price">, '
        f"shelf 59.90 · {STAIN}</span>"
    ) in order_page
    assert said in order_page
    report = page(desk, "staff:till_report", session.pk)
    assert 'data-testid="z-counter-prices">14.90<' in report
    assert 'data-testid="z-discounts">0.00<' in report
    # The customer reads the manager as every customer-facing text names staff.
    notes = [step.customer_note for step in history_for_the_customer([order])[order.pk]]
    assert notes[-1].endswith(" · approved by Marco R.")


def test_a_sale_at_the_shelf_price_reads_as_before(desk, shirt, session):
    desk.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)

    receipt = sell_in_cash(desk, "60.00")

    order = Order.objects.get()
    line = order.lines.get()
    assert (line.unit_price, line.shelf_price, line.price_reason) == (
        D("59.90"),
        None,
        "",
    )
    assert line.price_approval is None
    assert [step.note for step in order.history.all()] == ["Placed via Store"]
    assert "price set at the counter" not in receipt
    assert "line-counter-price" not in page(desk, "staff:order_detail", order.number)
    report = page(desk, "staff:till_report", session.pk)
    assert 'data-testid="z-counter-prices">0.00<' in report


def test_the_z_report_counts_every_unit_cut_and_no_price_raised(
    store, associate, manager, session
):
    """Two units 4.90 below the shelf (no one asked) take 9.80 off; a price a
    manager set above the shelf takes nothing off, and the history says who set it
    (their own approval) without naming an approver."""
    belt = stocked(store, 5, price="59.90", sku="BELT-01")
    scarf = stocked(store, 5, price="20.00", sku="SCARF-01")
    cart = create_cart(channel=Channel.STORE)
    belts, scarves = add_cart_lines(cart=cart, lines=[(belt.pk, 2), (scarf.pk, 1)])
    set_counter_price(
        cart=cart,
        line_id=belts.pk,
        price="55.00",
        reason="Worn buckle",
        actor=associate,
        location=store,
    )
    set_counter_price(
        cart=cart,
        line_id=scarves.pk,
        price="25.00",
        reason="Hand-finished edge",
        actor=manager,
        location=store,
    )

    order = place_order(
        lines=[LineRequest(belt, 2), LineRequest(scarf, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        payments=[PaymentRequest("cash")],
        till=TillBooking(session, D("140.00")),
        cart=cart,
        staff_sale=StaffSale(prices={belt.pk: D("55.00"), scarf.pk: D("25.00")}),
    )

    assert order.total == D("135.00")
    lines = {line.sku: line for line in order.lines.all()}
    assert (lines["BELT-01"].shelf_price, lines["BELT-01"].price_approval) == (
        D("59.90"),
        None,
    )
    own = lines["SCARF-01"].price_approval
    assert own.channel == ApprovalChannel.SELF and own.decided_by == manager
    notes = [step.note for step in order.history.order_by("id")][1:]
    assert notes == [
        "Price set at the counter: BELT-01 55.00 instead of 59.90 EUR: Worn buckle",
        "Price set at the counter: SCARF-01 25.00 instead of 20.00 EUR: "
        "Hand-finished edge",
    ]
    assert z_report(session).counter_prices == D("9.80")


def test_the_admin_order_page_shows_the_price_set_read_only(
    client, desk, shirt, manager
):
    desk.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    url = reverse("staff:sale_line_price", args=[CartLine.objects.get().pk])
    form = {"price": "45.00", "reason": STAIN}
    desk.post(url, form, **HTMX)
    request = Approval.objects.get(kind=ApprovalKind.PRICE_OVERRIDE)
    approve_from_the_queue(manager, request)
    desk.post(url, {**form, "approval": request.pk}, **HTMX)
    sell_in_cash(desk, "50.00")
    order = Order.objects.get()
    admin = Client()
    admin.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )

    body = page(admin, "admin:orders_order_change", order.pk)

    lines = body.split('id="lines-group"')[1].split("</fieldset>")[0]
    assert "59.90" in lines and STAIN in lines
    assert "Marco Rossi (from the manager&#x27;s device)" in lines
    assert 'name="lines-0-shelf_price"' not in body  # shown, not editable
