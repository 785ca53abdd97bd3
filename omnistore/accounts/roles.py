"""Roles are Django groups; what each may do in the admin is the groups' permissions.

The design is written down here as data (and in the README's table), and
``sync_role_groups`` makes the database say the same after every ``migrate``: the
groups exist under these exact names and hold exactly these permissions. A login's
``User.role`` is derived from its groups (``role_of_groups``); which rows a manager sees
is the shop scoping in ``omnistore.accounts.scoping``. The superuser is for running the
platform (logins, groups), not a role of the business.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Role

ASSOCIATE = "Associate"
STORE_MANAGER = "Store manager"
AREA_MANAGER = "Area manager"
HEADQUARTERS = "Headquarters"

ROLE_GROUPS = {
    Role.ASSOCIATE: ASSOCIATE,
    Role.STORE_MANAGER: STORE_MANAGER,
    Role.AREA_MANAGER: AREA_MANAGER,
    Role.HQ: HEADQUARTERS,
}
ROLE_GROUP_NAMES = frozenset(ROLE_GROUPS.values())
# The highest group a login holds names its role.
PRECEDENCE = [Role.HQ, Role.AREA_MANAGER, Role.STORE_MANAGER, Role.ASSOCIATE]
# Roles that sign in to /admin/ (``is_staff``); associates work in the staff UI only.
ADMIN_ROLES = frozenset({Role.STORE_MANAGER, Role.AREA_MANAGER, Role.HQ})

# What a manager may do in the admin, at their own shops. "change_order" is the right
# to cancel (orders themselves are read-only there), "change_return" to close,
# "change_transfer" to ship and receive, "change_stocklevel" to set safety stock and
# the low-stock threshold, "change_register" to set up the shop's tills.
MANAGER_PERMISSIONS = [
    "orders.view_order",
    "orders.change_order",
    "orders.view_payment",
    "orders.view_return",
    "orders.change_return",
    "orders.view_storecredittransaction",
    "orders.view_discountredemption",
    "orders.view_register",
    "orders.change_register",
    "orders.view_tillsession",
    "orders.view_tillmovement",
    "orders.view_terminaldevice",
    "orders.view_terminalintent",
    "inventory.view_category",
    "inventory.view_product",
    "inventory.view_variant",
    "inventory.view_location",
    "inventory.view_stocklevel",
    "inventory.change_stocklevel",
    "inventory.view_stockmovement",
    "inventory.view_reservation",
    "inventory.view_lowstocknotice",
    "inventory.view_transfer",
    "inventory.change_transfer",
    "customers.view_customer",
    "customers.change_customer",
    "customers.view_wishlist",
    "customers.view_wishlistitem",
    "customers.view_appointment",
    "customers.view_appointmenthours",
    "customers.add_appointmenthours",
    "customers.change_appointmenthours",
    "customers.delete_appointmenthours",
    "customers.view_appointmentstaff",
    "customers.add_appointmentstaff",
    "customers.change_appointmentstaff",
    "customers.view_clienttask",
    "customers.view_clienttaskchange",
    "approvals.approve_request",
    "approvals.view_manager_pages",
]
# HQ holds every permission of the business apps, and unlocks logins (django-axes).
HQ_APPS = ["inventory", "customers", "orders", "campaigns", "approvals"]
HQ_EXTRA_PERMISSIONS = ["axes.view_accessattempt", "axes.delete_accessattempt"]

GROUP_PERMISSIONS: dict[str, list[str]] = {
    ASSOCIATE: [],
    STORE_MANAGER: MANAGER_PERMISSIONS,
    AREA_MANAGER: MANAGER_PERMISSIONS,
}


def role_of_groups(names: Iterable[str]) -> str:
    """The role named by the highest role group among ``names``; a customer if none."""
    held = set(names)
    for role in PRECEDENCE:
        if ROLE_GROUPS[role] in held:
            return role
    return Role.CUSTOMER


def _permissions(labels: Iterable[str]):
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    wanted = Q(pk__in=[])
    for label in labels:
        app_label, codename = label.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(wanted)


def group_permissions(name: str):
    """The permissions the design gives the group ``name``, as a queryset."""
    from django.contrib.auth.models import Permission

    if name == HEADQUARTERS:
        return Permission.objects.filter(
            content_type__app_label__in=HQ_APPS
        ) | _permissions(HQ_EXTRA_PERMISSIONS)
    return _permissions(GROUP_PERMISSIONS[name])


def sync_role_groups() -> None:
    """The four groups exist and hold exactly the designed permissions. Idempotent;
    runs after every ``migrate`` (a model added later gets its permissions then)."""
    from django.contrib.auth.models import Group

    for name in ROLE_GROUPS.values():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(group_permissions(name))
