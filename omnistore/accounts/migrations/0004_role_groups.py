"""The role groups, and every staff login in the group of its role, its home shop
among its shops. Groups are fetched with get_or_create, so any migration may name
them; their permissions are set after every migrate (``omnistore.accounts.roles``)."""

from django.db import migrations

ROLE_GROUPS = {
    "associate": "Associate",
    "store_manager": "Store manager",
    "area_manager": "Area manager",
    "hq": "Headquarters",
}


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("accounts", "User")
    for role, name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for user in User.objects.filter(role=role):
            user.groups.add(group)
            if user.store_id:
                user.shops.add(user.store_id)
            if role in ("store_manager", "area_manager") and not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_shops"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
