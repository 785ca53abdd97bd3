"""Who a sale credits: the associates a counter may name as having helped, and their
names on the basket."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from omnistore.accounts.models import SHOP_ROLES


def shop_associates(location) -> QuerySet:
    """Active shop staff of ``location`` (their home shop or one of their shops),
    by name: whom a line at its counter may credit."""
    User = get_user_model()
    if location is None:
        return User.objects.none()
    members = User.objects.filter(
        Q(store=location) | Q(shops=location), is_active=True, role__in=SHOP_ROLES
    ).values("pk")
    return User.objects.filter(pk__in=members).order_by("first_name", "last_name", "pk")


def helper_names(user_ids) -> dict[int, str]:
    """Display names by user id; one query, none when there are no ids."""
    ids = {pk for pk in user_ids if pk}
    if not ids:
        return {}
    User = get_user_model()
    return {
        user.pk: user.display_name
        for user in User.objects.filter(pk__in=ids).only(
            "pk", "first_name", "last_name", "username"
        )
    }
