"""Product views from the website and the app, and what the customer viewed last.

``POST /events/`` takes a batch of up to ``MAX_BATCH`` (50) views and
answers 202 once they are queued (no database write per event: one ``RPUSH``, or one
``INSERT`` without Redis). Signed in, views are kept only with the customer's
personalisation consent (``tracking``); anonymous, only with a ``device_id`` and
``consent: true`` (the visitor accepted personalisation on that device). Otherwise the
views are dropped and the answer says 0 were accepted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from customers.browsing import BROWSE_CHANNELS, BrowseKind
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

from .common import BAD_INPUT, validated

MAX_BATCH = 50  # views in one request
TOKEN = RegexValidator(r"^[A-Za-z0-9_.:-]+$", "Letters, digits and - _ . : only.")


class BrowseThrottle(SimpleRateThrottle):
    """Batches per signed-in customer, or per address: in place of the general rate,
    one cache read and write per request."""

    scope = "browse"

    def get_rate(self):
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope, "120/minute")

    def get_cache_key(self, request, view):
        user = request.user
        ident = f"u{user.pk}" if user and user.is_authenticated else None
        return self.cache_format % {
            "scope": self.scope,
            "ident": ident or self.get_ident(request),
        }


class BrowseEventSerializer(serializers.Serializer):
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


class BrowseBatchSerializer(serializers.Serializer):
    events = BrowseEventSerializer(many=True, min_length=1, max_length=MAX_BATCH)
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


class BrowseEventsView(APIView):
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
