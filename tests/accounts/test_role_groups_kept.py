"""A login's role follows its groups however they change, emptied from the group's
side too; and the role groups themselves stay as designed: never deleted or renamed
(in the admin, or by any code), so no login keeps a role its groups no longer give."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import reverse

from omnistore.accounts.models import Role, User
from omnistore.accounts.roles import AREA_MANAGER, ASSOCIATE, STORE_MANAGER
from omnistore.core.exceptions import Conflict
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia():
    roma, milano = LocationFactory(name="Roma"), LocationFactory(name="Milano")
    user = UserFactory(username="lucia", role=Role.AREA_MANAGER, store=roma)
    user.shops.add(milano)
    return user


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def role_of(user) -> str:
    return User.objects.get(pk=user.pk).role


def test_a_group_emptied_from_its_side_takes_its_role_from_its_members(client, lucia):
    Group.objects.get(name=AREA_MANAGER).user_set.clear()

    assert role_of(lucia) == Role.CUSTOMER
    client.force_login(User.objects.get(pk=lucia.pk))
    assert client.get(reverse("staff:dashboard")).status_code != 200


def test_a_group_emptied_from_its_side_leaves_other_groups_roles(lucia):
    giulia = UserFactory(
        username="giulia", role=Role.ASSOCIATE, store=LocationFactory(name="Torino")
    )
    lucia.groups.add(Group.objects.get(name=STORE_MANAGER))

    Group.objects.get(name=AREA_MANAGER).user_set.clear()

    assert (role_of(lucia), role_of(giulia)) == (Role.STORE_MANAGER, Role.ASSOCIATE)


@pytest.mark.parametrize(
    "delete",
    [
        lambda group: group.delete(),
        lambda group: Group.objects.filter(pk=group.pk).delete(),
    ],
)
def test_a_role_group_is_never_deleted_by_code(lucia, delete):
    group = Group.objects.get(name=AREA_MANAGER)

    with pytest.raises(Conflict, match="Area manager is a role"), transaction.atomic():
        delete(group)

    assert Group.objects.filter(pk=group.pk, name=AREA_MANAGER).exists()
    assert list(lucia.groups.values_list("name", flat=True)) == [AREA_MANAGER]
    assert role_of(lucia) == Role.AREA_MANAGER


def test_a_role_group_is_never_renamed_nor_another_named_as_a_role(lucia):
    group = Group.objects.get(name=AREA_MANAGER)
    group.name = "Regional lead"
    with pytest.raises(Conflict, match="Area manager is a role"):
        group.save()
    other = Group.objects.create(name="Visual merchandisers")
    other.name = ASSOCIATE
    with pytest.raises(Conflict, match="Associate is a role"):
        other.save()

    names = set(Group.objects.values_list("name", flat=True))
    assert {AREA_MANAGER, "Visual merchandisers"} <= names
    assert "Regional lead" not in names
    other.name = "Window dressers"
    other.save()  # any other group is renamed as before
    assert Group.objects.filter(name="Window dressers").exists()


def test_the_group_admin_shows_a_role_groups_name_fixed_and_no_delete(root, lucia):
    """Other groups are renamed and deleted there as before."""
    group = Group.objects.get(name=AREA_MANAGER)
    other = Group.objects.create(name="Visual merchandisers")
    other_url = reverse("admin:auth_group_change", args=[other.pk])
    url = reverse("admin:auth_group_change", args=[group.pk])

    page = root.get(url)
    posted = root.post(url, {"name": "Regional lead", "permissions": []})
    deleted = root.post(reverse("admin:auth_group_delete", args=[group.pk]))
    bulk = root.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": [group.pk], "post": "yes"},
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="name"' not in html and AREA_MANAGER in html
    assert reverse("admin:auth_group_delete", args=[group.pk]) not in html
    assert posted.status_code == 302
    assert (deleted.status_code, bulk.status_code) == (403, 403)
    assert Group.objects.filter(pk=group.pk, name=AREA_MANAGER).exists()
    assert role_of(lucia) == Role.AREA_MANAGER
    assert root.post(other_url, {"name": "Window dressers"}).status_code == 302
    assert Group.objects.get(pk=other.pk).name == "Window dressers"
    gone = root.post(reverse("admin:auth_group_delete", args=[other.pk]), {"post": 1})
    assert gone.status_code == 302 and not Group.objects.filter(pk=other.pk).exists()


def test_the_group_admin_lists_a_role_groups_permissions_without_editing_them(root):
    """A role's permissions are its design: a posted list changes nothing, and the
    page says why; another group's permissions are edited as before."""
    group = Group.objects.get(name=AREA_MANAGER)
    designed = set(group.permissions.values_list("pk", flat=True))
    extra = Permission.objects.exclude(pk__in=designed).order_by("pk").first()
    other = Group.objects.create(name="Visual merchandisers")
    url = reverse("admin:auth_group_change", args=[group.pk])

    page = root.get(url)
    posted = root.post(url, {"permissions": [extra.pk]})

    html = page.content.decode()
    assert page.status_code == 200 and 'name="permissions"' not in html
    assert "set again on every migrate" in html
    assert str(group.permissions.select_related("content_type").first()) in html
    assert posted.status_code == 302
    assert set(group.permissions.values_list("pk", flat=True)) == designed
    other_url = reverse("admin:auth_group_change", args=[other.pk])
    assert 'name="permissions"' in root.get(other_url).content.decode()
    kept = root.post(other_url, {"name": other.name, "permissions": [extra.pk]})
    assert kept.status_code == 302
    assert list(other.permissions.values_list("pk", flat=True)) == [extra.pk]
