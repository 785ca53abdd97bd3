"""Shop staff keep a home shop (a database constraint): clearing it in the login's
admin page is refused beside the field, in words, and nothing changes; never a
server error."""

import pytest

from omnistore.accounts.models import Role
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def change_data(user, **overrides) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "10:00",
        "last_login_0": "",
        "last_login_1": "",
        "groups": [g.pk for g in user.groups.all()],
        "shops": [s.pk for s in user.shops.all()],
        "store": user.store_id,
        **overrides,
    }


def test_clearing_a_store_managers_home_shop_is_refused_at_the_field(admin_client):
    shop = LocationFactory(code="MI01")
    marco = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    url = f"/admin/accounts/user/{marco.pk}/change/"

    response = admin_client.post(url, change_data(marco, store=""))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["store"] == ["Shop staff need a home shop."]
    assert not form.non_field_errors()
    marco.refresh_from_db()
    assert marco.store == shop
    other = LocationFactory(code="TO01")
    moved = admin_client.post(url, change_data(marco, store=other.pk, shops=[other.pk]))
    assert moved.status_code == 302
    marco.refresh_from_db()
    assert marco.store == other
    customer = UserFactory(username="ada", store=other)  # no shop role: no home shop
    cleared = admin_client.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        change_data(customer, store="", is_staff=""),
    )
    assert cleared.status_code == 302
    customer.refresh_from_db()
    assert customer.store is None
