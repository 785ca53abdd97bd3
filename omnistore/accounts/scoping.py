"""Which shops a login sees, and the admin that shows only those: one rule for the
staff UI (``omnistore.staff.auth``) and every admin page.

HQ and the platform's superuser see every location. Everyone else sees the shops they
belong to: their home ``store`` and their ``shops``. A row belongs to a shop through
one or more lookups (``shop_paths``: an order through the shop that took it, ships it
or hands it over); a row of another shop is not there at all (a 404, like an unknown
id), its location is not offered in the filters, and no action reaches it.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from omnistore.core.admin_links import LinksWhereAllowed
from omnistore.core.admin_widgets import CheckedAutocompleteSelect
from omnistore.core.digits import is_digits

LOCATION_MODEL = "inventory.Location"
_CACHE = "_shop_ids_cache"


def shop_ids(user) -> frozenset[int] | None:
    """The ids of the locations ``user`` sees; ``None`` means every one. One query
    for shop staff, kept on the user for the rest of the request."""
    if not user.is_authenticated:
        return frozenset()
    if user.sees_all_stores:
        return None
    cached = getattr(user, _CACHE, None)
    if cached is None:
        ids = set(user.shops.values_list("pk", flat=True))
        if user.store_id:
            ids.add(user.store_id)
        cached = frozenset(ids)
        setattr(user, _CACHE, cached)
    return cached


def manages(user, location_id) -> bool:
    """``user`` is a manager (store, area, HQ) of the location ``location_id``: one of
    their shops, or any for HQ and the superuser."""
    if user is None or not getattr(user, "is_manager", False):
        return False
    ids = shop_ids(user)
    return ids is None or location_id in ids


def scope_to_shops(queryset: QuerySet, paths, ids) -> QuerySet:
    """Rows of ``queryset`` that belong, through any of ``paths``, to a location in
    ``ids`` (all rows when ``ids`` is None). Several paths or one across a reverse
    relation could repeat a row, so those filter by a subquery of primary keys."""
    if ids is None:
        return queryset
    if not paths:
        return queryset.none()
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{path}__in": ids})
    if len(paths) == 1 and not _crosses_many(queryset.model, paths[0]):
        return queryset.filter(condition)
    keys = queryset.model._default_manager.filter(condition).values("pk")
    return queryset.filter(pk__in=keys)


def _crosses_many(model, path: str) -> bool:
    return any(
        field.many_to_many or field.one_to_many
        for field in get_fields_from_path(model, path)
    )


def _names_one_of(value, ids) -> bool:
    return is_digits(value) and int(value) in ids


def _is_location(field) -> bool:
    related = getattr(field, "related_model", None)
    return related is not None and related._meta.label == LOCATION_MODEL


class ShopLocationFilter(admin.RelatedFieldListFilter):
    """A location filter offering only the shops the user sees. Asked in the address
    for another location, it is refused the way Django refuses a filter value it
    cannot read: back to the list (``?e=1``), told why. A manager of one shop has no
    filter to show, and is refused the same rather than shown the list unfiltered."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        ids = shop_ids(request.user)
        asked = self.lookup_val or []
        if ids is None or all(_names_one_of(value, ids) for value in asked):
            return
        messages.error(
            request,
            f"The {self.title} filter offers only your shops: the list is shown "
            "without it.",
            fail_silently=True,
        )
        raise IncorrectLookupParameters(f"{field_path}: not one of the user's shops")

    def field_choices(self, field, request, model_admin):
        ids = shop_ids(request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ids is None:
            return field.get_choices(include_blank=False, ordering=ordering)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to={"pk__in": ids}
        )


def _none_selected(model_admin, request) -> str:
    names = model_admin.model._meta.verbose_name_plural
    scoped = getattr(model_admin, "shop_paths", None) is not None
    if scoped and shop_ids(request.user) is not None:
        where = "is in your shops"
    else:  # the user sees every row: the rows are gone
        where = "exists any more"
    return f"None of the selected {names} {where}. No items have been changed."


def in_scope_only(action):
    """For an admin action that draws a page before it acts (a confirmation, a form
    asking why). Its queryset holds only the rows the list holds for the user, so ids
    of another shop's rows (typed by hand) or of rows gone since the list was drawn
    leave it empty: then no page asks to confirm a change to nothing; the user is
    back on the list, told why."""

    @wraps(action)
    def checked(model_admin, request, queryset):
        if queryset.exists():
            return action(model_admin, request, queryset)
        message = _none_selected(model_admin, request)
        model_admin.message_user(request, message, messages.WARNING)
        return None  # the admin goes back to the list

    return checked


class ShopScopedAdmin(LinksWhereAllowed):
    """Mixed into every model admin. ``shop_paths`` names how a row belongs to a
    shop; ``None`` marks rows of the whole chain (the catalog, campaigns, codes), which
    only the permissions guard. Querysets, objects by URL (404), location filters and
    location choices on forms all follow ``shop_ids``; related pages the user may not
    open are named, not linked."""

    shop_paths: tuple[str, ...] | None = None

    def scoped(self, request, queryset: QuerySet) -> QuerySet:
        if self.shop_paths is None:
            return queryset
        return scope_to_shops(queryset, self.shop_paths, shop_ids(request.user))

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        """Another shop's row answers 404 like an unknown id, never a redirect that
        would tell it exists."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def get_actions(self, request):
        """Django's bulk delete draws its confirmation too: only for rows in scope."""
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            func, name, description = actions["delete_selected"]
            actions[name] = (in_scope_only(func), name, description)
        return actions

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and _is_location(
                get_fields_from_path(self.model, entry)[-1]
            ):
                entry = (entry, ShopLocationFilter)
            filters.append(entry)
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                CheckedAutocompleteSelect(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        ids = shop_ids(request.user)
        if _is_location(db_field) and ids is not None and self.shop_paths:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                pk__in=ids
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        """The form of ``obj``: a location it names outside the user's shops (a
        customer's preferred store elsewhere) stays among its field's choices, so a
        save that does not touch it keeps it; no other outside location is offered."""
        form = super().get_form(request, obj, **kwargs)
        ids = shop_ids(request.user)
        if obj is None or ids is None or not self.shop_paths:
            return form
        kept = {}
        for name in form.base_fields:
            try:
                db_field = obj._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            current = getattr(obj, getattr(db_field, "attname", name), None)
            if _is_location(db_field) and current is not None and current not in ids:
                kept[name] = current
        if not kept:
            return form

        class KeepingOutsideLocations(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name, current in kept.items():
                    field = self.fields[name]
                    field.queryset = field.queryset.model._default_manager.filter(
                        pk__in=[*ids, current]
                    )

        return KeepingOutsideLocations

    def history_view(self, request, object_id, extra_context=None):
        self.get_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """An old version, to read: reverting is off (``SIMPLE_HISTORY_REVERT_DISABLED``)
        and the page's form saves on any POST whatever the viewer's rights, so a
        POST is refused here for everyone; a version id that is no number is 404."""
        if request.method == "POST":
            raise PermissionDenied("Old versions are read, not restored.")
        if not is_digits(version_id) or len(str(version_id)) > 18:
            raise Http404("No such version.")
        self.get_object(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(ShopScopedAdmin, admin.ModelAdmin):
    """A history or a record the services write: listed and opened, never added,
    edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RowsOnRecord:
    """Mixed into a read-only inline's formset: its forms are the rows on record,
    whatever count a posted form claims. An extra form would be a row no one may
    add, which the page cannot draw when it comes back (a profile refused)."""

    def total_form_count(self):
        return min(super().total_form_count(), self.initial_form_count())


class ReadOnlyInline(admin.TabularInline):
    """Rows of an object shown as they are (its lines, its history): nothing is
    added, changed or deleted through them, nor drawn beyond them."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (RowsOnRecord, formset), {})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartOfParentInline(ReadOnlyInline):
    """Rows that are part of what their object is (an order's lines, fulfilments,
    payments, invoices and history; a transfer's lines and events): whoever may see
    the object sees them, without a permission for each row's model."""

    def has_view_permission(self, request, obj=None):
        parent = self.admin_site._registry.get(self.parent_model)
        if parent is None:
            return super().has_view_permission(request, obj)
        return parent.has_view_permission(request, obj)
