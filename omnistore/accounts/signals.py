"""Keep ``User.role`` derived from the groups, and the groups as designed."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from .models import User
from .roles import role_of_groups, sync_role_groups


def derive_roles(user_ids) -> None:
    """Rewrite the role of each user from the groups they now hold."""
    for user in User.objects.filter(pk__in=list(user_ids)).prefetch_related("groups"):
        role = role_of_groups(group.name for group in user.groups.all())
        if role != user.role:
            User.objects.filter(pk=user.pk).update(role=role)


def groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:  # user.groups.add(...)
        ids = [instance.pk]
        derive_roles(ids)
        user_role = User.objects.filter(pk=instance.pk).values_list("role", flat=True)
        instance.role = user_role.first() or instance.role
    elif pk_set:  # group.user_set.add(...)
        derive_roles(pk_set)


def groups_after_migrate(sender, app_config=None, using="default", **kwargs) -> None:
    """After ``migrate`` (and a test database's flush): permissions of every app exist
    first, then the groups get theirs."""
    if app_config is None or app_config.label != "accounts":
        return
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    sync_role_groups()
