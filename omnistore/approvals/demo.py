"""Demo managers who approve: the shop's manager joins the "Store manager" group and
HQ the "Headquarters" group, and both get an approval PIN (printed by
``demo_info``), so the approvals work in the demo before anything else sets roles."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from omnistore.accounts.models import User
from omnistore.approvals.services.pins import set_pin

DEMO_PINS = {"manager": ("Store manager", "2468"), "hq": ("Headquarters", "1357")}


def seed_approvals(*, scale: int = 1, stdout=None) -> None:
    permissions = Permission.objects.filter(
        content_type__app_label="approvals",
        codename__in=["approve_request", "view_manager_pages"],
    )
    for username, (group_name, pin) in DEMO_PINS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*permissions)
        user.groups.add(group)
        user = User.objects.get(pk=user.pk)  # fresh permission caches
        set_pin(user=user, pin=pin)
    if stdout is not None:
        stdout.write("Approvals: demo manager PINs set (manager 2468, hq 1357).")
