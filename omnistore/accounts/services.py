"""Giving a login its role: the one door that sets groups, shops and admin access;
closing it when someone leaves (deactivated, never deleted); and its password, whose
change signs it out everywhere else."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from rest_framework.authtoken.models import Token

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


OWN_PASSWORD_CHANGED = "Changed their own password; signed out everywhere else."


def end_api_tokens(user) -> int:
    """Every API token of the login deleted (each device using one gets 401):
    how many there were."""
    revoked, _ = Token.objects.filter(user=user).delete()
    return revoked


def sign_out_everywhere(user) -> tuple[int, str]:
    """Every token of the login deleted (every device signed out: a new password
    may be answering a leak) and a new one for the device asking: (how many were
    revoked, the new token)."""
    revoked = end_api_tokens(user)
    return revoked, Token.objects.create(user=user).key


@transaction.atomic
def set_password(*, user: User, password: str | None) -> int:
    """``user``'s new password (None: none usable, the login signs in with no
    password), already checked by the caller's form; returns the API tokens ended.

    A new password may be answering a leak, so the login is signed out everywhere:
    every API token is deleted, and every session signed in with the old password
    ends at its next request (Django's session hash; the caller keeps its own with
    ``update_session_auth_hash``). The login's row is locked first, as a sign-in
    for a token locks it (``current_token``): one finishing meanwhile sees the new
    password and gets no token."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    return end_api_tokens(user)


@transaction.atomic
def change_own_password(*, user: User, password: str) -> int:
    """A login's new password, set by its holder (the current one proven on the
    form): ``set_password``, kept in the login's admin history (who, when)."""
    revoked = set_password(user=user, password=password)
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        action_flag=CHANGE,
        change_message=OWN_PASSWORD_CHANGED,
    )
    return revoked
