"""Request hygiene before any view runs, and the API's answers to what no view serves.

- A NUL in the path or the query string is refused with a 400 at the door: no column
  can hold it (PostgreSQL refuses it in a parameter), so a view passing it to a query
  would fail as a server error. Under ``/api/`` the answer is the API's error body.
- A number too large for the database (an id past 64 bits in an admin list's filter,
  which SQLite cannot even bind) is the client's error: a 400, never a server error.
- Under ``/api/``, a 404 from Django's URL resolver (a path no route matches, such as
  a non-numeric id) is the API's JSON error body, like every other API error, not an
  HTML page.
"""

from django.http import HttpResponseBadRequest, JsonResponse

from .api import error_body
from .parsers import NUL_MESSAGE

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _has_nul(request) -> bool:
    """A NUL in the decoded path, or in the query string raw or percent-encoded."""
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path_info or "%00" in query or "\x00" in query


def bad_request(request, message: str):
    """A 400 refused before or outside any view: the API's error body under
    ``/api/``, plain text elsewhere."""
    if is_api(request):
        return JsonResponse(
            error_body(message, "invalid", {"non_field_errors": [message]}),
            status=400,
        )
    return HttpResponseBadRequest(message, content_type="text/plain")


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return bad_request(request, NUL_MESSAGE)
        return self.get_response(request)


OUT_OF_RANGE_MESSAGE = "A number in the request is out of range."


class OutOfRangeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OverflowError):
            return None
        return bad_request(request, OUT_OF_RANGE_MESSAGE)


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
            return JsonResponse(error_body("Not found.", "not_found"), status=404)
        return response
