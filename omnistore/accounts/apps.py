from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate, pre_delete, pre_save


class AccountsConfig(AppConfig):
    name = "omnistore.accounts"
    label = "accounts"
    verbose_name = "Accounts and staff"

    def ready(self) -> None:
        from django.contrib.auth.models import Group

        from .models import User
        from .signals import (
            groups_after_migrate,
            groups_changed,
            role_group_not_deleted,
            role_group_not_renamed,
        )

        m2m_changed.connect(
            groups_changed, sender=User.groups.through, dispatch_uid="role-of-groups"
        )
        pre_delete.connect(
            role_group_not_deleted, sender=Group, dispatch_uid="role-group-kept"
        )
        pre_save.connect(
            role_group_not_renamed, sender=Group, dispatch_uid="role-group-named"
        )
        post_migrate.connect(groups_after_migrate, dispatch_uid="role-groups")
