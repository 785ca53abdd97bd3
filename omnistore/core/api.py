"""Shared API plumbing: the error body and its handler, pagination, the text field
every input uses (the request body parsers are in ``parsers``)."""

import copy

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, QueryDict
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.fields import Field
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Empty
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from omnistore.core.digits import is_digits

from .db import LARGEST_KEY
from .dberrors import RETRY_AFTER_SECONDS, retryable
from .exceptions import ApplicationError


class ErrorSerializer(serializers.Serializer):
    """The body of every error the API answers (4xx): ``exception_handler``."""

    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField(
        help_text="Field errors or details of the refusal. The errors of a list's "
        "items (`lines`, `tenders`) are a list as long as the one sent, `{}` for "
        "each item without errors."
    )


# For the schema: a 503 any write may answer (the database busy or gone, the shared
# cache down for a check that needs it); the client retries after Retry-After.
UNAVAILABLE = OpenApiResponse(
    ErrorSerializer,
    description="Down for a moment (`busy`, `database_unavailable`, "
    "`temporarily_unavailable`): retry after `Retry-After` seconds",
)


def error_body(message: str, code: str, extra: dict | None = None) -> dict:
    return {"message": message, "code": code, "extra": extra or {}}


def exception_handler(exc, context):
    """Every error as ``{"message", "code", "extra"}`` with its status.

    A 400 keeps its field errors in ``extra`` and, for clients that expect DRF's
    shape, at the top level too; DRF's other errors (401, 403, 404, 405, 415, 429)
    carry their text in ``message`` and their code in ``code``. The errors of a
    list's items are a list, whoever found them (``listed_item_errors``).
    """
    sent = _body_read(context)
    if isinstance(exc, ApplicationError):
        extra = listed_item_errors(exc.extra, sent)
        body = error_body(exc.message, exc.code, extra)
        if exc.status == status.HTTP_400_BAD_REQUEST:
            _repeat_field_errors(body, extra)
        return Response(body, status=exc.status, headers=_retry_after(exc))
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    if isinstance(exc, SuspiciousOperation):
        return refused_request(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return busy_response(exc)
    errors = response.data
    if isinstance(errors, dict) and set(errors) == {"detail"}:
        detail = errors["detail"]
        code = getattr(detail, "code", None) or "error"
        extra = {"wait": exc.wait} if getattr(exc, "wait", None) else {}
        response.data = error_body(str(detail), code, extra)
    elif response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = invalid_body("Invalid input.", listed_item_errors(errors, sent))
    return response


def _retry_after(exc: ApplicationError) -> dict:
    """The ``Retry-After`` header of a refusal that says when to try again, as
    DRF's throttles send it: a 503 in a moment; a 429 when its limit lets the next
    one by, in whole seconds from now (the error's ``retry_after()``, from its
    ``retry_at``), else its ``extra["wait"]``."""
    if exc.status == status.HTTP_503_SERVICE_UNAVAILABLE:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if exc.status != status.HTTP_429_TOO_MANY_REQUESTS:
        return {}
    known = getattr(exc, "retry_after", None)
    seconds = known() if callable(known) else None
    if seconds is None:
        seconds = exc.extra.get("wait")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        return {}
    return {"Retry-After": str(seconds)}


def _body_read(context):
    """The request body the view read, to measure the lists it sent; ``UNREAD``
    when the view did not read it (reading it now could fail in turn)."""
    request = (context or {}).get("request")
    data = getattr(request, "_full_data", Empty)  # DRF's parsed body, once read
    return UNREAD if data is Empty else data


UNREAD = object()  # the request's body, not read: the lists it sent are not known


def listed_item_errors(extra, sent=UNREAD):
    """An error's ``extra`` with the errors of a list's items as a list, at every
    depth (``extra`` itself stays as it is, a dict of fields).

    DRF names an item of a list by its index (``{"1": {"pin": [...]}}``) while a
    refusal found later lists one entry per item (``[{}, {"non_field_errors":
    [...]}]``): a dict of errors (lists or dicts) whose keys are all indexes
    becomes a list as long as the list the request sent there (``sent``, the
    request's body), ``{}`` for each item without errors; when the body was not
    read, up to its highest index. Anything else keeps its keys: a dict the
    request sent, or details of a refusal keyed by ids (``{"524": 2}``).
    """
    if not isinstance(extra, dict):
        return extra
    return {k: _listed(v, _within(sent, k)) for k, v in extra.items()}


# A dict of errors keyed by numbers, the request's body not read, is read as a list
# only below this: no list the API takes is as long.
MOST_LISTED = 1000


def _listed(errors, sent):
    if isinstance(errors, list):
        return [_listed(v, _within(sent, i)) for i, v in enumerate(errors)]
    if not isinstance(errors, dict):
        return errors
    indexes = _indexes(errors)
    if indexes is None or not (isinstance(sent, list) or sent is UNREAD):
        return listed_item_errors(errors, sent)
    length = max(indexes) + 1
    if isinstance(sent, list):
        length = max(length, len(sent))
    elif length > MOST_LISTED:
        return listed_item_errors(errors, sent)
    by_index = dict(zip(indexes, errors.values(), strict=True))
    return [_listed(by_index.get(i, {}), _within(sent, i)) for i in range(length)]


def _indexes(errors: dict) -> list[int] | None:
    """The keys of a dict of errors (each a list or a dict) as list indexes (``1``
    or ``"1"``), or None when they are not all indexes, or there are none."""
    indexes = []
    for key, value in errors.items():
        if not isinstance(value, list | dict):
            return None
        if isinstance(key, str) and is_digits(key) and str(int(key)) == key:
            indexes.append(int(key))
        elif isinstance(key, int) and not isinstance(key, bool) and key >= 0:
            indexes.append(key)
        else:
            return None
    return indexes or None


def _within(sent, key):
    """What the request sent at ``key`` of ``sent`` (a field's name, an index)."""
    if sent is UNREAD:
        return UNREAD
    if isinstance(sent, dict) and isinstance(key, str):
        return sent.get(key)
    if isinstance(sent, list) and isinstance(key, int) and 0 <= key < len(sent):
        return sent[key]
    return None


def invalid_body(message: str, errors) -> dict:
    """The body of a 400 ``invalid``: the field errors in ``extra`` and, by name, at
    the top level too (``_repeat_field_errors``), wherever the input was refused."""
    body = error_body(message, "invalid", errors)
    _repeat_field_errors(body, errors)
    return body


def _repeat_field_errors(body: dict, errors) -> None:
    """A 400's field errors (lists of messages under a field's name) stay
    addressable at the top level too, for clients that expect DRF's shape; a field
    named like one of the body's keys stays in ``extra`` only."""
    if isinstance(errors, dict):
        body.update(
            {
                k: v
                for k, v in errors.items()
                if k not in body and isinstance(v, (list, dict))
            }
        )


TOO_LARGE_MESSAGE = "The request body is too large."
REFUSED_MESSAGE = "The request could not be read."


def refused_request(exc: SuspiciousOperation) -> Response:
    """A request Django will not read: a body past ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    (413), a form with too many fields or files (400). Django raises these while
    the body is parsed, so they would otherwise leave the view as its own 400 page
    instead of the API's error body."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(TOO_LARGE_MESSAGE, "too_large"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return Response(
        invalid_body(REFUSED_MESSAGE, {"non_field_errors": [str(exc)]}),
        status=status.HTTP_400_BAD_REQUEST,
    )


BUSY_MESSAGE = "The store is busy; try again in a moment."


def busy_response(exc) -> Response | None:
    """A lock or statement timeout, a serialization failure or a lost connection:
    a JSON 503 the client may retry after ``Retry-After`` seconds; None otherwise
    (Django's 500, answered as JSON under ``/api/`` by ``errors.server_error``)."""
    code = retryable(exc)
    if code is None:
        return None
    set_rollback()
    return Response(
        error_body(BUSY_MESSAGE, code),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# --- pagination ----------------------------------------------------------------------


def _positive_int(raw: str, name: str) -> int:
    """A query parameter that must be a whole number from 1; anything else is bad
    input (400, the parameter named in ``extra``), never silently replaced."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or not is_digits(raw.strip()):
        raise serializers.ValidationError({name: ["A whole number from 1."]})
    return value


class Pagination(PageNumberPagination):
    """``page`` and ``page_size`` are whole numbers from 1; either one otherwise is a
    400 naming it (DRF's ``page=last`` too: the schema's ``page`` is a number, and
    ``count`` with ``page_size`` gives the last one). A page past the last is a 404.
    A ``page_size`` over 100 counts as 100."""

    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(_positive_int(raw, self.page_size_query_param), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None:
            _positive_int(raw, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        described = {
            self.page_query_param: "Page number, from 1; a page past the last is a 404.",
            self.page_size_query_param: (
                f"Results per page, from 1 (default {self.page_size}); "
                f"more than {self.max_page_size} counts as {self.max_page_size}."
            ),
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in described:
                parameter["description"] = described[parameter["name"]]
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters


# --- fields --------------------------------------------------------------------------

# The largest id a bigint column holds: an id input stops there, so a larger number is
# a 400, not an overflow in the query that looks it up.
MAX_ID = LARGEST_KEY


class TextField(serializers.CharField):
    """An input string, as JSON sends it: a number or a boolean is refused rather
    than read as its text (``{"name": 0}`` is a 400, not a list named "0"). Form
    bodies send text only, so they are unaffected. DRF's ``CharField`` already
    refuses NUL."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _from_form(field: Field) -> bool:
    """Whether the body being validated is a form's (all text) rather than JSON."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class FlagField(serializers.BooleanField):
    """A JSON ``true`` or ``false``: a number or a text is refused rather than read
    as one (``{"push": 0}`` is a 400). A form's text ("true", "false") is read as
    DRF reads it."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not _from_form(self):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class NumberField(serializers.FloatField):
    """A JSON number: a boolean or a text is refused rather than read as one
    (``false`` is not 0.0). A form's text is read as DRF reads it."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, str) and not _from_form(self)):
            self.fail("invalid")
        return super().to_internal_value(data)


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


class QuerySerializer(serializers.Serializer):
    """A query string's rules. DRF reads an optional parameter sent empty
    (``?lat=``) as one left out; here it is refused, on its name, unless the field
    takes blank text: a parameter is given with a value or not at all."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name_the_choices(cls._declared_fields.values())

    def to_internal_value(self, data):
        empty = {
            name: ["Give a value, or leave the parameter out."]
            for name, field in self.fields.items()
            if data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)


class InputSerializer(serializers.Serializer):
    # A request body's validation rules (no docstring: the schema would show it as
    # the description of every body without its own).
    #
    # DRF gives each serializer instance its own fields by deep-copying the declared
    # ones, arguments included. Here each instance gets copies of the declared fields
    # (``_fresh``), whose arguments are never changed (choices, defaults, limits): the
    # same fields for a fraction of the CPU, which counts on the busiest storefront
    # requests.

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name_the_choices(cls._declared_fields.values())

    def get_fields(self):
        return {name: _fresh(field) for name, field in self._declared_fields.items()}


MOST_CHOICES_NAMED = 12


def name_the_choices(fields) -> None:
    """A value that is not one of a choice field's choices is refused with the
    choices it takes (``"click_and_collect" is not a valid choice; one of: delivery,
    pickup, carry_out.``), set once on the declared fields."""
    for field in fields:
        if not isinstance(field, serializers.ChoiceField):
            continue
        values = [str(value) for value in field.choices][: MOST_CHOICES_NAMED + 1]
        if not values:
            continue
        listed = ", ".join(values[:MOST_CHOICES_NAMED])
        more = ", …" if len(values) > MOST_CHOICES_NAMED else ""
        message = f'"{{input}}" is not a valid choice; one of: {listed}{more}.'
        field.error_messages = {**field.error_messages, "invalid_choice": message}
        field._kwargs["error_messages"] = {
            **field._kwargs.get("error_messages", {}),
            "invalid_choice": message,
        }
