"""Roles are groups: ``assign_role`` gives the group, the shops and admin access, and
``User.role`` follows the groups however they change (the service, the admin). The
staff UI follows the same shops as the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from omnistore.accounts.models import Role, User
from omnistore.accounts.roles import (
    AREA_MANAGER,
    ASSOCIATE,
    HEADQUARTERS,
    STORE_MANAGER,
    group_permissions,
)
from omnistore.accounts.scoping import shop_ids
from omnistore.accounts.services import assign_role
from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.auth import visible_locations
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_four_groups_exist_with_their_designed_permissions():
    names = set(Group.objects.values_list("name", flat=True))
    assert {ASSOCIATE, STORE_MANAGER, AREA_MANAGER, HEADQUARTERS} <= names
    manager = Group.objects.get(name=STORE_MANAGER)
    held = {p.codename for p in manager.permissions.all()}
    assert {"view_order", "change_order", "view_stocklevel"} <= held
    assert "delete_order" not in held and "view_campaign" not in held
    assert not Group.objects.get(name=ASSOCIATE).permissions.exists()
    hq = set(Group.objects.get(name=HEADQUARTERS).permissions.all())
    assert hq == set(group_permissions(HEADQUARTERS)) and len(hq) > 100


def test_an_area_manager_gets_the_group_shops_and_the_admin():
    milano, torino = LocationFactory(), LocationFactory()
    user = assign_role(
        user=UserFactory(username="paolo"),
        role=Role.AREA_MANAGER,
        shops=[milano, torino],
    )
    user = User.objects.get(pk=user.pk)
    assert user.role == Role.AREA_MANAGER and user.is_staff
    assert user.store == milano
    assert list(user.groups.values_list("name", flat=True)) == [AREA_MANAGER]
    assert shop_ids(user) == {milano.pk, torino.pk}
    assert set(visible_locations(user)) == {milano, torino}
    assert user.has_perm("orders.view_order") and not user.has_perm("orders.add_order")


def test_a_new_role_replaces_the_old_one_and_an_associate_leaves_the_admin():
    shop = LocationFactory()
    user = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    assert user.is_staff
    assign_role(user=user, role=Role.ASSOCIATE, shops=[shop])
    user = User.objects.get(pk=user.pk)
    assert user.role == Role.ASSOCIATE and not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [ASSOCIATE]


def test_a_store_manager_runs_one_shop_and_shop_staff_need_one():
    with pytest.raises(ValidationFailed):
        assign_role(
            user=UserFactory(),
            role=Role.STORE_MANAGER,
            shops=[LocationFactory(), LocationFactory()],
        )
    with pytest.raises(ValidationFailed):
        assign_role(user=UserFactory(), role=Role.ASSOCIATE, shops=[])


def test_the_role_follows_groups_changed_in_the_admin(client):
    shop = LocationFactory()
    user = UserFactory(username="giulia", role=Role.ASSOCIATE, store=shop)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "shops")
    }
    data.update(
        {
            "username": "giulia",
            "store": shop.pk,
            "shops": [shop.pk],
            "groups": [Group.objects.get(name=STORE_MANAGER).pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "is_active": "on",
            "is_staff": "on",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=user.pk).role == Role.STORE_MANAGER


def test_an_area_manager_switches_between_their_shops_only(client):
    milano, torino = LocationFactory(name="Milano"), LocationFactory(name="Torino")
    roma = LocationFactory(name="Roma")
    user = assign_role(
        user=UserFactory(username="paolo"),
        role=Role.AREA_MANAGER,
        shops=[milano, torino],
    )
    client.force_login(user)
    page = client.get(reverse("staff:dashboard"))
    assert page.context["staff_store"] == milano
    assert set(page.context["all_shops"]) == {milano, torino}
    html = page.content.decode()  # the switch is on the page, with their shops only
    assert 'data-testid="shop-switch"' in html
    assert f'<option value="{torino.pk}"' in html
    assert f'<option value="{roma.pk}"' not in html
    client.post(reverse("staff:switch_store"), {"store": torino.pk})
    assert client.get(reverse("staff:dashboard")).context["staff_store"] == torino
    client.post(reverse("staff:switch_store"), {"store": roma.pk})
    assert client.get(reverse("staff:dashboard")).context["staff_store"] == torino


def test_an_associate_cannot_switch_shop(client):
    shop, other = LocationFactory(), LocationFactory()
    client.force_login(UserFactory(role=Role.ASSOCIATE, store=shop))
    client.post(reverse("staff:switch_store"), {"store": other.pk})
    page = client.get(reverse("staff:dashboard"))
    assert page.context["staff_store"] == shop
    assert not page.context["all_shops"]
    assert 'data-testid="shop-switch"' not in page.content.decode()
