"""Who made a change is named on admin pages; the name links to the login's page only
for who may open it (the platform's superuser). HQ and managers, who would get a
403 there, read the name alone, on the object, its inlines and its history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.services.transfers import request_transfer, ship_transfer
from omnistore.accounts.models import Role
from orders.models import DiscountCode
from tests.factories import (
    LocationFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.discount_helpers import discount_code

pytestmark = pytest.mark.django_db

LOGIN_PAGES = "/admin/accounts/user/"


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Duomo")


@pytest.fixture
def marco(shop):
    return UserFactory(
        username="marco",
        first_name="Marco",
        last_name="Bruni",
        role=Role.STORE_MANAGER,
        store=shop,
    )


@pytest.fixture
def elena():
    return UserFactory(
        username="elena", first_name="Elena", last_name="Conti", role=Role.HQ
    )


@pytest.fixture
def root():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def code(marco):
    return discount_code(code="SUMMER15", actor=marco)


def page_of(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_hq_reads_who_created_a_code_without_a_link_to_their_login(client, elena, code):
    html = page_of(
        client, elena, reverse("admin:orders_discountcode_change", args=[code.pk])
    )
    assert "Marco Bruni" in html
    assert LOGIN_PAGES not in html


def test_the_superuser_still_follows_the_link_to_the_login(client, root, marco, code):
    html = page_of(
        client, root, reverse("admin:orders_discountcode_change", args=[code.pk])
    )
    assert f'href="{LOGIN_PAGES}{marco.pk}/change/">Marco Bruni</a>' in html


def test_a_codes_history_names_who_made_it_without_a_link(client, elena):
    client.force_login(elena)
    added = client.post(
        reverse("admin:orders_discountcode_add"),
        {
            "code": "AUTUMN20",
            "kind": "percentage",
            "value": "20",
            "active": "on",
            "min_subtotal": "0",
            "channels": "both",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )
    assert added.status_code == 302
    code = DiscountCode.objects.get(code="AUTUMN20")
    assert code.audit.exists()
    html = page_of(
        client, elena, reverse("admin:orders_discountcode_history", args=[code.pk])
    )
    assert "Elena Conti" in html
    assert LOGIN_PAGES not in html


def test_a_manager_reads_who_asked_for_and_shipped_a_transfer(client, shop, marco):
    warehouse = WarehouseFactory(code="WH01", name="Piacenza")
    shirt = VariantFactory()
    stock(shirt, warehouse, 5)
    transfer = request_transfer(
        source=warehouse, destination=shop, lines=[(shirt, 2)], actor=marco
    )
    ship_transfer(transfer=transfer, actor=marco)
    html = page_of(
        client, marco, reverse("admin:inventory_transfer_change", args=[transfer.pk])
    )
    assert html.count("Marco Bruni") >= 2  # requested by, and the events inline
    assert LOGIN_PAGES not in html
