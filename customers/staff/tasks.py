"""Client tasks in the shop: the list (mine; a manager's team; done and snoozed ones)
and its HTMX actions: done, snooze, reassign. A task the signed-in user may not act on
is a 404, like an unknown id."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import ClientTask
from customers.selectors.clientbook import task_counts, task_list, visible_tasks
from customers.selectors.team import handover_choices, team_members
from customers.services.tasks import (
    complete_task,
    may_act_on,
    reassign_task,
    snooze_task,
)
from omnistore.accounts.scoping import shop_ids
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial
from omnistore.staff.panels import dashboard_panels, register

from .forms import ReassignForm, SnoozeForm

SCOPES = {"mine": "My tasks", "team": "Team"}
STATUSES = {"open": "Open", "snoozed": "Snoozed", "done": "Done"}


def _team(user):
    return team_members(shop_ids(user))


@staff_required
def task_page(request):
    user = request.user
    scope = request.GET.get("scope") or ("team" if user.is_manager else "mine")
    if scope not in SCOPES or (scope == "team" and not user.is_manager):
        scope = "mine"
    status = request.GET.get("status", "open")
    if status not in STATUSES:
        status = "open"
    tasks = list(task_list(user, scope=scope, status=status))
    give_to = handover_choices(user, tasks)
    context = {
        "tasks": tasks,
        "rows": [(task, give_to[task.pk]) for task in tasks],
        "scope": scope,
        "status": status,
        "scopes": SCOPES if user.is_manager else {},
        "statuses": STATUSES,
        "today": timezone.localdate(),
    }
    template = "customers/staff/_task_table.html"
    if not is_partial(request):
        template = "customers/staff/tasks.html"
    return render(request, template, context)


def _task_or_404(request, pk: int) -> ClientTask:
    task = visible_tasks(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404("No such task.")
    return task


def _row(request, task, *, status=200, form=None):
    """The task's row again; after a refusal, with the form as sent: its field's
    error beside that field (the date typed kept), anything else under the title.
    A task handed to someone the user no longer acts for (``may_act_on``, the rule
    of every action) comes back as theirs, without actions."""
    if not request.htmx:
        for message in _messages(form):
            messages.error(request, message)
        return redirect("staff:client_tasks")
    task = ClientTask.objects.select_related("customer", "assignee", "shop").get(
        pk=task.pk
    )
    context = {
        "task": task,
        "handed_over": not may_act_on(request.user, task),
        "give_to": handover_choices(request.user, [task])[task.pk],
        "today": timezone.localdate(),
        "error": "; ".join(form.non_field_errors()) if form is not None else "",
        "snooze_form": form if isinstance(form, SnoozeForm) else None,
        "reassign_form": form if isinstance(form, ReassignForm) else None,
    }
    return render(request, "customers/staff/_task_row.html", context, status=status)


def _messages(form) -> list[str]:
    if form is None:
        return []
    return [message for messages_ in form.errors.values() for message in messages_]


def _act(request, pk: int, form_class, action):
    task = _task_or_404(request, pk)
    extra = {"team": _team(request.user)} if form_class is ReassignForm else {}
    form = form_class(request.POST, **extra)
    if not form.is_valid():
        return _row(request, task, status=INVALID, form=form)
    try:
        action(task, form.cleaned_data)
    except ApplicationError as error:
        add_service_error(form, error, field_only=True)
        return _row(request, task, status=INVALID, form=form)
    return _row(request, task)


@staff_required
@require_POST
def task_done(request, pk: int):
    return _act(
        request, pk, forms.Form, lambda t, _: complete_task(task=t, actor=request.user)
    )


@staff_required
@require_POST
def task_snooze(request, pk: int):
    return _act(
        request,
        pk,
        SnoozeForm,
        lambda t, d: snooze_task(task=t, until=d["until"], actor=request.user),
    )


@staff_required
@require_POST
def task_reassign(request, pk: int):
    return _act(
        request,
        pk,
        ReassignForm,
        lambda t, d: reassign_task(task=t, to=d["assignee"], actor=request.user),
    )


def tasks_panel(request, store) -> dict:
    """The dashboard card: open tasks, due ones, the team's for managers."""
    return {"client_tasks": task_counts(request.user)}


register(dashboard_panels, tasks_panel)
