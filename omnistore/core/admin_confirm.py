"""The page an admin action draws before a change nobody can take back: what will
change, row by row, what the action does, and a button that posts the same selection
back with ``confirm``. The action acts only on that post (``confirmed``); a reason it
needs is a form on the page, refused there when missing (nothing changes). Used under
``in_scope_only``, the page lists only rows the list holds for the user, and the
confirming post is scoped again. The selection posted back is the whole selection:
an action whose page lists rows it leaves as they are sorts it again by the same
rule on the confirming post and acts only on the rows to change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

SHOWN = 50  # rows a confirmation page lists; its count says how many in all
CONFIRM = "yes"


def confirmed(request) -> bool:
    """The post sent from the confirmation page, never the list's own."""
    return request.POST.get("confirm") == CONFIRM


def confirmation_page(
    model_admin,
    request,
    queryset,
    *,
    title: str,
    says: str,
    button: str,
    count: int,
    columns: Sequence[str] = (),
    rows: Iterable[Sequence[Any]] = (),
    form: forms.Form | None = None,
    template: str = "admin/confirm_action.html",
    **extra: Any,
) -> TemplateResponse:
    """``rows`` (at most ``SHOWN`` of the ``count`` that change) under ``columns``;
    the selection posted back is the rows in the user's scope, or the whole list's
    filter when all its pages were selected. A confirming post whose form is refused
    answers 422, the page again with the form's errors."""
    select_across = "1" if request.POST.get("select_across") == "1" else "0"
    if select_across == "1":
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
    else:
        selected = list(queryset.values_list("pk", flat=True))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "says": says,
        "button": button,
        "count": count,
        "columns": columns,
        "rows": list(islice(rows, SHOWN)),
        "form": form,
        "opts": model_admin.model._meta,
        "action": request.POST.get("action", ""),
        "selected": selected,
        "select_across": select_across,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        **extra,
    }
    status = 422 if confirmed(request) else 200
    return TemplateResponse(request, template, context, status=status)
