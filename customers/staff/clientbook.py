"""The client book: "My clients" for the signed-in associate, and the 360° card that
shows a customer's associate and open tasks, where a client is taken, released or
given to someone (the rules are ``customers.services.clientbook``'s).

A manager may open the book of an associate of their shops (``?associate=``); another
shop's associate, like an unknown id, is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import Customer
from customers.selectors.clientbook import CLIENT_TABS, client_book, customer_tasks
from customers.selectors.team import has_left, team_members
from customers.services.clientbook import assign_associate, check_assignment
from customers.services.tasks import create_manual_task, holds_tasks
from omnistore.accounts.scoping import shop_ids
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import current_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial
from omnistore.staff.once import claim, give_back
from omnistore.staff.panels import customer_panels, register

from .customers import customer_or_404
from .forms import AssociateForm, ManualTaskForm


def _book_owner(request):
    """Whose book: the signed-in user's, or (a manager) a team member's."""
    user = request.user
    wanted = request.GET.get("associate", "")
    if not wanted or wanted == str(user.pk):
        return user
    if not user.is_manager or not is_digits(wanted):
        raise Http404("No such associate.")
    owner = team_members(shop_ids(user)).filter(pk=int(wanted)).first()
    if owner is None:
        raise Http404("No such associate.")
    return owner


@staff_required
def my_clients(request):
    owner = _book_owner(request)
    tab = request.GET.get("tab", "all")
    if tab not in CLIENT_TABS:
        tab = "all"
    rows = client_book(owner, shop=current_store(request))
    counts = {key: sum(1 for r in rows if r.in_tab(key)) for key in CLIENT_TABS}
    context = {
        "owner": owner,
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in CLIENT_TABS.items()],
        "rows": [r for r in rows if r.in_tab(tab)],
        "team": team_members(shop_ids(request.user)) if request.user.is_manager else [],
    }
    template = "customers/staff/_client_rows.html"
    if not is_partial(request):
        template = "customers/staff/clientbook.html"
    return render(request, template, context)


def _may(actor, current, new) -> bool:
    try:
        check_assignment(actor=actor, current=current, new=new)
    except ApplicationError:
        return False
    return True


def client_panel(
    request, customer: Customer, *, form=None, task_form=None, error=None
) -> dict:
    """The 360° card: the client's associate, what the signed-in user may do about it,
    and the open tasks about the client they see; the form for a new task only to
    whom tasks may go (``holds_tasks``: a task written here is the writer's). A
    client of someone who has left is offered to be taken, like one with nobody."""
    user = request.user
    current = customer.assigned_associate
    team = team_members(shop_ids(user)) if user.is_manager else None
    return {
        "template": "customers/staff/client_panel.html",
        "customer": customer,
        "associate": current,
        "associate_left": has_left(current),
        "may_take": (current is None or has_left(current))
        and _may(user, current, user),
        "may_release": current is not None and _may(user, current, None),
        "form": form
        or (
            AssociateForm(team=team, initial={"associate": current})
            if team is not None and _may(user, current, None)
            else None
        ),
        "task_form": task_form
        or (
            ManualTaskForm(initial={"due_on": timezone.localdate()})
            if holds_tasks(user)
            else None
        ),
        "tasks": list(customer_tasks(customer, user)),
        "error": error,
    }


register(customer_panels, client_panel)


def _panel_response(request, customer, status=200, **extra):
    if not request.htmx:
        return redirect("staff:customer_detail", pk=customer.pk)
    customer = Customer.objects.select_related("assigned_associate__store").get(
        pk=customer.pk
    )
    panel = client_panel(request, customer, **extra)
    return render(request, panel["template"], {"panel": panel}, status=status)


@staff_required
@require_POST
def customer_assign(request, pk: int):
    """``action``: "take" (the signed-in associate), "release", or "assign" with an
    ``associate`` of the team (managers; none: unassigned)."""
    customer = customer_or_404(pk)
    user = request.user
    action = request.POST.get("action", "")
    form = None
    if action == "take":
        associate = user
    elif action == "release":
        associate = None
    elif action == "assign" and user.is_manager:
        form = AssociateForm(request.POST, team=team_members(shop_ids(user)))
        if not form.is_valid():
            return _panel_response(request, customer, INVALID, form=form)
        associate = form.cleaned_data["associate"]
    else:
        raise Http404("No such action.")
    try:
        assign_associate(
            customer=customer,
            associate=associate,
            actor=user,
            location=current_store(request),
        )
    except ApplicationError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("staff:customer_detail", pk=customer.pk)
        if form is not None:
            add_service_error(form, error)
            return _panel_response(request, customer, INVALID, form=form)
        return _panel_response(request, customer, INVALID, error=error.message)
    if not request.htmx:
        messages.success(request, "Client book updated.")
    return _panel_response(request, customer)


@staff_required
@require_POST
def customer_task_create(request, pk: int):
    """A task written by hand about this customer, for the signed-in user; the same
    form sent twice makes one task."""
    customer = customer_or_404(pk)
    form = ManualTaskForm(request.POST)
    if form.is_valid() and claim(request, form):
        try:
            create_manual_task(
                customer=customer,
                title=form.cleaned_data["title"],
                due_on=form.cleaned_data["due_on"],
                actor=request.user,
                shop=current_store(request),
            )
        except ApplicationError as error:
            give_back(request, form)  # the corrected task may be sent
            add_service_error(form, error)
        else:
            if not request.htmx:
                messages.success(request, "Task added.")
            return _panel_response(request, customer)
    if not request.htmx:
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
        return redirect("staff:customer_detail", pk=customer.pk)
    return _panel_response(request, customer, INVALID, task_form=form)
