"""Storefront accounts: sign-up, sign-in for an API token, sign-out, the password
change, and the proofs (an emailed or texted code, a receipt's claim code) that make
a known profile the login's."""

import hashlib

from django.contrib.auth import logout, update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.normalize import normalize_email
from customers.selectors.profiles import customer_profile
from customers.services.accounts import (
    change_password,
    issue_token,
    register_customer,
    revoke_token,
)
from customers.services.verification import (
    claim_with_receipt,
    confirm_code,
    request_code,
)
from omnistore.core.api import UNAVAILABLE, ErrorSerializer
from omnistore.core.throttling import GuardThrottle, ThrottledPosts

from .common import BAD_INPUT, request_channel, validated
from .serializers import (
    PasswordChangeSerializer,
    ProfileSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


class SignInThrottle(GuardThrottle):
    """Password guessing is slowed per address and client, even when the general
    anonymous rate is generous."""

    scope = "sign_in"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}  # [] is JSON too
        typed = str(data.get("email", ""))[:1000]
        # the mailbox the sign-in is judged against: another spelling of it (full-width
        # letters, a zero-width space, upper case) counts against the same limit
        email = normalize_email(typed) or typed.strip().lower()[:254]
        # the address as a digest: a short key of safe characters, and no personal
        # data in the shared cache
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        ident = f"{self.get_ident(request)}:{digest}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SentCodeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="email or phone")
    sent_to = serializers.CharField(help_text="The address, partly hidden.")
    expires_at = serializers.DateTimeField()


class RegistrationSerializer(TokenSerializer):
    verifications = SentCodeSerializer(
        many=True, help_text="Codes sent to prove the email and phone."
    )


class VerifyRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class VerifyConfirmSerializer(VerifyRequestSerializer):
    code = serializers.CharField(max_length=12, help_text="The six digits sent.")


class ClaimSerializer(serializers.Serializer):
    order_number = serializers.CharField(max_length=20)
    claim_code = serializers.CharField(
        max_length=20, help_text="Printed on the receipt, e.g. K7Q2M-9XMDA."
    )


class VerificationThrottle(GuardThrottle):
    """Code requests and tries per login (and client), on top of the limits the
    service keeps in the database per login and per address."""

    scope = "verification"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else "anon"
        ident = f"{ident}:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PasswordChangeThrottle(GuardThrottle):
    """Current passwords tried per login: a stolen token does not buy unlimited
    guesses at the password behind it."""

    scope = "password_change"


LIMITED = OpenApiResponse(ErrorSerializer, description="Too many codes or tries.")
SIGNED_OUT = OpenApiResponse(
    ErrorSerializer, description="No valid token (never issued, revoked or expired)."
)
REFUSED_STAFF = OpenApiResponse(
    ErrorSerializer, description="Staff login (`staff_login`): no storefront account."
)
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "Staff login (`staff_login`, 404), or the proven profile already has "
        "another login or was erased (409)."
    ),
)


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInThrottle]

    @extend_schema(
        summary="Sign up",
        description=(
            "Creates a login with a customer profile of its own and sends a code to "
            "the email (and the phone, by SMS). A profile already known by this "
            "email or phone (a guest order, a purchase in a shop) becomes the "
            "login's only once the code is confirmed (`/me/verify/confirm/`) or a "
            "receipt is claimed (`/me/claim/`); until then the login sees only "
            "what it does itself. Returns an API token."
        ),
        request=RegisterSerializer,
        responses={201: RegistrationSerializer, 400: BAD_INPUT, 503: UNAVAILABLE},
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
        body = {
            "token": registration.token,
            "customer_id": registration.customer.pk,
            "verifications": registration.verifications,
        }
        return Response(
            RegistrationSerializer(body).data, status=status.HTTP_201_CREATED
        )


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInThrottle]

    @extend_schema(
        summary="Sign in",
        description="Exchanges a customer's email and password for an API token.",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: BAD_INPUT, 503: UNAVAILABLE},
        tags=["account"],
    )
    def post(self, request):
        data = validated(TokenRequestSerializer, request)
        token = issue_token(email=data["email"], password=data["password"])
        return Response(TokenSerializer({"token": token}).data)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Sign out",
        description=(
            "Revokes the token sent with this request: from now on it is refused "
            "(401), on every device signed in with it. Signing in again issues a "
            "new one. A website session is ended instead."
        ),
        request=None,
        responses={204: None, 401: SIGNED_OUT, 503: UNAVAILABLE},
        tags=["account"],
    )
    def post(self, request):
        if isinstance(request.auth, Token):
            revoke_token(token=request.auth)
        else:  # signed in by the website's session
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(ThrottledPosts, APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PasswordChangeThrottle]

    @extend_schema(
        summary="Change my password",
        description=(
            "Takes the current password and a new one (checked like at sign-up). "
            "Every token of the login is revoked, signing out every device, and a "
            "new token is returned for this one. A wrong current password is a 400 "
            "on `current_password`; tries are limited per login (429)."
        ),
        request=PasswordChangeSerializer,
        responses={
            200: TokenSerializer,
            400: BAD_INPUT,
            401: SIGNED_OUT,
            404: REFUSED_STAFF,
            429: LIMITED,
            503: UNAVAILABLE,
        },
        tags=["account"],
    )
    def post(self, request):
        data = validated(PasswordChangeSerializer, request)
        token = change_password(
            user=request.user,
            current_password=data["current_password"],
            new_password=data["new_password"],
            channel=request_channel(request),
        )
        if request.auth is None:  # a session: it stays valid under the new password
            update_session_auth_hash(request._request, request.user)
        return Response(TokenSerializer({"token": token}).data)


class VerifyRequestView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [VerificationThrottle]

    @extend_schema(
        summary="Send me a code",
        description=(
            "Sends a six-digit code to the email or (by SMS) the phone given, to "
            "prove it is yours. Valid 15 minutes; a new code replaces the older one. "
            "At most 5 codes an hour per login and 3 per address."
        ),
        request=VerifyRequestSerializer,
        responses={
            202: SentCodeSerializer,
            400: BAD_INPUT,
            404: REFUSED,
            429: LIMITED,
            503: UNAVAILABLE,
        },
        tags=["account"],
    )
    def post(self, request):
        data = validated(VerifyRequestSerializer, request)
        sent = request_code(
            user=request.user,
            email=data.get("email"),
            phone=data.get("phone"),
            channel=request_channel(request),
        )
        return Response(SentCodeSerializer(sent).data, status=status.HTTP_202_ACCEPTED)


class VerifyConfirmView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [VerificationThrottle]

    @extend_schema(
        summary="Confirm a code",
        description=(
            "Proves the email or phone: it is added to your profile, and a profile "
            "already known by it (a guest order, a purchase in a shop) is merged "
            "into one with yours, its history kept. Five wrong tries burn the code."
        ),
        request=VerifyConfirmSerializer,
        responses={
            200: ProfileSerializer,
            400: BAD_INPUT,
            404: REFUSED,
            409: REFUSED,
            429: LIMITED,
            503: UNAVAILABLE,
        },
        tags=["account"],
    )
    def post(self, request):
        data = validated(VerifyConfirmSerializer, request)
        customer = confirm_code(
            user=request.user,
            code=data["code"],
            email=data.get("email"),
            phone=data.get("phone"),
            channel=request_channel(request),
        )
        return Response(ProfileSerializer(customer_profile(customer)).data)


class ClaimView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [VerificationThrottle]

    @extend_schema(
        summary="Claim my shop profile with a receipt",
        description=(
            "The order number and the claim code printed on the receipt (or its "
            "email) of the purchase that made the profile prove it is yours: that "
            "profile and yours become one, its history kept. A wrong number and a "
            "wrong code are refused alike; 5 wrong claims an hour per login and per "
            "order number. The receipt of any other order (one matched to a profile "
            "already there, or a later one) is refused (409 `not_first_order`)."
        ),
        request=ClaimSerializer,
        responses={
            200: ProfileSerializer,
            400: BAD_INPUT,
            404: REFUSED,
            409: REFUSED,
            429: LIMITED,
            503: UNAVAILABLE,
        },
        tags=["account"],
    )
    def post(self, request):
        data = validated(ClaimSerializer, request)
        customer = claim_with_receipt(
            user=request.user,
            order_number=data["order_number"],
            claim_code=data["claim_code"],
            channel=request_channel(request),
        )
        return Response(ProfileSerializer(customer_profile(customer)).data)
