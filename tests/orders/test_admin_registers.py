"""Registers in the admin: a register's shop is fixed once it has had a till session
(the session's float, cash movements and refunds are that shop's cash), and a
register stays in use while a session is open on it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from orders.models import Register, TillSession
from orders.services.till import close_till, open_till
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop

pytestmark = pytest.mark.django_db

FLOAT = {Decimal("50"): 2}


@pytest.fixture
def milan():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def turin():
    return shop(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def associate(milan):
    return StaffFactory(
        store=milan, username="giulia", first_name="Giulia", last_name="Bianchi"
    )


@pytest.fixture
def register(milan):
    return Register.objects.create(location=milan, name="Till 1")


def as_hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


def as_area_manager(client, *shops):
    manager = UserFactory(username="area", role=Role.AREA_MANAGER, store=shops[0])
    assign_role(user=manager, role=Role.AREA_MANAGER, shops=list(shops))
    client.force_login(manager)
    return client


def change(client, register, **fields):
    data = {"name": register.name, "location": register.location_id, "active": "on"}
    data.update(fields)
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(
        reverse("admin:orders_register_change", args=[register.pk]), data
    )


def test_a_register_with_an_open_session_keeps_its_shop_and_the_session_with_it(
    client, register, associate, turin, milan
):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    hq = as_hq(client)

    page = hq.get(reverse("admin:orders_register_change", args=[register.pk]))
    response = change(hq, register, location=turin.pk, name="Till 1 (front)")

    assert 'name="location"' not in page.content.decode()
    assert response.status_code == 302
    register.refresh_from_db()
    assert (register.name, register.location) == ("Till 1 (front)", milan)
    assert TillSession.objects.get(pk=session.pk).register.location == milan


def test_an_area_manager_cannot_move_a_register_between_their_shops(
    client, register, associate, milan, turin
):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    close_till(session=session, counts=FLOAT, actor=associate)
    manager = as_area_manager(client, milan, turin)

    response = change(manager, register, location=turin.pk)

    assert response.status_code == 302
    register.refresh_from_db()
    assert register.location == milan


def test_a_register_that_never_had_a_session_can_still_move(client, register, turin):
    response = change(as_hq(client), register, location=turin.pk)

    assert response.status_code == 302
    register.refresh_from_db()
    assert register.location == turin


def test_a_register_with_an_open_session_is_not_taken_out_of_use(
    client, register, associate, milan, turin
):
    open_till(register=register, counts=FLOAT, actor=associate)
    manager = as_area_manager(client, milan, turin)

    refused = change(manager, register, active=None)

    assert refused.status_code == 200
    [error] = refused.context["adminform"].form.errors["active"]
    assert "Till 1 has a session open since" in error
    assert "opened by Giulia Bianchi" in error
    register.refresh_from_db()
    assert register.active is True


def test_a_register_is_taken_out_of_use_once_its_session_is_closed(
    client, register, associate
):
    session = open_till(register=register, counts=FLOAT, actor=associate)
    close_till(session=session, counts=FLOAT, actor=associate)

    response = change(as_hq(client), register, active=None)

    assert response.status_code == 302
    register.refresh_from_db()
    assert register.active is False
