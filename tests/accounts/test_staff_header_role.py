"""The staff header names who is signed in and their role as staff read it: the
platform's superuser, who holds no role group, is not called a customer."""

from __future__ import annotations

import pytest

from omnistore.accounts.models import Role
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _header(client, user) -> str:
    client.force_login(user)
    response = client.get("/staff/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_superuser_is_named_platform_superuser_not_customer(client):
    LocationFactory(code="MI01", name="Milano Duomo")
    admin = UserFactory(
        username="root", first_name="Omnistore", last_name="Admin", is_superuser=True
    )
    assert admin.role == Role.CUSTOMER
    page = _header(client, admin)
    assert "Omnistore Admin (Platform superuser)" in page
    assert "(Customer)" not in page


def test_shop_staff_are_named_by_their_role(client):
    shop = LocationFactory(code="MI01", name="Milano Duomo")
    giulia = UserFactory(
        first_name="Giulia", last_name="Bianchi", role=Role.ASSOCIATE, store=shop
    )
    assert "Giulia Bianchi (Store associate)" in _header(client, giulia)
