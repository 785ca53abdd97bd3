"""Request hygiene before any view runs, and the API's answers to what no view serves.

- A NUL in the path or the query string is refused with a 400 at the door: no column
  can hold it (PostgreSQL refuses it in a parameter), so a view passing it to a query
  would fail as a server error. Under ``/api/`` the answer is the API's error body.
- A form posted to a page outside ``/api/`` has the bidirectional controls dropped
  from its fields at the door (``omnistore.core.text``: they would show a name turned
  around); the API's parsers drop them from its bodies.
- A number too large for the database (an id past 64 bits in an admin list's filter,
  which SQLite cannot even bind), or a date that leaves a date's range once moved to
  UTC (year 1 in an admin list's filter), is the client's error: a 400, never a
  server error.
- Outside ``/api/`` such a 400 is a small page saying why, with a link back.
- An admin action over a selection that is not the list's keys (an id typed by hand,
  a forged form) goes back to the list with a message, as an empty selection does,
  instead of failing in the query.
- An admin list filtered by a year no date can have (``?created_at__year=0``, 10000,
  or 1 and 9999, whose edges leave a date's range in UTC: Django computes a year's
  first and last instants when it runs the query) goes back to the list without that
  filter, with a message.
- Under ``/api/``, a 404 from Django's URL resolver (a path no route matches, such as
  a non-numeric id) is the API's JSON error body, like every other API error, not an
  HTML page. A path missing its final slash is not redirected there (a redirect
  loses a POST's body, and Django refuses to make one under ``DEBUG``): the 404 says
  where the operation is.
"""

from contextlib import suppress

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.urls import is_valid_path
from django.utils.html import format_html

from .api import error_body, invalid_body
from .db import is_key_value
from .parsers import NUL_MESSAGE
from .text import form_without_bidi_controls

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _has_nul(request) -> bool:
    """A NUL in the decoded path, or in the query string raw or percent-encoded."""
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path_info or "%00" in query or "\x00" in query


def bad_request(request, message: str):
    """A 400 refused before or outside any view: the API's error body under
    ``/api/``, elsewhere a small page saying why, with a link back."""
    if is_api(request):
        return JsonResponse(
            invalid_body(message, {"non_field_errors": [message]}),
            status=400,
            json_dumps_params={"separators": (",", ":")},
        )
    return HttpResponseBadRequest(
        format_html(
            BAD_REQUEST_PAGE, message=message, back=_way_back(request)
        ).encode(),
        content_type="text/html; charset=utf-8",
    )


BAD_REQUEST_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not understood · Omnistore</title></head>
<body>
<main>
  <h1>This request could not be used</h1>
  <p data-testid="bad-request">{message} Nothing was changed.</p>
  <p><a href="{back}" data-testid="way-back">Back</a></p>
</main>
</body>
</html>
"""


def _way_back(request) -> str:
    """The page again without what was sent with it (a list's filters, a form's
    data), unless its address itself was refused: then the start of the admin or
    of the staff pages. Built from the path only, never from a header."""
    path = request.path
    sent = request.META.get("QUERY_STRING") or request.method != "GET"
    # "//host/" or "/\\host/" would lead a browser to another site.
    on_this_site = path.startswith("/") and path[1:2] not in ("/", "\\")
    if sent and on_this_site and "\x00" not in path:
        return path
    return "/admin/" if path.startswith("/admin/") else "/staff/"


class RejectNulMiddleware:
    """The door's text hygiene: a NUL in the address is refused, and a form sent
    to a page (the staff pages, the admin) has the bidirectional controls dropped
    from its fields before any view reads them (``omnistore.core.text``; the API's
    parsers do the same for its bodies)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return bad_request(request, NUL_MESSAGE)
        if request.method == "POST" and not is_api(request):
            # A body that cannot be read is left to CSRF's check, which answers it.
            with suppress(OSError):
                request.POST = form_without_bidi_controls(request.POST)
        return self.get_response(request)


OUT_OF_RANGE_MESSAGE = "A number or a date in the request is out of range."


class OutOfRangeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OverflowError):
            return None
        return bad_request(request, OUT_OF_RANGE_MESSAGE)


BAD_SELECTION_MESSAGE = (
    "The selection names items that are not in this list. No items have been changed."
)


class AdminListInputMiddleware:
    """Checks what an admin list is asked before its query runs: the ids an action
    is posted with (each must be a value of the model's key) and the years a list is
    filtered by. Django's admin marks every model view it serves with its
    ``model_admin``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is None:
            return None
        if request.method == "GET":
            return _without_impossible_years(request, model_admin)
        if request.method != "POST" or "action" not in request.POST:
            return None
        key = model_admin.model._meta.pk
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if all(is_key_value(key, value) for value in selected):
            return None
        model_admin.message_user(request, BAD_SELECTION_MESSAGE, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


BAD_YEAR_MESSAGE = "No date falls in that year: that filter was left out."
# A year's first and last instants, moved to UTC, stay within what a date holds in
# every time zone.
YEARS = range(2, 9999)
YEAR_TRANSFORMS = frozenset({"year", "iso_year"})


def _is_impossible_year(value: str) -> bool:
    try:
        return int(value) not in YEARS
    except (TypeError, ValueError):
        return False  # not a number: Django's own check of the lookup answers it


def _without_impossible_years(request, model_admin):
    """The same list without the filters on a year outside what a date holds."""
    bad = [
        key
        for key, values in request.GET.lists()
        if YEAR_TRANSFORMS.intersection(key.split("__")[1:])
        and any(_is_impossible_year(value) for value in values)
    ]
    if not bad:
        return None
    query = request.GET.copy()
    for key in bad:
        del query[key]
    model_admin.message_user(request, BAD_YEAR_MESSAGE, messages.ERROR)
    encoded = query.urlencode()
    return HttpResponseRedirect(
        f"{request.path}?{encoded}" if encoded else request.path
    )


class ApiNotFoundMiddleware:
    """The API's 404s in its own shape; views' 404s already are (``api.exception_handler``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return JsonResponse(
                error_body(_not_found(request), "not_found"), status=404
            )
        return response


def _not_found(request) -> str:
    path = request.path_info
    if not path.endswith("/") and is_valid_path(
        f"{path}/", getattr(request, "urlconf", None)
    ):
        return f"Not found. Did you mean {request.path}/ (with the final slash)?"
    return "Not found."


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, without the redirect to the path with a slash added under ``/api/``
    (``ApiNotFoundMiddleware`` answers there)."""

    def should_redirect_with_slash(self, request):
        return not is_api(request) and super().should_redirect_with_slash(request)
