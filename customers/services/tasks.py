"""Client book tasks: made from events or by hand; done, snoozed, reassigned.

Made from events, once per occurrence (``client_task_once_per_occurrence``):
- a wished item back in stock online or at the customer's preferred shop: a task for
  the associate who added it to the list (``open_restock_tasks``, called by campaigns
  where restocks are found), and a line on the timeline of everyone wishing it;
- a follow-up some days after a purchase not cancelled since, and a birthday coming:
  the daily ``generate_client_tasks`` (Celery beat), for clients with an associate (a
  store sale to a client with none: the associate who made it).

Merging two profiles folds a task both have for one occurrence into the survivor's
(``fold_merged_tasks``).

Who acts on a task: its assignee, or a manager of its shop (any for HQ); anyone else
is told it does not exist. An associate hands a task to a colleague of its shop; a
manager to anyone of their team.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from customers.clienteling import EVENT_BACK_IN_STOCK, PURCHASE_EVENT
from customers.models import (
    ClientTask,
    ClientTaskChange,
    Customer,
    CustomerEvent,
    TaskAction,
    TaskKind,
    TaskStatus,
    WishlistItem,
)
from customers.selectors.clientbook import cancelled_purchase, next_birthday
from customers.selectors.team import is_team_member, may_take_over
from omnistore.accounts.scoping import manages, shop_ids
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

from .identities import lock_live_profile
from .timeline import record_events

# Purchases this many days older than the follow-up delay still get their task, so
# a few missed runs of the daily job lose nothing.
FOLLOW_UP_CATCH_UP_DAYS = 3
MAX_SNOOZE_DAYS = 365


# --- Reading a task for an action -------------------------------------------------


def holds_tasks(user) -> bool:
    """Tasks go to shop staff (active, of a shop role): whom a task may be for, and
    so who may write one for themselves (HQ writes none)."""
    return is_team_member(user, None)


def may_act_on(actor, task: ClientTask) -> bool:
    return task.assignee_id == getattr(actor, "pk", None) or manages(
        actor, task.shop_id
    )


def _locked(task, actor) -> ClientTask:
    """The task row locked, or NotFound for anyone who may not act on it."""
    pk = getattr(task, "pk", task)
    row = ClientTask.objects.select_for_update().filter(pk=pk).first()
    if row is None or not may_act_on(actor, row):
        raise NotFound("No such task.")
    return row


def _record(task, action, actor, *, before=None, after=None, until=None) -> None:
    ClientTaskChange.objects.create(
        task=task,
        action=action,
        actor=acting_user(actor),
        assignee_before=before,
        assignee_after=after,
        snoozed_until=until,
    )


def _still_open(task: ClientTask) -> None:
    if task.status == TaskStatus.DONE:
        raise Conflict("This task is already done.", code="task_done")


# --- Changes of one task ------------------------------------------------------------


@transaction.atomic
def complete_task(*, task, actor) -> ClientTask:
    task = _locked(task, actor)
    _still_open(task)
    now = timezone.now()
    task.status = TaskStatus.DONE
    task.done_at, task.done_by, task.updated_at = now, acting_user(actor), now
    task.snoozed_until = None
    task.save(
        update_fields=["status", "done_at", "done_by", "updated_at", "snoozed_until"]
    )
    _record(task, TaskAction.DONE, actor)
    return task


@transaction.atomic
def snooze_task(*, task, until: dt.date, actor, today: dt.date | None = None):
    today = today or timezone.localdate()
    if until is None or until <= today:
        raise ValidationFailed(
            "Snooze until a day after today.",
            extra={"until": ["Pick a day after today."]},
        )
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise ValidationFailed(
            "Snooze for a year at most.", extra={"until": ["Pick a day within a year."]}
        )
    task = _locked(task, actor)
    _still_open(task)
    task.status, task.snoozed_until = TaskStatus.SNOOZED, until
    task.updated_at = timezone.now()
    task.save(update_fields=["status", "snoozed_until", "updated_at"])
    _record(task, TaskAction.SNOOZED, actor, until=until)
    return task


@transaction.atomic
def reassign_task(*, task, to, actor) -> ClientTask:
    """Hand a task on: an associate to a colleague of the task's shop, a manager to
    anyone of their team (the task then belongs to the new assignee's home shop when
    they do not work at its shop)."""
    task = _locked(task, actor)
    _still_open(task)
    if not may_take_over(actor, task.shop_id, to):
        raise ValidationFailed(
            "Choose a colleague of this shop.",
            extra={"assignee": ["Choose a colleague of this shop."]},
        )
    if to.pk == task.assignee_id:
        raise ValidationFailed(
            "The task is already theirs.", extra={"assignee": ["Already assigned."]}
        )
    before = task.assignee
    if task.shop_id not in shop_ids(to):
        task.shop_id = to.store_id
    task.assignee, task.updated_at = to, timezone.now()
    task.save(update_fields=["assignee", "shop", "updated_at"])
    _record(task, TaskAction.REASSIGNED, actor, before=before, after=to)
    return task


def _folded_task_state(kept: ClientTask, folded: ClientTask, now) -> list[str]:
    """The survivor's task stays open when either was open: a done one takes the
    folded task's open or snoozed state. Returns the fields changed."""
    if kept.status != TaskStatus.DONE or folded.status == TaskStatus.DONE:
        return []
    kept.status, kept.snoozed_until = folded.status, folded.snoozed_until
    kept.done_at = kept.done_by = None
    kept.updated_at = now
    return ["status", "snoozed_until", "done_at", "done_by", "updated_at"]


def fold_merged_tasks(*, survivor: Customer, other: Customer, actor) -> int:
    """A merge of ``other`` into ``survivor``, before the rows move: where both have a
    task for one occurrence (``client_task_once_per_occurrence``), one stays, the
    survivor's with its assignee, open when either was open; the other's is closed
    as folded and stays on the merged profile for the record, each change in the
    tasks' history. The tasks are locked in pk order. Returns the number folded."""
    rows = (
        ClientTask.objects.select_for_update(of=("self",))
        .filter(customer__in=[survivor.pk, other.pk])
        .exclude(occurrence="")
        .select_related("assignee")
        .order_by("pk")
    )
    mine, theirs = {}, []
    for task in rows:
        if task.customer_id == survivor.pk:
            mine[(task.kind, task.occurrence)] = task
        else:
            theirs.append(task)
    now, folded = timezone.now(), 0
    for task in theirs:
        kept = mine.get((task.kind, task.occurrence))
        if kept is None:
            continue
        changed = _folded_task_state(kept, task, now)
        if changed:
            kept.save(update_fields=changed)
        if task.status != TaskStatus.DONE:
            task.status, task.snoozed_until = TaskStatus.DONE, None
            task.done_at, task.done_by = now, acting_user(actor)
            task.updated_at = now
            task.save(
                update_fields=[
                    "status",
                    "snoozed_until",
                    "done_at",
                    "done_by",
                    "updated_at",
                ]
            )
        # Both histories: whose copy was folded, and whose task holds it now.
        for row in (kept, task):
            _record(
                row, TaskAction.MERGED, actor, before=task.assignee, after=kept.assignee
            )
        folded += 1
    return folded


# A task written by hand is due from today to two years ahead.
TASK_HORIZON_DAYS = 730


def _check_due_on(due_on: dt.date | None, today: dt.date | None) -> None:
    if due_on is None:
        raise ValidationFailed("Pick a due date.", extra={"due_on": ["Required."]})
    today = today or timezone.localdate()
    if not today <= due_on <= today + dt.timedelta(days=TASK_HORIZON_DAYS):
        raise ValidationFailed(
            "Pick a due date from today to two years ahead.",
            extra={"due_on": ["From today to two years ahead."]},
        )


@transaction.atomic
def create_manual_task(
    *,
    customer: Customer,
    title: str,
    due_on: dt.date,
    actor,
    shop,
    assignee=None,
    today: dt.date | None = None,
) -> ClientTask:
    """A task written by hand, for the actor or (a manager) for someone of the team;
    refused for an erased profile, as every write is."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationFailed(
            "Say what is to be done (200 characters at most).",
            extra={"title": ["Required, 200 characters at most."]},
        )
    _check_due_on(due_on, today)
    assignee = assignee or actor
    if assignee.pk != actor.pk and not (
        getattr(actor, "is_manager", False)
        and is_team_member(assignee, shop_ids(actor))
    ):
        raise PermissionDenied("Only a manager writes tasks for someone else.")
    if not holds_tasks(assignee):
        raise ValidationFailed(
            "Tasks go to shop staff.", extra={"assignee": ["Not shop staff."]}
        )
    if shop is None or shop.pk not in shop_ids(assignee):
        shop = assignee.store
    customer = lock_live_profile(customer)
    task = ClientTask.objects.create(
        kind=TaskKind.MANUAL,
        customer=customer,
        assignee=assignee,
        shop=shop,
        title=title,
        due_on=due_on,
        created_by=acting_user(actor),
    )
    _record(task, TaskAction.CREATED, actor, after=assignee)
    return task


# --- Tasks made from events ---------------------------------------------------------


def _open_once(tasks: list[ClientTask]) -> int:
    """Insert the tasks whose (customer, kind, occurrence) has none yet, each with its
    "created" history row; a task made meanwhile by another run is left alone."""
    if not tasks:
        return 0
    keys = Q()
    for task in tasks:
        keys |= Q(
            customer_id=task.customer_id, kind=task.kind, occurrence=task.occurrence
        )
    existing = set(
        ClientTask.objects.filter(keys).values_list("customer_id", "kind", "occurrence")
    )
    fresh, seen = [], set(existing)
    for task in tasks:
        key = (task.customer_id, task.kind, task.occurrence)
        if key not in seen:
            seen.add(key)
            fresh.append(task)
    made = []
    try:
        with transaction.atomic():
            made = ClientTask.objects.bulk_create(fresh)
    except IntegrityError:
        for task in fresh:
            try:
                with transaction.atomic():
                    task.save(force_insert=True)
                made.append(task)
            except IntegrityError:
                task.pk = None
    ClientTaskChange.objects.bulk_create(
        ClientTaskChange(
            task=t, action=TaskAction.CREATED, assignee_after_id=t.assignee_id
        )
        for t in made
    )
    return len(made)


def _live_customers():
    return Customer.objects.filter(merged_into__isnull=True, is_anonymised=False)


def open_restock_tasks(
    *, restocks: Iterable[tuple[int, int | None, int]], now=None
) -> int:
    """Restocks found (variant, location or None for online, number): for each live
    customer wishing the variant, when it came back online or at their preferred shop
    (elsewhere it is no news to them), a timeline line and a task for each associate
    who added it to a list. Returns the number of tasks opened. Runs in the caller's
    transaction (the one recording the restocks): three queries whatever the number of
    wishers, more only for tasks."""
    now = now or timezone.now()
    looks: dict[int, tuple[int, set]] = {}
    for variant, location, number in restocks:
        looks.setdefault(variant, (number, set()))[1].add(location)
    if not looks:
        return 0
    items = (
        WishlistItem.objects.filter(
            variant_id__in=looks,
            removed_at__isnull=True,
            wishlist__archived_at__isnull=True,
            wishlist__customer__in=_live_customers(),
        )
        .select_related("variant__product", "wishlist__customer", "added_by_staff")
        .order_by("pk")
    )
    events, tasks, told = [], [], set()
    for item in items:
        customer = item.wishlist.customer
        number, locations = looks[item.variant_id]
        if None not in locations and customer.preferred_store_id not in locations:
            continue
        key = (customer.pk, item.variant_id)
        name = item.variant.name
        if key not in told:
            told.add(key)
            events.append(
                {
                    "customer": customer.pk,
                    "kind": EVENT_BACK_IN_STOCK,
                    "summary": f"Back in stock: {name}"[:255],
                    "data": {"variant": item.variant_id, "restock": number},
                    "reference_type": "variant",
                    "reference_id": str(item.variant_id),
                    "occurred_at": now,
                }
            )
        staff = item.added_by_staff
        if is_team_member(staff, None):
            shop_id = item.added_at_location_id
            if shop_id not in shop_ids(staff):
                shop_id = staff.store_id
            tasks.append(
                ClientTask(
                    kind=TaskKind.RESTOCK,
                    customer=customer,
                    assignee=staff,
                    shop_id=shop_id,
                    title=f"Back in stock: {name}"[:200],
                    occurrence=f"restock:{item.variant_id}:{number}",
                    due_on=timezone.localdate(now),
                )
            )
    record_events(events, locked=True)
    return _open_once(tasks)


def birthday_tasks(today: dt.date) -> list[ClientTask]:
    lead = settings.OMNISTORE_CLIENTBOOK_BIRTHDAY_LEAD_DAYS
    clients = (
        _live_customers()
        .filter(assigned_associate__isnull=False, birthday__isnull=False)
        .select_related("assigned_associate")
    )
    tasks = []
    for customer in clients.iterator():
        associate = customer.assigned_associate
        if not is_team_member(associate, None):
            continue
        day = next_birthday(customer.birthday, today, lead)
        if day is not None:
            tasks.append(
                ClientTask(
                    kind=TaskKind.BIRTHDAY,
                    customer=customer,
                    assignee=associate,
                    shop_id=associate.store_id,
                    title=f"Birthday on {day:%d %b}",
                    occurrence=f"birthday:{day.year}",
                    due_on=day,
                )
            )
    return tasks


def follow_up_tasks(today: dt.date) -> list[ClientTask]:
    """Purchases ``OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS`` ago (a few more for missed
    runs) not cancelled since: the client's associate, else the associate who made a
    store sale."""
    delay = settings.OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS
    tz = timezone.get_current_timezone()
    last = dt.datetime.combine(today - dt.timedelta(days=delay - 1), dt.time(), tz)
    first = last - dt.timedelta(days=1 + FOLLOW_UP_CATCH_UP_DAYS)
    events = (
        CustomerEvent.objects.filter(
            kind=PURCHASE_EVENT,
            occurred_at__gte=first,
            occurred_at__lt=last,
            customer__in=_live_customers(),
        )
        .exclude(cancelled_purchase())
        .select_related("customer__assigned_associate", "actor")
        .order_by("occurred_at", "pk")
    )
    tasks = []
    for event in events:
        associate = event.customer.assigned_associate
        shop_id = associate.store_id if associate else None
        if not is_team_member(associate, None):
            associate = event.actor
            shop_id = event.location_id
            if not is_team_member(associate, None):
                continue
            if shop_id not in shop_ids(associate):
                shop_id = associate.store_id
        number = event.reference_id or str(event.pk)
        tasks.append(
            ClientTask(
                kind=TaskKind.FOLLOW_UP,
                customer=event.customer,
                assignee=associate,
                shop_id=shop_id,
                title=f"Follow up on order {number}",
                occurrence=f"order:{number}"[:64],
                due_on=timezone.localtime(event.occurred_at).date()
                + dt.timedelta(days=delay),
            )
        )
    return tasks


@transaction.atomic
def generate_client_tasks(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily run: birthday and follow-up tasks due; safe to run any number of
    times (one task per occurrence)."""
    today = today or timezone.localdate()
    return {
        "birthday": _open_once(birthday_tasks(today)),
        "follow_up": _open_once(follow_up_tasks(today)),
    }
