"""Who may use the staff UI, and at which shop they act."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from inventory.models import Location, LocationKind
from omnistore.accounts.scoping import shop_ids

from .htmx import same_site

SESSION_STORE_KEY = "staff_store_id"


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or not user.is_store_staff:
            return sign_in_first(request)
        return view(request, *args, **kwargs)

    return wrapper


def sign_in_first(request):
    """To the login page, then back to the page asked for. A request htmx sent (a
    button, a search, a poll) takes the whole tab to the login page, and back to the
    page the tab shows (``HX-Current-URL``, when it is one of this site's), not to
    the address of the fragment or the action: the login page swapped into a part of
    the page would look signed in and send its form to the wrong address."""
    if not getattr(request, "htmx", False):
        return redirect_to_login(request.get_full_path())
    here = same_site(request, request.htmx.current_url)
    if here is None:
        return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
    parts = urlsplit(here)
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    return HttpResponseClientRedirect(redirect_to_login(page).url)


def staff_only_unless(flag: str):
    """A page open to anyone where the setting ``flag`` is on (development, the demo,
    the tests), else only to signed-in staff; anyone else is told it does not exist
    (404). The setting is read at each request, not at import."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            allowed = user.is_authenticated and user.is_store_staff
            if not (allowed or getattr(settings, flag)):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def current_store(request) -> Location | None:
    """The shop the staff member acts for: the one picked (kept in the session) among
    the shops they see, else their home shop; HQ's first shop by name."""
    user = request.user
    if not user.is_authenticated:
        return None
    if getattr(request, "_staff_store", None) is not None:
        return request._staff_store
    store = None
    store_id = getattr(request, "session", {}).get(SESSION_STORE_KEY)
    if user.sees_all_stores:
        shops = Location.objects.filter(active=True, kind=LocationKind.SHOP)
        store = shops.filter(pk=store_id).first() if store_id else None
        store = store or shops.order_by("name").first()
    elif store_id and store_id != user.store_id and store_id in shop_ids(user):
        store = Location.objects.filter(pk=store_id, active=True).first()
    if store is None and not user.sees_all_stores and user.store_id:
        store = user.store
    request._staff_store = store
    return store


def switchable_shops(user):
    """The shops a staff member may switch between: every shop for HQ, their own
    when they have several (an area manager), none otherwise."""
    shops = Location.objects.filter(active=True, kind=LocationKind.SHOP)
    if user.sees_all_stores:
        return shops
    ids = shop_ids(user)
    return shops.filter(pk__in=ids) if len(ids) > 1 else shops.none()


def require_store(request) -> Location:
    store = current_store(request)
    if store is None:
        raise Http404("No shop to act for.")
    return store


def visible_locations(user):
    """Locations whose details a user may act on: all for HQ, their shops otherwise
    (the rule of ``omnistore.accounts.scoping``, which the admin follows too)."""
    qs = Location.objects.filter(active=True)
    ids = shop_ids(user)
    return qs if ids is None else qs.filter(pk__in=ids)
