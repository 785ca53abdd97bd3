"""The customer list fits a 1366 px screen beside its filters: who the customer is
(name, email, phone), their loyalty card and points in one column, the shop they
prefer and the day they joined. The channel and a merge are filters; the rest is on
the profile."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import label_for_field
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from omnistore.accounts.models import Role
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/customer/"
COLUMNS = ["name", "email", "phone", "loyalty card", "preferred store", "created"]


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Duomo")


@pytest.fixture
def manager(client, shop):
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=shop))
    return client


def customers(shop, count: int, tag: str) -> None:
    for index in range(count):
        customer = make_customer(
            email=f"{tag}{index}@x.it", first_name="Giulia", last_name=f"Rossi{tag}"
        )
        Customer.objects.filter(pk=customer.pk).update(preferred_store=shop)


def headers(response) -> list[str]:
    cl = response.context["cl"]
    names = cl.model_admin.get_list_display(response.wsgi_request)
    return [str(label_for_field(name, cl.model, cl.model_admin)) for name in names]


def queries_to_list(client) -> int:
    client.get(CHANGELIST)  # the process's first admin page fills its caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_the_list_shows_six_columns_a_manager_needs(manager, shop):
    customers(shop, 1, "a")
    giulia = Customer.objects.get(email="a0@x.it")
    Customer.objects.filter(pk=giulia.pk).update(
        phone="+393331234567", points_balance=120
    )
    response = manager.get(CHANGELIST)
    assert response.status_code == 200
    assert headers(response) == COLUMNS
    html = response.content.decode()
    joined = timezone.localtime(giulia.created_at).strftime("%d %b %Y")
    for shown in (
        "Giulia Rossia",
        "a0@x.it",
        "+393331234567",
        f"{giulia.loyalty_number} · 120 pts",
        ">Milano Duomo<",
        joined,
    ):
        assert shown in html, shown
    for gone in ("column-created_channel", "column-merged_into", "column-id"):
        assert gone not in html
    one = queries_to_list(manager)
    customers(shop, 6, "b")
    assert queries_to_list(manager) == one


def test_a_merged_profile_says_so_in_its_name(manager, shop):
    customers(shop, 2, "m")
    first, second = Customer.objects.order_by("pk")
    Customer.objects.filter(pk=second.pk).update(merged_into=first)
    response = manager.get(CHANGELIST)
    assert "Giulia Rossim (merged)" in response.content.decode()
