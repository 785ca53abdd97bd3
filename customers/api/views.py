"""Storefront accounts and the signed-in customer's own profile, consents, timeline and
personal data. Nothing here takes a customer id: every ``/me/`` view works on the
profile of the signed-in user (after merges, the survivor), so no one reaches another
person's data."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from customers import selectors, services
from customers.models import Channel, CustomerEvent

from .serializers import (
    ConsentOutSerializer,
    ConsentUpdateSerializer,
    EraseSerializer,
    ErrorSerializer,
    EventSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)

BAD_INPUT = OpenApiResponse(
    ErrorSerializer, description="Invalid input; nothing changed."
)
NO_PROFILE = OpenApiResponse(ErrorSerializer, description="The login has no profile.")


class SignInThrottle(SimpleRateThrottle):
    """Password guessing is slowed per address and client, even when the general
    anonymous rate is generous."""

    scope = "sign_in"

    def get_rate(self):
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope, "20/minute")

    def get_cache_key(self, request, view):
        email = str(request.data.get("email", "")).strip().lower()[:254]
        ident = f"{self.get_ident(request)}:{email}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _channel(request) -> str:
    """The app sends ``X-Client-Channel: app``; anything else is the website."""
    return (
        Channel.APP if request.headers.get("X-Client-Channel") == "app" else Channel.WEB
    )


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInThrottle]

    @extend_schema(
        summary="Sign up",
        description=(
            "Creates a login and its customer profile. A profile already known by this "
            "email or phone (a guest order, a purchase in a shop) becomes the login's "
            "profile, so the history is kept. Returns an API token."
        ),
        request=RegisterSerializer,
        responses={201: TokenSerializer, 400: BAD_INPUT},
        tags=["account"],
    )
    def post(self, request):
        data = _valid(RegisterSerializer, request)
        registration = services.register_customer(
            email=data["email"],
            password=data["password"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            phone=data.get("phone") or None,
            channel=data["channel"],
        )
        body = {"token": registration.token, "customer_id": registration.customer.pk}
        return Response(TokenSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInThrottle]

    @extend_schema(
        summary="Sign in",
        description="Exchanges a customer's email and password for an API token.",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: BAD_INPUT},
        tags=["account"],
    )
    def post(self, request):
        data = _valid(TokenRequestSerializer, request)
        token = services.issue_token(email=data["email"], password=data["password"])
        return Response(TokenSerializer({"token": token}).data)


class MeView(APIView):
    def _profile(self, customer):
        customer = selectors.customer_profile(customer)
        return Response(ProfileSerializer(customer).data)

    @extend_schema(
        summary="My profile",
        responses={200: ProfileSerializer, 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        return self._profile(selectors.customer_for_user(request.user))

    @extend_schema(
        summary="Change my profile",
        description=(
            "Only the fields sent change. `preferred_store` must be an open shop; "
            "`preferences` replaces the stored preferences."
        ),
        request=ProfileUpdateSerializer,
        responses={200: ProfileSerializer, 400: BAD_INPUT, 404: NO_PROFILE},
        tags=["me"],
    )
    def patch(self, request):
        customer = selectors.customer_for_user(request.user)
        data = _valid(ProfileUpdateSerializer, request)
        customer = services.update_profile(
            customer=customer,
            actor=request.user,
            channel=_channel(request),
            **data,
        )
        return self._profile(customer)


class MeConsentsView(APIView):
    @extend_schema(
        summary="My marketing consents",
        responses={200: ConsentOutSerializer(many=True), 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        customer = selectors.customer_for_user(request.user)
        rows = ConsentOutSerializer.rows(selectors.consent_state(customer))
        return Response(ConsentOutSerializer(rows, many=True).data)

    @extend_schema(
        summary="Grant or withdraw consents",
        description="Channels not sent stay as they are. Every change is recorded.",
        request=ConsentUpdateSerializer,
        responses={
            200: ConsentOutSerializer(many=True),
            400: BAD_INPUT,
            404: NO_PROFILE,
        },
        tags=["me"],
    )
    def put(self, request):
        customer = selectors.customer_for_user(request.user)
        data = _valid(ConsentUpdateSerializer, request)
        services.set_consents(
            customer=customer,
            decisions={k: v for k, v in data.items() if k != "channel"},
            source_channel=data["channel"],
            actor=request.user,
        )
        rows = ConsentOutSerializer.rows(selectors.consent_state(customer))
        return Response(ConsentOutSerializer(rows, many=True).data)


class MeTimelineView(generics.ListAPIView):
    serializer_class = EventSerializer
    filter_backends: list = []

    @extend_schema(
        summary="My history",
        description=(
            "Orders, pickups, returns, wishlist changes, messages, consents and more, "
            "newest first. Staff-only notes are not listed."
        ),
        responses={200: EventSerializer(many=True), 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CustomerEvent.objects.none()
        customer = selectors.customer_for_user(self.request.user)
        return selectors.timeline_queryset(customer, for_customer=True)


class MeExportView(APIView):
    @extend_schema(
        summary="Export my personal data",
        description="Everything held about you, as JSON.",
        responses={200: OpenApiResponse(description="JSON document"), 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        customer = selectors.customer_for_user(request.user)
        response = Response(selectors.export_customer_data(customer))
        response["Content-Disposition"] = 'attachment; filename="my-data.json"'
        return response


class MeEraseView(APIView):
    @extend_schema(
        summary="Erase my personal data",
        description=(
            "Removes names, contact data, addresses and preferences, withdraws every "
            "consent and closes the login. Orders stay (anonymous) for accounting."
        ),
        request=EraseSerializer,
        responses={200: OpenApiResponse(description="Erased"), 400: BAD_INPUT},
        tags=["me"],
    )
    def post(self, request):
        customer = selectors.customer_for_user(request.user)
        _valid(EraseSerializer, request)
        services.erase_customer(
            customer=customer, actor=request.user, channel=_channel(request)
        )
        return Response({"erased": True})
