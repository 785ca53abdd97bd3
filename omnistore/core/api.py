"""Shared API plumbing: pagination and the single exception handler."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"message": exc.message, "code": exc.code, "extra": exc.extra}
        return Response(body, status=exc.status)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        errors = response.data
        response.data = {
            "message": "Invalid input.",
            "code": "invalid",
            "extra": errors,
        }
        # Field errors stay addressable at the top level for clients that expect DRF's shape.
        if isinstance(errors, dict):
            response.data.update(
                {k: v for k, v in errors.items() if k not in response.data}
            )
    return response
