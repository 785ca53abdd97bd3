"""A related object on an admin page links to its own page only for who may open
that page; anyone else reads its name. Staff logins are the common case: HQ reads
who created a code or closed a till, but a login's page is the platform's."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from django.contrib.admin.utils import flatten_fieldsets, quote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

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


class RowsRelated(PlainRelated):
    """A read-only related field of an inline whose rows point at objects some of
    which the user may not open (``closed``, their keys): those are named, the
    others linked to their page as Django links them."""

    def __init__(self, field, closed: frozenset, site_name: str):
        super().__init__(field)
        self.target = field.related_model
        self.closed = closed
        self.site_name = site_name

    def __call__(self, obj):
        value = getattr(obj, self.field_name, None)
        if value is None or value.pk in self.closed:
            return super().__call__(obj)
        opts = self.target._meta
        try:
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(value.pk)],
                current_app=self.site_name,
            )
        except NoReverseMatch:
            return str(value)
        return format_html('<a href="{}">{}</a>', url, value)


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


def _related(model, names):
    """The fields among ``names`` that link to a related object's page."""
    for name in names:
        if not isinstance(name, str):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.concrete and (field.many_to_one or field.one_to_one):
            yield name, field


def _closed(model, names, admin_site, request, allowed: dict, obj=None) -> dict:
    """The read-only fields among ``names`` pointing at a page the user may not
    open, each with the plain field that replaces it; with ``obj``, the page of the
    very object it points at."""
    closed = {}
    for name, field in _related(model, names):
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


def _shown_readonly(shown, everything_readonly: bool) -> list:
    names = list(shown.readonly_fields)
    if everything_readonly:
        names += flatten_fieldsets(shown.fieldsets)
    return names


def _unlink(
    shown, model, admin_site, request, allowed, everything_readonly: bool, obj=None
):
    """Rewrites the fieldsets and read-only list of an admin form or inline."""
    names = _shown_readonly(shown, everything_readonly)
    _swap(shown, _closed(model, names, admin_site, request, allowed, obj))


def _swap(shown, closed: dict) -> None:
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
    object's own form, checked for the very object linked; on inlines, for each
    row's object, ``_unlink_rows``)."""
    site = model_admin.admin_site
    allowed: dict = {}
    form = context.get("adminform")
    if form is not None:
        original = context.get("original")
        _unlink(form, model_admin.model, site, request, allowed, False, original)
    _unlink_rows(context.get("inline_admin_formsets") or (), site, request, allowed)


def _unlink_rows(inlines, admin_site, request, allowed: dict) -> None:
    """The inlines' read-only related fields: a model whose pages the user may not
    open is named on every row; otherwise each row's object is checked against the
    rows the user sees on its page (a shop's manager opens their shops, not the
    warehouse shipping the order). One query per model linked, however many rows
    and inlines point at it; none for who sees every shop."""
    everywhere = getattr(request.user, "sees_all_stores", False)
    plans, wanted = [], defaultdict(set)
    for inline in inlines:
        model = inline.opts.model
        names = _shown_readonly(inline, not inline.has_change_permission)
        closed = _closed(model, names, admin_site, request, allowed)
        rows = [] if everywhere else [f.instance for f in inline.formset.initial_forms]
        keyed = {}
        for name, field in _related(model, names):
            target = field.related_model
            if name in closed or target not in admin_site._registry:
                continue
            keys = {getattr(row, field.attname) for row in rows} - {None}
            if keys:
                keyed[name] = (field, keys)
                wanted[target] |= keys
        plans.append((inline, closed, keyed))
    opened = {
        target: set(
            admin_site._registry[target]
            .get_queryset(request)
            .filter(pk__in=keys)
            .values_list("pk", flat=True)
        )
        for target, keys in wanted.items()
    }
    for inline, closed, keyed in plans:
        for name, (field, keys) in keyed.items():
            shut = frozenset(keys - opened[field.related_model])
            if shut:
                closed[name] = RowsRelated(field, shut, admin_site.name)
        _swap(inline, closed)


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
