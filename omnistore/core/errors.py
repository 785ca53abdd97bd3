"""The last answer to an unhandled error: JSON under ``/api/``, a page elsewhere.

A client of the JSON API parses every answer, a 500 too; what failed stays in the log.
Database failures worth a retry (``dberrors``) raised in a view are answered before
this, as a 503, by the API's handler; those raised before any view (loading the
session or the user in a middleware, the database gone) reach this handler and are
answered the same: a 503 with ``Retry-After``, as JSON under ``/api/`` and as a page
for the staff that says to try again in a moment. The pages are plain HTML with no
query, no static file and no context: they render whatever is down.
"""

import sys

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from .api import BUSY_MESSAGE, error_body
from .dberrors import RETRY_AFTER_SECONDS, retryable
from .middleware import is_api


def server_error(request, *args, **kwargs):
    code = retryable(sys.exc_info()[1])  # the error being handled, if any
    if code is not None:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if is_api(request):
            return JsonResponse(
                error_body(BUSY_MESSAGE, code), status=503, headers=headers
            )
        return _page("503.html", 503, headers)
    if is_api(request):
        return JsonResponse(
            error_body("Something went wrong on our side.", "server_error"),
            status=500,
        )
    return _page("500.html", 500)


def bad_request(request, exception=None):
    """A request Django refused before any view (a host not allowed, a broken
    header): JSON under ``/api/``, Django's page elsewhere."""
    if is_api(request):
        return JsonResponse(
            error_body("The request could not be understood.", "bad_request"),
            status=400,
        )
    return defaults.bad_request(request, exception)


def _page(name: str, status: int, headers=None) -> HttpResponse:
    return HttpResponse(
        loader.get_template(name).render(), status=status, headers=headers
    )
