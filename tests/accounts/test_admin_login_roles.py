"""A login's role given on its admin page keeps the role's rules, the same as
``assign_role``: shop staff belong to a shop, a store manager to exactly one, and
*Staff status* follows the role. A login breaking them is refused beside the field,
nothing saved, never a server error."""

import pytest
from django.contrib.auth.models import Group

from omnistore.accounts.models import Role, User
from omnistore.accounts.roles import ASSOCIATE, STORE_MANAGER
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def new_login(admin_client, username="nina") -> User:
    """Added the way the superuser adds one: username and password, then its page."""
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": username,
            "usable_password": "true",
            "password1": "a-long-pass-4321",
            "password2": "a-long-pass-4321",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    return User.objects.get(username=username)


def saved(admin_client, user, *, groups, store=None, shops=(), is_staff=False):
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "groups": [Group.objects.get(name=name).pk for name in groups],
        "shops": [shop.pk for shop in shops],
        "store": store.pk if store else "",
    }
    if is_staff:
        data["is_staff"] = "on"
    return admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)


def test_an_associate_without_a_shop_is_refused_on_the_form(admin_client):
    nina = new_login(admin_client)

    response = saved(admin_client, nina, groups=[ASSOCIATE])

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["shops"] == ["Shop staff belong to at least one shop."]
    nina.refresh_from_db()
    assert (nina.role, nina.store, nina.is_staff) == (Role.CUSTOMER, None, False)
    assert not nina.groups.exists() and not nina.shops.exists()


def test_a_store_manager_of_two_shops_is_refused_on_the_form(admin_client):
    duomo, roma = LocationFactory(name="Duomo"), LocationFactory(name="Roma")
    nina = new_login(admin_client)

    response = saved(
        admin_client, nina, groups=[STORE_MANAGER], store=duomo, shops=[duomo, roma]
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["shops"] == [
        "A store manager runs one shop; several make an area manager."
    ]
    nina.refresh_from_db()
    assert (nina.role, nina.store, nina.is_staff) == (Role.CUSTOMER, None, False)
    assert not nina.groups.exists() and not nina.shops.exists()


def test_a_store_manager_is_saved_with_their_shop_and_the_admin(admin_client):
    duomo = LocationFactory(name="Duomo")
    nina = new_login(admin_client)

    response = saved(admin_client, nina, groups=[STORE_MANAGER], store=duomo)

    assert response.status_code == 302
    nina.refresh_from_db()
    assert (nina.role, nina.store, nina.is_staff) == (Role.STORE_MANAGER, duomo, True)
    assert list(nina.shops.all()) == [duomo]  # the home shop among the shops
    page = admin_client.get(f"/admin/accounts/user/{nina.pk}/change/")
    assert page.context["adminform"].form.fields["is_staff"].disabled

    demoted = saved(
        admin_client, nina, groups=[ASSOCIATE], store=duomo, shops=[duomo], is_staff=1
    )

    assert demoted.status_code == 302
    nina.refresh_from_db()
    assert (nina.role, nina.store, nina.is_staff) == (Role.ASSOCIATE, duomo, False)
