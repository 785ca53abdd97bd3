"""Signing in to the storefront with a session, for a website on the same site: the
browser keeps a session cookie instead of a token in its scripts.

``GET auth/session/`` says whether the browser is signed in and sets the CSRF
cookie; ``POST auth/session/`` signs in with the email and password, sending that
cookie's value back in the ``X-CSRFToken`` header (a page of another site cannot,
so it cannot sign a visitor in to an account of its choosing); every later write
with the session sends the header too, as Django's session authentication asks.
``POST auth/logout/`` ends the session. Tries are limited as the token's are.
"""

from django.contrib.auth import login
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.services.accounts import storefront_sign_in
from omnistore.core.api import UNAVAILABLE

from .accounts import THROTTLED, SignInClientThrottle, SignInThrottle
from .common import BAD_INPUT, validated
from .serializers import TokenRequestSerializer

# The backend a session signed in here is kept under (the password was checked).
BACKEND = "django.contrib.auth.backends.ModelBackend"


class SessionStateSerializer(serializers.Serializer):
    signed_in = serializers.BooleanField(
        help_text="Whether this browser's session is a storefront customer's."
    )


def _signed_in(request) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_storefront_customer)


class SessionView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [SessionAuthentication]

    def get_throttles(self):
        if self.request.method == "POST":
            return [SignInClientThrottle(), SignInThrottle()]
        return []

    @extend_schema(
        summary="Session state",
        description=(
            "Whether this browser is signed in to the storefront with a session; "
            "sets the `csrftoken` cookie whose value a session sign-in and every "
            "later write send back in the `X-CSRFToken` header."
        ),
        responses={200: SessionStateSerializer, 503: UNAVAILABLE},
        tags=["account"],
    )
    def get(self, request):
        get_token(request._request)  # the CSRF cookie for the sign-in to come
        return Response(SessionStateSerializer({"signed_in": _signed_in(request)}).data)

    @extend_schema(
        summary="Sign in with a session",
        description=(
            "For a website on the same site: signs the browser in with the "
            "customer's email and password and keeps a session cookie (no token). "
            "Send the `csrftoken` cookie's value (from `GET auth/session/`) in the "
            "`X-CSRFToken` header, here and in every later write; without it, 403. "
            "Tries are limited per client and email, and per client whatever the "
            "email (429). `POST auth/logout/` ends the session."
        ),
        request=TokenRequestSerializer,
        responses={
            200: SessionStateSerializer,
            400: BAD_INPUT,
            403: OpenApiResponse(description="No or a wrong `X-CSRFToken` header."),
            429: THROTTLED,
            503: UNAVAILABLE,
        },
        tags=["account"],
    )
    def post(self, request):
        try:
            SessionAuthentication().enforce_csrf(request)
        except PermissionDenied:
            raise PermissionDenied(
                "Send the csrftoken cookie's value in the X-CSRFToken header "
                "(GET auth/session/ sets the cookie)."
            ) from None
        data = validated(TokenRequestSerializer, request)
        user = storefront_sign_in(email=data["email"], password=data["password"])
        login(request._request, user, backend=BACKEND)
        return Response(SessionStateSerializer({"signed_in": True}).data)
