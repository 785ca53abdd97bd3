"""Giving a login its role: the one door that sets groups, shops and admin access;
and closing it when someone leaves (deactivated, never deleted)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from omnistore.core.exceptions import Conflict, ValidationFailed

from .models import SHOP_ROLES, Role, User
from .roles import ADMIN_ROLES, ROLE_GROUPS


def role_shops(*, role: str, shops: Iterable = (), home=None) -> tuple[object, list]:
    """The home shop and the shops of a login holding ``role``: ``home`` among
    ``shops`` (the first shop if not given; none without shops). Shop staff belong to
    at least one shop; a store manager runs exactly one, several make an area manager.
    The rules of ``assign_role``, and of the admin's login form before it saves."""
    shops = list(shops)
    if home is not None and home not in shops:
        shops.insert(0, home)
    if role in SHOP_ROLES and not shops:
        raise ValidationFailed(
            "Shop staff belong to at least one shop.", extra={"shops": ["required"]}
        )
    if role == Role.STORE_MANAGER and len(shops) > 1:
        raise ValidationFailed(
            "A store manager runs one shop; several make an area manager.",
            extra={"shops": ["one shop"]},
        )
    return ((home or shops[0]) if shops else None), shops


def reaches_admin(*, role: str, is_superuser: bool) -> bool:
    """``is_staff`` as the role gives it: managers and HQ reach /admin/, associates
    and customers do not; the platform's superuser always does."""
    return role in ADMIN_ROLES or is_superuser


@transaction.atomic
def assign_role(*, user: User, role: str, shops: Iterable = (), home=None) -> User:
    """Make ``user`` hold ``role`` at ``shops`` (locations), ``home`` among them (the
    first shop if not given; ``role_shops``). The group is the right; ``is_staff``
    follows it (``reaches_admin``). The platform's superuser flag is left alone: it
    is not a role."""
    user.store, shops = role_shops(role=role, shops=shops, home=home)
    user.is_staff = reaches_admin(role=role, is_superuser=user.is_superuser)
    user.role = role
    user.save(update_fields=["store", "is_staff", "role"])
    user.shops.set(shops)
    others = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*others)
    if role in ROLE_GROUPS:
        group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[role])
        user.groups.add(group)
    return user


OWN_LOGIN = "Your own login is deactivated by someone else."
OWN_SUPERUSER = "Your own superuser status is taken away by another superuser."
LAST_SUPERUSER = (
    "There must always be an active superuser: make another login a superuser first."
)


@transaction.atomic
def keep_a_superuser(*, user: User, is_superuser: bool, is_active: bool) -> None:
    """Refuse a change of ``user`` (as loaded, to ``is_superuser`` and
    ``is_active``) that would leave no active superuser: only a superuser gives out
    logins and groups, so without one nobody could. The active superusers' rows are locked (by pk, to the
    end of the caller's transaction), so two superusers taking each other's status
    at once make one change, and the other is refused."""
    was_one = user.pk is not None and user.is_superuser and user.is_active
    if not was_one or (is_superuser and is_active):
        return
    active = list(
        User.objects.select_for_update()
        .filter(is_superuser=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if user.pk in active and len(active) == 1:
        raise Conflict(LAST_SUPERUSER, code="last_superuser")


@transaction.atomic
def deactivate_login(*, user: User, actor: User) -> bool:
    """Someone who leaves keeps their login, made inactive: the admin's log, the
    timelines and the histories name it as who acted, and deleting it would delete
    or blank those. An inactive login signs in nowhere (the admin, the staff pages,
    the API, approvals). False when it was inactive already; one's own login is
    refused (it would shut its holder out mid-task), and so is the last active
    superuser (``keep_a_superuser``)."""
    if user.pk == actor.pk:
        raise Conflict(OWN_LOGIN, code="own_login")
    keep_a_superuser(user=user, is_superuser=user.is_superuser, is_active=False)
    changed = User.objects.filter(pk=user.pk, is_active=True).update(is_active=False)
    user.is_active = False
    return bool(changed)
