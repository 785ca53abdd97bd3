"""Who works where, as the client book asks it: the associates a client or a task may
go to, and whether a staff member may act for a shop's team."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from omnistore.accounts.models import SHOP_ROLES
from omnistore.accounts.scoping import shop_ids


def associate_public_name(user) -> str:
    """First name and initial ("Giulia B."): how a customer is told who served them,
    enough to ask for them in the shop; staff see each other's full names."""
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if first and last:
        return f"{first} {last[0]}."
    return first or "A store associate"


def team_members(ids):
    """Active shop staff working at any of the locations ``ids`` (every shop's staff
    when ``ids`` is None), by name."""
    users = get_user_model().objects.filter(is_active=True, role__in=SHOP_ROLES)
    if ids is not None:
        users = users.filter(
            pk__in=get_user_model()
            .objects.filter(Q(store_id__in=ids) | Q(shops__in=ids))
            .values("pk")
        )
    return users.select_related("store").order_by("first_name", "last_name", "pk")


def is_team_member(user, ids) -> bool:
    """``user`` is active shop staff at one of the locations ``ids`` (any when None)."""
    if user is None or not user.is_active or user.role not in SHOP_ROLES:
        return False
    if ids is None:
        return True
    return bool(shop_ids(user) & ids)
