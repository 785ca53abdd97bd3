from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate


class AccountsConfig(AppConfig):
    name = "omnistore.accounts"
    label = "accounts"
    verbose_name = "Accounts and staff"

    def ready(self) -> None:
        from .models import User
        from .signals import groups_after_migrate, groups_changed

        m2m_changed.connect(
            groups_changed, sender=User.groups.through, dispatch_uid="role-of-groups"
        )
        post_migrate.connect(groups_after_migrate, dispatch_uid="role-groups")
