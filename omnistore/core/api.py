"""Shared API plumbing: pagination and the single exception handler."""

import copy

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from rest_framework import serializers, status
from rest_framework.fields import Field
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


def _fresh(field: Field) -> Field:
    """A new, unbound instance of a declared field.

    A plain field is copied as it was declared (never bound): its arguments,
    validators and choices are only ever read, and binding sets the copy's own name
    and parent. A serializer, or a field holding another field (a list's child), is
    built again from its arguments, what it holds as well.
    """
    if isinstance(field, serializers.BaseSerializer) or any(
        isinstance(a, Field) for a in (*field._args, *field._kwargs.values())
    ):
        return _rebuilt(field)
    return copy.copy(field)


def _rebuilt(field: Field) -> Field:
    args = [_rebuilt(a) if isinstance(a, Field) else a for a in field._args]
    kwargs = {
        k: _rebuilt(v) if isinstance(v, Field) else v for k, v in field._kwargs.items()
    }
    return field.__class__(*args, **kwargs)


class InputSerializer(serializers.Serializer):
    """A request body's validation rules.

    DRF gives each serializer instance its own fields by deep-copying the declared
    ones, arguments included. Here each instance gets copies of the declared fields
    (``_fresh``), whose arguments are never changed (choices, defaults, limits): the
    same fields for a fraction of the CPU, which counts on the busiest storefront
    requests.
    """

    def get_fields(self):
        return {name: _fresh(field) for name, field in self._declared_fields.items()}
