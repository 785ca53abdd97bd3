"""An exchange at a shop with two registers open goes through the register of the
device that does it, whoever opened the other: the points its return gives back and
the replacement's sale, with the difference taken in cash, are all booked on that
device's session, and the other drawer is left as it was."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from omnistore.staff.once import new_token
from orders.models import (
    PaymentMethod,
    Register,
    Return,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.till import expected_cash
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.till import open_till
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import shopper
from tests.orders.stored_value_helpers import give_points, points_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
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
def sessions(tills, associate, duomo):
    """Till 1 opened by the associate (on another device), Till 2 by the manager."""
    manager = StaffFactory(store=duomo, role=Role.STORE_MANAGER)
    return (
        open_till(register=tills[0], counts={D("50"): 4}, actor=associate),
        open_till(register=tills[1], counts={D("50"): 4}, actor=manager),
    )


@pytest.fixture
def order(duomo, associate):
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


def on_register(user, register) -> Client:
    client = Client()
    client.force_login(user)
    chosen = client.post(reverse("staff:till_register"), {"register": register.pk})
    assert chosen.status_code in (200, 302)
    return client


def test_every_till_booking_of_an_exchange_is_on_the_devices_register(
    tills, sessions, associate, order
):
    till_1, till_2 = sessions
    on_till_2 = on_register(associate, tills[1])
    line = order.lines.get()
    url = reverse("staff:return_exchange", args=[order.number])
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": "WSH-00001-LBL-L",
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "cash",
    }
    review = on_till_2.post(url, form)
    assert review.status_code == 200, review.content.decode()[:500]

    done = on_till_2.post(url, {**form, "confirm": review.context["review"].key})

    assert done.status_code == 302, done.content.decode()[:500]
    ret = Return.objects.get()
    assert points_of(ret.customer) == 469  # the points share went back as points
    given_back = TillMovement.objects.get(kind=TillMovementKind.REFUND)
    assert (given_back.session, given_back.amount, given_back.actor) == (
        till_2,
        D("0.00"),
        associate,
    )
    assert given_back.refund.payment.method == PaymentMethod.LOYALTY_POINTS
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
    sessions, associate, order
):
    unchosen = Client()
    unchosen.force_login(associate)
    line = order.lines.get()
    url = reverse("staff:return_exchange", args=[order.number])
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": "WSH-00001-LBL-L",
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "card_in_store",
    }
    review = unchosen.post(url, form)
    assert review.status_code == 200, review.content.decode()[:500]

    done = unchosen.post(url, {**form, "confirm": review.context["review"].key})

    assert done.status_code == 422
    assert "choose the one this device is on" in done.content.decode()
    assert not Return.objects.exists()
    assert not TillMovement.objects.exclude(kind=TillMovementKind.FLOAT).exists()
