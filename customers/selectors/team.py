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


def is_shop_staff_of(user, ids) -> bool:
    """``user`` is shop staff at one of the locations ``ids`` (any when None), still
    active or not: someone who left (login deactivated) keeps their shops, so their
    clients stay within reach of those shops' staff and managers."""
    if user is None or user.role not in SHOP_ROLES:
        return False
    if ids is None:
        return True
    theirs = shop_ids(user)
    return theirs is None or bool(theirs & ids)


def is_team_member(user, ids) -> bool:
    """``user`` is active shop staff at one of the locations ``ids`` (any when None)."""
    return user is not None and user.is_active and is_shop_staff_of(user, ids)


def has_left(user) -> bool:
    """A staff login deactivated: the documented way someone leaves (never deleted)."""
    return user is not None and not user.is_active


def handover_shops(actor, task_shop_id: int):
    """The shops whose active staff ``actor`` may hand a task of the shop
    ``task_shop_id`` to: a manager's team (None: every shop, for HQ), anyone else's
    colleagues of the task's shop. The rule ``reassign_task`` applies and
    ``handover_choices`` lists."""
    if getattr(actor, "is_manager", False):
        return shop_ids(actor)
    return {task_shop_id}


def may_take_over(actor, task_shop_id: int, to) -> bool:
    """Whether ``actor`` may hand a task of the shop ``task_shop_id`` to ``to``."""
    return is_team_member(to, handover_shops(actor, task_shop_id))


def handover_choices(actor, tasks) -> dict[int, list]:
    """Whom ``actor`` may hand each of ``tasks`` to, by task id, as
    ``reassign_task`` allows: a manager anyone of their team, anyone else a colleague
    of the task's shop; never the task's own assignee. Active shop staff, by name:
    one query for a manager, two for anyone else (the staff of the tasks' shops and
    where each works), whatever the number of tasks; none without tasks."""
    tasks = list(tasks)
    if not tasks:
        return {}
    if getattr(actor, "is_manager", False):  # one team for every task
        team = list(team_members(handover_shops(actor, tasks[0].shop_id)))
        return {t.pk: [m for m in team if m.pk != t.assignee_id] for t in tasks}
    shops = {t.shop_id for t in tasks}
    staff = list(team_members(shops).prefetch_related("shops"))
    works_at = {m.pk: {m.store_id, *(s.pk for s in m.shops.all())} for m in staff}
    return {
        t.pk: [
            m
            for m in staff
            if m.pk != t.assignee_id
            and works_at[m.pk] & handover_shops(actor, t.shop_id)
        ]
        for t in tasks
    }
