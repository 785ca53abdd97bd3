"""The last answer to an unhandled error: JSON under ``/api/``, Django's page elsewhere.

A client of the JSON API parses every answer, a 500 too; what failed stays in the log.
Database failures worth a retry (``dberrors``) are answered before this, as a 503.
"""

from django.http import JsonResponse
from django.views.defaults import server_error as html_server_error

from .api import error_body
from .middleware import is_api


def server_error(request, *args, **kwargs):
    if is_api(request):
        return JsonResponse(
            error_body("Something went wrong on our side.", "server_error"),
            status=500,
        )
    return html_server_error(request, *args, **kwargs)
