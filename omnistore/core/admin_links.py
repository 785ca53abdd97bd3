"""A related object on an admin page links to its own page only for who may open
that page; anyone else reads its name. Staff logins are the common case: HQ reads
who created a code or closed a till, but a login's page is the platform's."""

from __future__ import annotations

from functools import cache

from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist

EMPTY = "-"


class PlainRelated:
    """A read-only related field shown as its object's name, with no link. Admin
    pages take it where they take a display function; templates print its name."""

    do_not_call_in_templates = True

    def __init__(self, field):
        self.field_name = field.name
        self.__name__ = field.name
        self.short_description = field.verbose_name

    def __call__(self, obj):
        value = getattr(obj, self.field_name, None)
        return EMPTY if value is None else str(value)

    def __str__(self):
        return self.field_name


@cache
def _plain(model, name: str) -> PlainRelated:
    """One instance per field, so a fieldset and the read-only list name the same."""
    return PlainRelated(model._meta.get_field(name))


def may_open(admin_site, request, model) -> bool:
    """Whether ``request``'s user may open the admin pages of ``model`` (a model
    without admin pages has no link to refuse)."""
    related_admin = admin_site._registry.get(model)
    return related_admin is None or related_admin.has_view_permission(request)


def may_open_object(admin_site, request, model, pk) -> bool:
    """Whether ``request``'s user may open the admin page of ``model``'s object
    ``pk``: a page they may view, with the object among those they see there (a
    shop's manager opens their shops' customers, not everyone's)."""
    related_admin = admin_site._registry.get(model)
    if related_admin is None:
        return True
    if not related_admin.has_view_permission(request):
        return False
    return related_admin.get_queryset(request).filter(pk=pk).exists()


def may_open_logins(admin_site, request) -> bool:
    return may_open(admin_site, request, get_user_model())


def _closed(model, names, admin_site, request, allowed: dict, obj=None) -> dict:
    """The read-only fields among ``names`` pointing at a page the user may not
    open, each with the plain field that replaces it; with ``obj``, the page of the
    very object it points at."""
    closed = {}
    for name in names:
        if not isinstance(name, str):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not field.concrete or not (field.many_to_one or field.one_to_one):
            continue
        target = field.related_model
        if target not in allowed:
            allowed[target] = may_open(admin_site, request, target)
        if not allowed[target]:
            closed[name] = _plain(model, name)
            continue
        pk = getattr(obj, field.attname, None) if obj is not None else None
        if pk is not None and not may_open_object(admin_site, request, target, pk):
            closed[name] = _plain(model, name)
    return closed


def _swapped(names, closed: dict) -> list:
    shown = []
    for name in names:
        if isinstance(name, (list, tuple)):
            shown.append(tuple(_swapped(name, closed)))
        elif isinstance(name, str):
            shown.append(closed.get(name, name))
        else:
            shown.append(name)
    return shown


def _unlink(
    shown, model, admin_site, request, allowed, everything_readonly: bool, obj=None
):
    """Rewrites the fieldsets and read-only list of an admin form or inline."""
    names = list(shown.readonly_fields)
    if everything_readonly:
        names += flatten_fieldsets(shown.fieldsets)
    closed = _closed(model, names, admin_site, request, allowed, obj)
    if not closed:
        return
    shown.readonly_fields = _swapped(shown.readonly_fields, closed)
    shown.fieldsets = [
        (title, {**options, "fields": _swapped(options.get("fields", ()), closed)})
        for title, options in shown.fieldsets
    ]


def unlink_closed_pages(model_admin, request, context: dict) -> None:
    """In a change form's ``context``, read-only related fields whose page the user
    may not open show their object's name instead of a link to that page (on the
    object's own form, checked for the very object linked; on inlines, per model)."""
    site = model_admin.admin_site
    allowed: dict = {}
    form = context.get("adminform")
    if form is not None:
        original = context.get("original")
        _unlink(form, model_admin.model, site, request, allowed, False, original)
    for inline in context.get("inline_admin_formsets") or ():
        everything = not inline.has_change_permission
        _unlink(inline, inline.opts.model, site, request, allowed, everything)


class LinksWhereAllowed:
    """Mixed into a model admin: its change form and its history link to related
    pages only for who may open them."""

    def render_change_form(self, request, context, *args, **kwargs):
        unlink_closed_pages(self, request, context)
        return super().render_change_form(request, context, *args, **kwargs)

    def history_view(self, request, object_id, extra_context=None):
        """The history lists who made each change; their login's page is linked
        only for who may open it (an empty page name prints the name alone)."""
        if not may_open_logins(self.admin_site, request):
            extra_context = {**(extra_context or {}), "admin_user_view": ""}
        return super().history_view(request, object_id, extra_context)
