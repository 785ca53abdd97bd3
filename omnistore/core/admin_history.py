"""The history page of an object that changes through services, not through its admin
form (an order, a return, a transfer, a gift card): what happened to it, step by step
with who, when and why, read from its own record; the admin's log of changes made on
its pages follows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied

EMPTY = "—"

Column = tuple[str, str | Callable[[Any], Any]]


def actor_or_system(row) -> str:
    """Who made a step: a login, or the system (a task, a webhook) when no one."""
    return str(row.actor) if row.actor_id else "system"


# The steps of an order, a return, ... (``omnistore.core.models.StatusChange``).
STATUS_COLUMNS: tuple[Column, ...] = (
    ("When", "at"),
    ("From", "get_from_status_display"),
    ("To", "get_to_status_display"),
    ("Who", actor_or_system),
    ("Where", "location"),
    ("Why", "note"),
)


def _value(row, source):
    if callable(source):
        return source(row)
    value = getattr(row, source)
    return value() if callable(value) else value


def _cell(value):
    """A value as the page prints it; dates and amounts are left to the template,
    which shows them in the viewer's time zone and format."""
    return EMPTY if value is None or value == "" else value


class EventHistory:
    """Mixed into a model admin, before it: its history page lists the object's
    steps (``history_events``, oldest first) under ``history_columns``, each a
    heading and an attribute of a step or a function of one. Those who may not see
    the object are refused as on any of its pages."""

    object_history_template = "admin/object_events.html"
    history_heading = "What happened"
    history_columns: tuple[Column, ...] = STATUS_COLUMNS
    # The heading of the admin's log of the object, which follows its steps.
    log_heading = "Changes made in the admin"

    def history_events(self, obj) -> Iterable:
        raise NotImplementedError

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return super().history_view(request, object_id, extra_context)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        columns = self.history_columns
        context = {
            "history_heading": self.history_heading,
            "log_heading": self.log_heading,
            "history_headings": [heading for heading, _ in columns],
            "history_rows": [
                [_cell(_value(row, source)) for _, source in columns]
                for row in self.history_events(obj)
            ],
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)
