"""The managers' groups approve and see the manager pages: "Store manager", "Area
manager" and "Headquarters" hold ``approvals.approve_request`` and
``approvals.view_manager_pages``. The groups are found or made by name, so the
roles' own migration and this one agree whichever runs first."""

from django.db import migrations

GROUPS = ["Store manager", "Area manager", "Headquarters"]
PERMISSIONS = [
    ("approve_request", "Can approve risky moves at the counter"),
    ("view_manager_pages", "Can see the manager pages of their shops"),
]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="approvals", model="approval"
    )
    permissions = [
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS
    ]
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(
        content_type__app_label="approvals",
        codename__in=[codename for codename, _ in PERMISSIONS],
    )
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
