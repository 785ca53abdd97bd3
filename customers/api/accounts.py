"""Storefront accounts: sign-up and sign-in for an API token."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from customers.services.accounts import issue_token, register_customer

from .common import BAD_INPUT, validated
from .serializers import (
    ErrorSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenSerializer,
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
        data = validated(RegisterSerializer, request)
        registration = register_customer(
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
        data = validated(TokenRequestSerializer, request)
        token = issue_token(email=data["email"], password=data["password"])
        return Response(TokenSerializer({"token": token}).data)
