"""A shop with two registers, each device on its own: a refund, a void or a cancel
given at a device pays its cash out of that device's drawer and is booked on its
session (whoever opened the other one); a device that has not chosen its register
is asked to, at the sale screen before any tender and at the desk before any cash
goes back; an exchange books its sale and its refunds on the device's register too.
Away from a counter (a service called without a device) the refund
still goes to the actor's session, else the shop's latest."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from omnistore.staff.once import new_token
from orders.models import (
    Order,
    OrderStatus,
    PaymentMethod,
    Refund,
    Register,
    Return,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.till import expected_cash
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.till import CHOOSE_REGISTER, open_till
from tests.factories import StaffFactory, VariantFactory, WarehouseFactory, stock
from tests.orders.factories import delivery_order, shop, stocked
from tests.orders.returns_helpers import shopper
from tests.orders.stored_value_helpers import give_points, points_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def duomo():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def tills(duomo):
    return (
        Register.objects.create(location=duomo, name="Till 1"),
        Register.objects.create(location=duomo, name="Till 2"),
    )


@pytest.fixture
def associate(duomo):
    return StaffFactory(store=duomo, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager(duomo):
    return StaffFactory(store=duomo, role=Role.STORE_MANAGER)


@pytest.fixture
def sessions(tills, associate, manager):
    """Till 1 opened by the associate (on device A), Till 2 by the manager."""
    till_1, till_2 = tills
    return (
        open_till(register=till_1, counts={D("50"): 4}, actor=associate),
        open_till(register=till_2, counts={D("50"): 4}, actor=manager),
    )


def device(user, register=None) -> Client:
    """A signed-in device; with ``register``, the register it chose."""
    client = Client()
    client.force_login(user)
    if register is not None:
        chosen = client.post(reverse("staff:till_register"), {"register": register.pk})
        assert chosen.status_code in (200, 302)
    return client


def sell(client, sku, **payment):
    client.post(reverse("staff:sale_add"), {"code": sku}, **HTMX)
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, **payment}
    return client.post(reverse("staff:sale_checkout"), data, **HTMX)


def give_back(client, order, **extra):
    line = order.lines.get()
    return client.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": "original",
            "action": "refund",
            **extra,
        },
    )


@pytest.fixture
def cash_order(duomo, associate):
    """Rung up at Duomo, delivered from a warehouse, paid in cash: on no till yet."""
    coat = VariantFactory(sku="COAT-BLK-L", price=D("120.00"))
    stock(coat, WarehouseFactory(code="WH01"), 3)
    return delivery_order(
        lines=[(coat, 1)],
        channel=Channel.STORE,
        placing_location=duomo,
        staff=associate,
        payments=[PaymentRequest(method="cash")],
    )


def test_a_cash_refund_comes_out_of_the_drawer_of_the_device_that_gives_it(
    duomo, tills, sessions, associate
):
    """The associate opened Till 1 on another device; on Till 2's device the cash
    sale and its refund both go through Till 2, and both drawers balance."""
    till_1, till_2 = sessions
    stocked(duomo, 3, sku="WSH-00001-LBL-S", price="59.90")
    on_till_2 = device(associate, tills[1])

    assert sell(on_till_2, "WSH-00001-LBL-S").status_code == 200
    order = Order.objects.get()
    assert give_back(on_till_2, order).status_code == 302

    refund = Refund.objects.get()
    assert refund.amount == D("59.90")
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (booked.session, booked.amount) == (till_2, D("-59.90"))
    assert expected_cash(till_1) == D("200.00")
    assert expected_cash(till_2) == D("200.00")
    page = on_till_2.get(reverse("staff:till")).content.decode()
    assert 'data-testid="till-expected">200.00 EUR' in page


def test_the_drawer_checked_for_enough_cash_is_the_devices(
    duomo, tills, associate, manager, cash_order
):
    """Till 2 holds 20.00: a 120.00 cash cancel there is refused, however much the
    associate's own Till 1 holds, and nothing changes."""
    open_till(register=tills[0], counts={D("50"): 4}, actor=associate)
    open_till(register=tills[1], counts={D("20"): 1}, actor=manager)
    on_till_2 = device(associate, tills[1])

    response = on_till_2.post(
        reverse("staff:order_cancel", args=[cash_order.number]),
        {"reason": "Changed mind"},
        **HTMX,
    )

    assert response.status_code == 422
    assert "The drawer should hold 20.00: 120.00 cannot go out." in (
        response.content.decode()
    )
    cash_order.refresh_from_db()
    assert cash_order.status == OrderStatus.PLACED
    assert not Refund.objects.exists()


def test_a_cancel_at_the_desk_gives_the_cash_back_from_the_devices_till(
    tills, sessions, associate, cash_order
):
    till_1, till_2 = sessions
    on_till_2 = device(associate, tills[1])
    response = on_till_2.post(
        reverse("staff:order_cancel", args=[cash_order.number]), {"reason": "Wrong"}
    )

    assert response.status_code == 302
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (booked.session, booked.amount, booked.actor) == (
        till_2,
        D("-120.00"),
        associate,
    )
    assert expected_cash(till_1) == D("200.00")


def test_a_device_that_chose_no_register_is_asked_to_before_cash_goes_back(
    sessions, associate, cash_order
):
    """Two tills open, none chosen on this device: which drawer pays is unknown, so
    the cash stays put and the desk is told to choose."""
    unchosen = device(associate)

    response = unchosen.post(
        reverse("staff:order_cancel", args=[cash_order.number]),
        {"reason": "Wrong"},
        **HTMX,
    )

    assert response.status_code == 422
    assert CHOOSE_REGISTER in response.content.decode()
    assert not TillMovement.objects.filter(kind=TillMovementKind.REFUND).exists()


def test_away_from_a_counter_the_refund_goes_to_the_actors_session(
    duomo, sessions, manager, cash_order
):
    """No device (a service called by the admin or a task): the session the actor
    opened, as before."""
    _, till_2 = sessions
    cancel_order(order=cash_order, actor=manager, reason="Wrong", location=duomo)
    booked = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert booked.session == till_2


def test_the_sale_screen_asks_a_device_with_no_register_to_choose_one(
    duomo, tills, sessions, associate
):
    stocked(duomo, 3, sku="WSH-00001-LBL-S", price="59.90")
    unchosen = device(associate)
    page = unchosen.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="choose-register"' in page
    assert "Till 2" in page

    for method in (PaymentMethod.MOBILE_WALLET, PaymentMethod.CASH):
        refused = sell(unchosen, "WSH-00001-LBL-S", method_1=method)
        assert refused.status_code == 422
        body = refused.content.decode()
        assert CHOOSE_REGISTER in body
        assert "The till is not open" not in body
    assert not Order.objects.exists()

    chosen = unchosen.post(
        reverse("staff:till_register"),
        {"register": tills[1].pk, "next": reverse("staff:sale")},
    )
    assert chosen.status_code == 302
    assert chosen["Location"] == reverse("staff:sale")
    page = unchosen.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="choose-register"' not in page
    sold = unchosen.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.MOBILE_WALLET},
        **HTMX,
    )
    assert "HX-Redirect" in sold
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert booked.session == sessions[1]


# --- exchanges ----------------------------------------------------------------------


@pytest.fixture
def points_order(duomo, associate):
    """A 24.90 shirt for Nora, paid with 469 points (4.69) and 20.21 by card."""
    _, customer = shopper("nora@example.com")
    give_points(customer, 469)
    shirt = stocked(duomo, 5, price="24.90", sku="WSH-00001-LBL-S")
    stocked(duomo, 5, price="45.00", sku="WSH-00001-LBL-L")
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


def exchange_form(line, tender: str) -> dict:
    """The shirt swapped for the larger size, the difference paid by ``tender``."""
    return {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": "WSH-00001-LBL-L",
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": tender,
    }


def test_every_till_booking_of_an_exchange_is_on_the_devices_register(
    tills, sessions, associate, points_order
):
    till_1, till_2 = sessions
    on_till_2 = device(associate, tills[1])
    line = points_order.lines.get()
    url = reverse("staff:return_exchange", args=[points_order.number])
    form = exchange_form(line, "cash")
    review = on_till_2.post(url, form)
    assert review.status_code == 200, review.content.decode()[:500]

    done = on_till_2.post(url, {**form, "confirm": review.context["review"].key})

    assert done.status_code == 302, done.content.decode()[:500]
    ret = Return.objects.get()
    assert points_of(ret.customer) == 469  # the points share went back as points
    given_back = TillMovement.objects.get(
        kind=TillMovementKind.REFUND, refund__isnull=False
    )
    assert (given_back.session, given_back.amount, given_back.actor) == (
        till_2,
        D("0.00"),
        associate,
    )
    assert given_back.refund.payment.method == PaymentMethod.LOYALTY_POINTS
    credit = TillMovement.objects.get(
        kind=TillMovementKind.REFUND, store_credit__isnull=False
    )
    assert (credit.session, credit.amount, credit.store_credit.amount) == (
        till_2,
        D("0.00"),
        D("20.21"),
    )
    sold = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (sold.session, sold.order) == (till_2, ret.exchange_order)
    assert sold.amount == D("24.79")  # 45.00 less the 20.21 of store credit
    assert not TillMovement.objects.filter(session=till_1).exclude(
        kind=TillMovementKind.FLOAT
    )
    assert expected_cash(till_1) == D("200.00")
    assert expected_cash(till_2) == D("224.79")
    till_page = on_till_2.get(reverse("staff:till")).content.decode()
    assert f"Return {ret.code}" in till_page


def test_a_device_that_chose_no_register_is_asked_to_before_the_exchange(
    sessions, associate, points_order
):
    unchosen = device(associate)
    line = points_order.lines.get()
    url = reverse("staff:return_exchange", args=[points_order.number])
    form = exchange_form(line, "card_in_store")
    review = unchosen.post(url, form)
    assert review.status_code == 200, review.content.decode()[:500]

    done = unchosen.post(url, {**form, "confirm": review.context["review"].key})

    assert done.status_code == 422
    assert "choose the one this device is on" in done.content.decode()
    assert not Return.objects.exists()
    assert not TillMovement.objects.exclude(kind=TillMovementKind.FLOAT).exists()
