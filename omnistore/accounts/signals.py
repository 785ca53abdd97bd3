"""Keep ``User.role`` derived from the groups, and the groups as designed."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from omnistore.core.exceptions import Conflict

from .models import User
from .roles import ROLE_GROUP_NAMES, role_of_groups, sync_role_groups


def derive_roles(user_ids) -> None:
    """Rewrite the role of each user from the groups they now hold."""
    for user in User.objects.filter(pk__in=list(user_ids)).prefetch_related("groups"):
        role = role_of_groups(group.name for group in user.groups.all())
        if role != user.role:
            User.objects.filter(pk=user.pk).update(role=role)


def groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Every way the groups change, from either side: ``group.user_set.clear()``
    names no one, so who held the group is read before it empties."""
    if action == "pre_clear" and reverse:
        instance._cleared_members = list(instance.user_set.values_list("pk", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:  # user.groups.add(...)
        ids = [instance.pk]
        derive_roles(ids)
        user_role = User.objects.filter(pk=instance.pk).values_list("role", flat=True)
        instance.role = user_role.first() or instance.role
    elif action == "post_clear":  # group.user_set.clear()
        derive_roles(instance.__dict__.pop("_cleared_members", ()))
    elif pk_set:  # group.user_set.add(...)
        derive_roles(pk_set)


def _stored_name(group) -> str | None:
    """The group's name as saved (a form may have changed it in memory)."""
    if group.pk is None:
        return None
    rows = type(group).objects.filter(pk=group.pk).values_list("name", flat=True)
    return rows.first()


def _refuse(name: str):
    return Conflict(
        f"{name} is a role: its group keeps its name and is never deleted. A "
        "login's role changes with its groups, on the login's page.",
        code="role_group",
    )


def role_group_not_deleted(sender, instance, **kwargs) -> None:
    """A role's group stays (its members would keep a role their groups no longer
    give): deleting it, in the admin or by any code, is refused, nothing changed."""
    name = _stored_name(instance)
    if name in ROLE_GROUP_NAMES:
        raise _refuse(name)


def role_group_not_renamed(sender, instance, **kwargs) -> None:
    """A role's group keeps its name, and no other group takes one: its members
    would keep, or gain, a role no change of their groups gave."""
    stored = _stored_name(instance)
    if stored is None or stored == instance.name:
        return
    for name in (stored, instance.name):
        if name in ROLE_GROUP_NAMES:
            raise _refuse(name)


def groups_after_migrate(sender, app_config=None, using="default", **kwargs) -> None:
    """After ``migrate`` (and a test database's flush): permissions of every app exist
    first, then the groups get theirs."""
    if app_config is None or app_config.label != "accounts":
        return
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    sync_role_groups()
