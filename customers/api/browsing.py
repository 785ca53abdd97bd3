"""Product views from the website and the app, and what the customer viewed last.

``POST /events/`` takes a batch of up to ``MAX_BATCH`` (50) views and
answers 202 once they are queued (no database write per event: one ``RPUSH``, or one
``INSERT`` without Redis). Signed in, views are kept only with the customer's
personalisation consent (``tracking``); anonymous, only with a ``device_id`` and
``consent: true`` (the visitor accepted personalisation on that device). Otherwise the
views are dropped and the answer says 0 were accepted.
"""

from __future__ import annotations

import re
from datetime import UTC

from django.core.validators import (
    MaxLengthValidator,
    MinLengthValidator,
    RegexValidator,
)
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import BROWSE_CHANNELS, BrowseKind
from customers.selectors.browsing import (
    RECENTLY_VIEWED,
    recently_viewed,
    tracking_customer_id,
)
from customers.selectors.identities import customer_for_user
from customers.services.browsing import accept_browse_events
from inventory.api.serializers import ProductSerializer
from inventory.selectors import online_available
from omnistore.core.api import MAX_ID, ErrorSerializer, FlagField, TextField
from omnistore.core.throttling import SettingsRateThrottle, ThrottledPosts

from .common import BAD_INPUT, validated

MAX_BATCH = 50  # views in one request
TOKEN = RegexValidator(r"^[A-Za-z0-9_.:-]+$", "Letters, digits and - _ . : only.")


class BrowseThrottle(SettingsRateThrottle):
    """Batches per signed-in customer, or per address (the one ``client_ip`` vouches
    for): in place of the general rate, one cache read and write per request."""

    scope = "browse"


class BrowseEventSerializer(serializers.Serializer):
    """One view as the schema documents it; ``BrowseEventsField`` checks the views of
    a batch by these rules, a little stricter (a number is not read from a text, a
    time needs its UTC offset)."""

    id = TextField(
        max_length=64,
        required=False,
        validators=[TOKEN],
        help_text="The client's id of this event: sent twice, it is stored once.",
    )
    kind = serializers.ChoiceField(
        choices=BrowseKind.choices, default=BrowseKind.PRODUCT_VIEWED
    )
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    variant = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    occurred_at = serializers.DateTimeField(help_text="When it was viewed (ISO 8601).")
    channel = serializers.ChoiceField(choices=list(BROWSE_CHANNELS))
    session_id = TextField(max_length=64, required=False, validators=[TOKEN])


_TOKEN_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_KINDS = frozenset(BrowseKind.values)
_CHANNELS = frozenset(BROWSE_CHANNELS)


def _whole(value, name: str, errors: dict, *, optional: bool = False):
    if value is None and optional:
        return None
    if type(value) is not int or not 1 <= value <= MAX_ID:
        errors[name] = [f"A whole number from 1 to {MAX_ID}."]
    return value


def _event(item) -> tuple[dict, dict]:
    """One view checked as ``BrowseEventSerializer`` documents it; returns the view
    and the errors by field."""
    if not isinstance(item, dict):
        return {}, {"non_field_errors": ["Expected an object."]}
    errors: dict[str, list[str]] = {}
    for name in ("product", "occurred_at", "channel"):
        if name not in item:
            errors[name] = ["This field is required."]
    event = {
        "product": _whole(item.get("product"), "product", errors),
        "variant": _whole(item.get("variant"), "variant", errors, optional=True),
        "kind": item.get("kind", BrowseKind.PRODUCT_VIEWED),
        "channel": item.get("channel"),
    }
    if not isinstance(event["kind"], str) or event["kind"] not in _KINDS:
        errors["kind"] = [f"One of: {', '.join(sorted(_KINDS))}."]
    if not isinstance(event["channel"], str) or event["channel"] not in _CHANNELS:
        errors["channel"] = [f"One of: {', '.join(sorted(_CHANNELS))}."]
    for name in ("id", "session_id"):
        if name in item:
            value = item[name]
            if not isinstance(value, str) or not _TOKEN_RE.match(value):
                errors[name] = ["1 to 64 letters, digits or - _ . : only."]
            event[name] = value
    at = item.get("occurred_at")
    try:
        ok = isinstance(at, str) and len(at) <= 40
        when = parse_datetime(at.upper()) if ok else None
        when = when.astimezone(UTC) if when and when.tzinfo else None
    except (ValueError, OverflowError):
        when = None
    if when is None and "occurred_at" not in errors:
        errors["occurred_at"] = ["An ISO 8601 date and time with its UTC offset."]
    event["occurred_at"] = when
    return event, errors


@extend_schema_field(BrowseEventSerializer(many=True))
class BrowseEventsField(serializers.Field):
    """The views of a batch, checked by hand against ``BrowseEventSerializer``:
    DRF's nested serializer took 12 ms of the request's CPU for 50 views (a field
    object run per value), this takes a tenth of it. Errors come back as DRF gives
    them: a list with each view's errors by field."""

    default_error_messages = {
        "not_a_list": "Expected a list of 1 to {max} events.",
        "too_many": "At most {max} events.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            self.fail("not_a_list", max=MAX_BATCH)
        if len(data) > MAX_BATCH:
            self.fail("too_many", max=MAX_BATCH)
        checked = [_event(item) for item in data]
        if any(errors for _, errors in checked):
            raise serializers.ValidationError([errors for _, errors in checked])
        return [event for event, _ in checked]


class BrowseBatchSerializer(serializers.Serializer):
    events = BrowseEventsField(
        help_text=f"1 to {MAX_BATCH} views.",
        # checked in the field already; here they put the bounds in the schema
        validators=[MinLengthValidator(1), MaxLengthValidator(MAX_BATCH)],
    )
    device_id = TextField(
        min_length=16,
        max_length=64,
        required=False,
        validators=[TOKEN],
        help_text=(
            "A random id the app or browser keeps per install. Required when not "
            "signed in; signed in, the device's earlier anonymous views become yours."
        ),
    )
    consent = FlagField(
        required=False,
        default=False,
        help_text=(
            "Not signed in: the visitor accepted personalisation on this device. "
            "Signed in, your `tracking` consent decides and this is ignored."
        ),
    )

    def validate(self, attrs):
        user = self.context["request"].user
        if not (user and user.is_authenticated) and not attrs.get("device_id"):
            raise serializers.ValidationError(
                {"device_id": ["Required when not signed in."]}
            )
        return attrs


class AcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(
        help_text="Views queued; 0 when there is no consent to keep them."
    )


class RecentlyViewedSerializer(serializers.Serializer):
    viewed_at = serializers.DateTimeField(help_text="Your latest view of it.")
    product = ProductSerializer()


class BrowseEventsView(ThrottledPosts, APIView):
    permission_classes = [AllowAny]
    throttle_classes = [BrowseThrottle]

    @extend_schema(
        summary="Send product views",
        description=(
            "Up to 50 product views at once, from the website or the app. Kept only "
            "with consent to personalisation (signed in: your `tracking` consent; "
            "not signed in: `device_id` and `consent: true`); otherwise dropped "
            "(`accepted: 0`). Views are stored shortly after the answer, in batches; "
            "views of unknown or withdrawn products are skipped then."
        ),
        request=BrowseBatchSerializer,
        responses={
            202: AcceptedSerializer,
            400: BAD_INPUT,
            404: OpenApiResponse(ErrorSerializer, description="A staff login."),
            429: OpenApiResponse(ErrorSerializer, description="Too many batches."),
        },
        tags=["me"],
    )
    def post(self, request):
        data = validated(BrowseBatchSerializer, request, context={"request": request})
        customer_id = None
        if request.user and request.user.is_authenticated:
            customer_id = tracking_customer_id(request.user)
            allowed = customer_id is not None
        else:
            allowed = data["consent"]
        accepted = 0
        if allowed:
            accepted = accept_browse_events(
                events=data["events"],
                customer_id=customer_id,
                device_id=data.get("device_id", ""),
            )
        return Response({"accepted": accepted}, status=status.HTTP_202_ACCEPTED)


class RecentlyViewedView(APIView):
    @extend_schema(
        summary="Recently viewed",
        description=(
            f"The last {RECENTLY_VIEWED} products you viewed, most recent first, each "
            "once, with its variants, prices and units sellable online. Empty "
            "without your consent to personalisation (`tracking`)."
        ),
        responses={
            200: RecentlyViewedSerializer(many=True),
            404: OpenApiResponse(ErrorSerializer, description="No profile."),
        },
        tags=["me"],
    )
    def get(self, request):
        customer = customer_for_user(request.user)
        viewed = recently_viewed(customer)
        online = online_available(
            variant_ids=[v.pk for p, _ in viewed for v in p.variants.all()]
        )
        rows = [{"viewed_at": at, "product": product} for product, at in viewed]
        return Response(
            RecentlyViewedSerializer(rows, many=True, context={"online": online}).data
        )
