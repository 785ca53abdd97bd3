"""The returns desk prices a line as it was paid: the order's discount taken off
(what a unit brought back refunds, not its shelf price), and "Receive and refund"
says the amount the units chosen come to before it is pressed, as a return started
online does."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.staff.once import new_token
from orders.models import Return
from orders.services.refunds import return_at_counter
from tests.factories import LocationFactory, StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def torino():
    return LocationFactory(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def associate(torino):
    return StaffFactory(store=torino)


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def sandals_on_sale(torino, associate):
    """Three sandals at 49.90 sold 30% off: 104.79 paid for the line, 34.93 a unit
    (34.93 + 34.93 + 34.93)."""
    discount_code(code="SUMMER30", value="30")
    sandals = stocked(torino, 5, price="49.90", sku="WTR-00009-SND-XS")
    order = counter_sale(
        store=torino, lines=[(sandals, 3)], staff=associate, discount_code="SUMMER30"
    )
    line = order.lines.get()
    assert (line.unit_price, line.line_total) == (Decimal("49.90"), Decimal("104.79"))
    return order


def start(order):
    return reverse("staff:return_start", args=[order.number])


def line_field(order, name):
    return f"{name}_{order.lines.get().pk}"


def test_the_desk_shows_what_a_unit_was_paid_not_its_shelf_price(desk, sandals_on_sale):
    page = desk.get(start(sandals_on_sale)).content.decode()

    assert "WTR-00009-SND-XS</code> · " in page
    assert '<span data-testid="paid-each">34.93 each</span>' in page
    assert "49.90 each" not in page


def test_receive_and_refund_says_the_amount_of_the_units_typed(desk, sandals_on_sale):
    order = sandals_on_sale
    page = desk.get(start(order)).content.decode()
    assert 'data-testid="receive-and-refund">Receive and refund</button>' in page

    typed = desk.get(
        start(order), {"units": "typed", line_field(order, "qty"): "2"}, **HTMX
    )

    assert typed.status_code == 200
    assert "Receive and refund 69.86 EUR</button>" in typed.content.decode()
    assert not Return.objects.exists()


def test_the_amount_counts_the_units_already_returned(
    desk, sandals_on_sale, torino, associate
):
    order = sandals_on_sale
    return_at_counter(
        order=order.number,
        lines=[line_request(order, 2)],
        location=torino,
        actor=associate,
    )
    assert Return.objects.get().refund_total == Decimal("69.86")

    typed = desk.get(
        start(order), {"units": "typed", line_field(order, "qty"): "1"}, **HTMX
    )

    assert "Receive and refund 34.93 EUR</button>" in typed.content.decode()


def test_a_form_sent_back_with_an_error_keeps_the_amount(desk, sandals_on_sale):
    order = sandals_on_sale
    response = desk.post(
        start(order),
        {
            "once": new_token(),
            "refund_method": "original",
            "action": "refund",
            line_field(order, "qty"): "1",  # and no reason given
        },
        **HTMX,
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Say why it comes back." in page
    assert "Receive and refund 34.93 EUR</button>" in page
    assert not Return.objects.exists()


def test_the_refund_made_is_the_amount_the_button_said(
    desk, sandals_on_sale, associate
):
    open_counter_till(associate)
    order = sandals_on_sale
    units = {line_field(order, "qty"): "2", line_field(order, "reason"): "too_small"}
    said = desk.get(start(order), {"units": "typed", **units}, **HTMX)
    assert "Receive and refund 69.86 EUR" in said.content.decode()

    done = desk.post(
        start(order),
        {"once": new_token(), "refund_method": "original", "action": "refund", **units},
    )

    assert done.status_code == 302, done.content.decode()
    assert Return.objects.get().refund_total == Decimal("69.86")


def test_a_unit_count_a_line_cannot_take_shows_no_amount(desk, torino, associate):
    """5 typed where 2 can come back, and 1 of another line: the button names no
    refund (the other line's alone is none anyone asked for) until the units are
    put right."""
    belts = stocked(torino, 5, price="20.00", sku="BELT-BRN-90")
    caps = stocked(torino, 5, price="10.00", sku="CAP-NVY-M")
    order = counter_sale(store=torino, lines=[(belts, 2), (caps, 1)], staff=associate)
    belt, cap = (order.lines.get(variant=v).pk for v in (belts, caps))

    typed = desk.get(
        start(order), {"units": "typed", f"qty_{belt}": "5", f"qty_{cap}": "1"}, **HTMX
    ).content.decode()

    assert (
        'data-testid="receive-and-refund">Receive and refund <span class="small" '
        'data-testid="check-units">· check the units</span></button>'
    ) in typed
    assert "10.00 EUR" not in typed
    fixed = desk.get(
        start(order), {"units": "typed", f"qty_{belt}": "2", f"qty_{cap}": "1"}, **HTMX
    )
    assert "Receive and refund 50.00 EUR</button>" in fixed.content.decode()
