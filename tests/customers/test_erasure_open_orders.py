"""A person with orders still to be delivered or collected, or a return still open,
is not erased yet: the shop still needs the address, the email with the pickup code,
someone to hand the goods to. The refusal says which orders, and what to do; nothing
is erased meanwhile. Once they are shipped, collected or cancelled, the erasure goes
through."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from rest_framework.authtoken.models import Token

from customers.models import Customer
from customers.services.erasure import erase_customer
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from orders.models import Order, OrderStatus
from orders.services.fulfilment import (
    cancel_order,
    mark_delivered,
    mark_picked,
    ship_order,
)
from orders.services.refunds import receive_return, refund_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import (
    delivery_order,
    pickup_order,
    ready_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/customer/"


@pytest.fixture
def store():
    return shop(ships_online_orders=True)


@pytest.fixture
def person():
    return CustomerUserFactory(email="olga.open@example.com", first_name="Olga")


def signed_in(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def open_orders(customer, store) -> tuple[Order, Order]:
    """A delivery not shipped yet and a pickup waiting at the shop."""
    depot = warehouse()
    delivery = delivery_order(
        lines=[(stocked(depot, 3), 1)], email=customer.email, customer=customer
    )
    pickup = ready_order(
        store=store, lines=[(stocked(store, 3), 1)], email=customer.email
    )
    Order.objects.filter(pk=pickup.pk).update(customer=customer)
    return delivery, pickup


def test_the_api_refuses_with_409_naming_the_orders_and_erases_nothing(
    api_client, person, store
):
    customer = person.customer_profile
    delivery, pickup = open_orders(customer, store)

    response = signed_in(api_client, person).post(
        "/api/v1/me/erase/", {"confirm": True}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "open_orders"
    assert delivery.number in body["message"] and pickup.number in body["message"]
    assert "cancel" in body["message"]
    assert sorted(body["extra"]["orders"]) == sorted([delivery.number, pickup.number])
    customer.refresh_from_db()
    person.refresh_from_db()
    assert not customer.is_anonymised and customer.email == "olga.open@example.com"
    assert person.is_active and Token.objects.filter(user=person).exists()
    delivery.refresh_from_db()
    assert delivery.email == "olga.open@example.com"
    assert delivery.fulfilments.get().address["line1"] == "Via Torino 1"
    assert signed_in(api_client, person).get("/api/v1/me/").status_code == 200


def test_once_shipped_and_cancelled_the_person_is_erased(api_client, person, store):
    customer = person.customer_profile
    delivery, pickup = open_orders(customer, store)
    staff = StaffFactory(store=store)
    mark_picked(order=delivery, actor=staff)
    ship_order(order=delivery, actor=staff, tracking_reference="TRK-9")
    cancel_order(order=pickup, actor=staff, reason="Never came")

    response = signed_in(api_client, person).post(
        "/api/v1/me/erase/", {"confirm": True}, format="json"
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.is_anonymised
    assert set(Order.objects.values_list("status", flat=True)) == {
        OrderStatus.SHIPPED,
        OrderStatus.CANCELLED,
    }


def test_a_pickup_still_to_collect_alone_refuses_the_erasure(store):
    customer = make_customer(email="pia@example.com")
    order = pickup_order(
        store=store, lines=[(stocked(store, 2), 1)], email="pia@example.com"
    )
    assert order.customer == customer

    with pytest.raises(Conflict) as refused:
        erase_customer(customer=customer)

    assert refused.value.code == "open_orders"
    assert order.number in refused.value.message
    customer.refresh_from_db()
    assert not customer.is_anonymised


def test_an_open_return_refuses_the_erasure_until_refunded(store):
    customer = make_customer(email="rita@example.com")
    staff = StaffFactory(store=store)
    order = delivery_order(
        lines=[(stocked(warehouse(), 2), 1)], email="rita@example.com"
    )
    mark_picked(order=order, actor=staff)
    ship_order(order=order, actor=staff)
    mark_delivered(order=order, actor=staff)
    ret = request_return(
        order=order,
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_small")],
        channel=Channel.STORE,
        actor=staff,
        location=store,
    )

    with pytest.raises(Conflict) as refused:
        erase_customer(customer=customer)
    assert refused.value.code == "open_orders"
    assert ret.code in refused.value.message
    assert refused.value.extra["returns"] == [ret.code]

    receive_return(return_request=ret, location=store, actor=staff)
    refund_return(return_request=ret, actor=staff, location=store)
    erase_customer(customer=customer)
    customer.refresh_from_db()
    assert customer.is_anonymised


def test_hq_erasing_in_the_admin_is_told_who_waits_for_orders(client, store):
    hq = UserFactory(username="hq-open", role=Role.HQ, is_staff=True)
    client.force_login(hq)
    waiting = make_customer(email="wanda@example.com", first_name="Wanda")
    order = pickup_order(
        store=store, lines=[(stocked(store, 2), 1)], email="wanda@example.com"
    )
    free = make_customer(email="fred@example.com", first_name="Fred")
    asked = {
        "action": "erase_selected",
        "_selected_action": [waiting.pk, free.pk],
        "confirm": "erase",
        "reason": "Asked at the counter, form 12",
    }

    response = client.post(CHANGELIST, asked, follow=True)

    assert response.status_code == 200
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert order.number in shown and f"#{waiting.pk}" in shown
    assert "Erased the personal data of 1 customer" in shown
    assert not Customer.objects.get(pk=waiting.pk).is_anonymised
    assert Customer.objects.get(pk=free.pk).is_anonymised


def test_hq_erasing_only_people_with_open_orders_erases_nobody(client, store):
    hq = UserFactory(username="hq-open-2", role=Role.HQ, is_staff=True)
    client.force_login(hq)
    waiting = make_customer(email="willa@example.com")
    order = pickup_order(
        store=store, lines=[(stocked(store, 2), 1)], email="willa@example.com"
    )
    asked = {
        "action": "erase_selected",
        "_selected_action": [waiting.pk],
        "confirm": "erase",
        "reason": "Asked at the counter, form 12",
    }

    response = client.post(CHANGELIST, asked, follow=True)

    assert response.status_code == 200
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert order.number in shown and "Erased the personal data" not in shown
    assert not Customer.objects.get(pk=waiting.pk).is_anonymised
