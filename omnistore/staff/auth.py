"""Who may use the staff UI, and at which location (a shop or a warehouse) they act."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Case, Q, When
from django.http import Http404
from django.shortcuts import render, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from inventory.models import Location, LocationKind
from omnistore.accounts.models import User
from omnistore.accounts.scoping import shop_ids

from .htmx import same_site

SESSION_STORE_KEY = "staff_store_id"
NOT_AT_A_WAREHOUSE = "staff/not_at_a_warehouse.html"


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
    """The location the staff member acts for: the one picked (kept in the session)
    among those they may switch to (``switchable_shops``: shops and warehouses),
    else their home one; HQ start at the first shop by name."""
    user = request.user
    if not user.is_authenticated:
        return None
    if getattr(request, "_staff_store", None) is not None:
        return request._staff_store
    store = None
    store_id = getattr(request, "session", {}).get(SESSION_STORE_KEY)
    if user.sees_all_stores:
        active = Location.objects.filter(active=True)
        store = active.filter(pk=store_id).first() if store_id else None
        shops_first = Case(When(kind=LocationKind.SHOP, then=0), default=1)
        store = store or active.order_by(shops_first, "name").first()
    elif user.store_id:
        store = _picked_or_home(request, store_id)
    request._staff_store = store
    return store


def _picked_or_home(request, store_id) -> Location | None:
    """The location picked among a staff member's own active ones, else their home
    one, else another of theirs still open (a closed location is nobody's to act
    for; with none left, None). A home loaded with the user already costs nothing;
    else one query reads all of theirs (``_own_locations``), which the header's
    switcher reads too."""
    user = request.user
    home_cached = User.store.is_cached(user)
    if store_id in (None, user.store_id) and home_cached and user.store.active:
        return user.store
    mine = {location.pk: location for location in _own_locations(request)}
    picked = mine.get(store_id) or mine.get(user.store_id)
    return picked or min(mine.values(), key=lambda place: place.name, default=None)


def switchable_shops(user):
    """The locations the staff pages may be switched to, warehouses as well as
    shops (the desks only a shop has refuse a warehouse, ``shop_only``): those of
    ``visible_locations``, every active one for HQ, else the user's own active ones
    (``shop_ids``: the home one and their shops), here read in one query with the
    rows, as every page's header reads them."""
    locations = Location.objects.filter(active=True)
    if user.sees_all_stores:
        return locations
    theirs = Q(pk=user.store_id) | Q(pk__in=user.shops.values("pk"))
    return locations.filter(theirs)


def switch_choices(request) -> list[Location]:
    """What the header's switcher offers: ``switchable_shops`` when there is a
    choice (HQ always; others working at more than one), else nothing."""
    if request.user.sees_all_stores:
        return list(switchable_shops(request.user))
    mine = _own_locations(request)
    return mine if len(mine) > 1 else []


def _own_locations(request) -> list[Location]:
    """``switchable_shops`` of a staff member who is not HQ, read once a request:
    ``current_store`` picks from it and the header offers it."""
    mine = getattr(request, "_staff_locations", None)
    if mine is None:
        mine = list(switchable_shops(request.user))
        request._staff_locations = mine
    return mine


def require_store(request) -> Location:
    store = current_store(request)
    if store is None:
        raise Http404("No shop to act for.")
    return store


def shop_only(desk: str):
    """A desk only a shop has (``desk``: "The sale at the counter", "The till", ...).
    Acting for a warehouse, it answers a page saying so (403) and does nothing: a
    warehouse has no counter, no till and no customers at a desk."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            store = current_store(request)
            if store is not None and not store.is_shop:
                context = {"desk": desk, "store": store}
                return render(request, NOT_AT_A_WAREHOUSE, context, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def visible_locations(user):
    """Locations whose details a user may act on: all for HQ, their shops otherwise
    (the rule of ``omnistore.accounts.scoping``, which the admin follows too)."""
    qs = Location.objects.filter(active=True)
    ids = shop_ids(user)
    return qs if ids is None else qs.filter(pk__in=ids)
