"""A shop's manager opens in the admin every return of an order they may open: a web
order collected at their shop and brought back to another lists its return on the
order's page, linked, and the return and its store credit are among theirs. Who may
open the order but not returns reads the return by its code, with no link."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import RefundMethod, StoreCreditTransaction
from orders.services.refunds import return_at_counter
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import collected_order, line_request

pytestmark = pytest.mark.django_db

RETURNS = reverse("admin:orders_return_changelist")
CREDIT = reverse("admin:orders_storecredittransaction_changelist")


@pytest.fixture
def book():
    """A web order collected at Milano Duomo, brought back at Torino for credit."""
    duomo = LocationFactory(code="MI02", name="Milano Duomo")
    torino = LocationFactory(code="TO01", name="Torino Porta Nuova")
    order = collected_order(
        store=duomo,
        lines=[(stocked(duomo, 3), 1)],
        customer=make_customer(email="ada@example.com"),
        points=False,
    )
    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order)],
        location=torino,
        actor=StaffFactory(store=torino),
        refund_method=RefundMethod.STORE_CREDIT,
    )
    return {"duomo": duomo, "torino": torino, "order": order, "return": ret}


def listed(response) -> set[str]:
    return {str(row) for row in response.context["cl"].result_list}


def test_a_manager_opens_the_return_of_an_order_collected_at_their_shop(client, book):
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=book["duomo"]))
    ret = book["return"]
    link = reverse("admin:orders_return_change", args=[ret.pk])
    credit = StoreCreditTransaction.objects.get(return_request=ret)

    order_page = client.get(
        reverse("admin:orders_order_change", args=[book["order"].pk])
    )
    return_page = client.get(link)
    returns = client.get(RETURNS)
    credits = client.get(CREDIT)

    assert order_page.status_code == 200
    assert f'href="{link}"' in order_page.content.decode()
    assert return_page.status_code == 200
    assert listed(returns) == {ret.code}
    assert [row.pk for row in credits.context["cl"].result_list] == [credit.pk]


def test_a_manager_of_another_shop_sees_neither_the_order_nor_its_return(client, book):
    elsewhere = LocationFactory(code="RM01", name="Roma Corso")
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=elsewhere))
    order = client.get(reverse("admin:orders_order_change", args=[book["order"].pk]))
    opened = client.get(reverse("admin:orders_return_change", args=[book["return"].pk]))

    assert (order.status_code, opened.status_code) == (404, 404)
    assert listed(client.get(RETURNS)) == set()
    assert client.get(CREDIT).context["cl"].result_list.count() == 0


def test_a_return_one_may_not_open_is_named_on_the_order_without_a_link(client, book):
    reader = UserFactory(is_staff=True, store=book["duomo"])  # no role: no group
    reader.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(reader)
    ret = book["return"]
    link = reverse("admin:orders_return_change", args=[ret.pk])

    order_page = client.get(
        reverse("admin:orders_order_change", args=[book["order"].pk])
    )

    assert order_page.status_code == 200
    text = order_page.content.decode()
    assert ret.code in text
    assert link not in text
    assert client.get(link).status_code == 403
