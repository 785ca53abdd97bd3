"""Storefront accounts: sign-up, sign-in for an API token, sign-out, the password
change and its reset by email, and the proofs (an emailed or texted code, a
receipt's claim code) that make a known profile the login's."""

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
from customers.services.password_reset import request_password_reset, reset_password
from customers.services.verification import (
    claim_with_receipt,
    confirm_code,
    request_code,
)
from omnistore.core.api import UNAVAILABLE, ErrorSerializer
from omnistore.core.throttling import (
    ClientThrottle,
    GuardThrottle,
    PasswordChangeThrottle,
    SignInClientThrottle,
    ThrottledPosts,
)

from .common import BAD_INPUT, CLIENT_CHANNEL, request_channel, validated
from .serializers import (
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ProfileSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


def _email_digest(request) -> str:
    """The mailbox a request names, as a digest: another spelling of it (full-width
    letters, a zero-width space, upper case) counts as the same, and the shared
    cache holds a short key of safe characters and no personal data."""
    data = request.data if isinstance(request.data, dict) else {}  # [] is JSON too
    typed = str(data.get("email", ""))[:1000]
    email = normalize_email(typed) or typed.strip().lower()[:254]
    return hashlib.sha256(email.encode()).hexdigest()[:32]


class SignInThrottle(GuardThrottle):
    """Password guessing is slowed per address and client, even when the general
    anonymous rate is generous."""

    scope = "sign_in"

    def get_cache_key(self, request, view):
        ident = f"{self.get_ident(request)}:{_email_digest(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SignUpClientThrottle(ClientThrottle):
    """Sign-ups and password reset links asked for, per client: each may send a
    message and tell whether an email has an account."""

    scope = "sign_up_client"


class PasswordResetThrottle(GuardThrottle):
    """Reset links asked for one email, whoever asks from wherever: nobody can fill
    a stranger's mailbox with them."""

    scope = "password_reset"

    def get_cache_key(self, request, view):
        ident = _email_digest(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SentCodeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="email or phone")
    sent_to = serializers.CharField(help_text="The address, partly hidden.")
    expires_at = serializers.DateTimeField()


class SignUpCodeSerializer(SentCodeSerializer):
    sent = serializers.BooleanField(
        help_text="False when a limit on the address kept the code from leaving."
    )
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the code sent stops working; null if unsent."
    )
    retry_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Unsent: from when a code can be asked for (`POST /me/verify/`).",
    )
    message = serializers.CharField(
        allow_blank=True, help_text="Unsent: why, in words to show; empty if sent."
    )


class RegistrationSerializer(TokenSerializer):
    verifications = SignUpCodeSerializer(
        many=True,
        help_text=(
            "A code per email and phone given, to prove them: each says whether it "
            "was sent, else why not and when to ask again."
        ),
    )


class PasswordResetAcceptedSerializer(serializers.Serializer):
    message = serializers.CharField()


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


LIMITED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "Too many codes or tries; when to try again in `extra`: `wait` seconds, "
        "and `retry_at` for the hour's limits (`too_many_attempts`); the header "
        "`Retry-After` gives the seconds too."
    ),
)
THROTTLED = OpenApiResponse(
    ErrorSerializer,
    description="Too many tries from this client or for this email (`wait` seconds).",
)
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
    throttle_classes = [SignUpClientThrottle, SignInThrottle]

    @extend_schema(
        summary="Sign up",
        description=(
            "Creates a login with a customer profile of its own and sends a code to "
            "the email (and the phone, by SMS). A profile already known by this "
            "email or phone (a guest order, a purchase in a shop) becomes the "
            "login's only once the code is confirmed (`/me/verify/confirm/`) or a "
            "receipt is claimed (`/me/claim/`); until then the login sees only "
            "what it does itself. Returns an API token, and per code whether it "
            "was sent: one a limit on the address held back (`sent: false`) says "
            "why and from when to ask for one (`retry_at`). Sign-ups are limited "
            "per client (429)."
        ),
        request=RegisterSerializer,
        parameters=[CLIENT_CHANNEL],
        responses={
            201: RegistrationSerializer,
            400: BAD_INPUT,
            429: THROTTLED,
            503: UNAVAILABLE,
        },
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
            channel=data.get("channel") or request_channel(request),
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
    throttle_classes = [SignInClientThrottle, SignInThrottle]

    @extend_schema(
        summary="Sign in",
        description=(
            "Exchanges a customer's email and password for an API token. Tries are "
            "limited per client and email, and per client whatever the email (429)."
        ),
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: BAD_INPUT,
            429: THROTTLED,
            503: UNAVAILABLE,
        },
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
            "At most 5 codes an hour per login, 3 per login and address, and 10 per "
            "address whoever asks (the login whose own email it is may always have "
            "its 3); a refusal says when to ask again."
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
            "into one with yours, its history kept. Five wrong tries burn the code: "
            "it is refused then (400 `code_burned` on `code`), ask for a new one."
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


RESET_SENT = (
    "If a customer account has this email, a link to choose a new password is on "
    "its way to it."
)


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignUpClientThrottle, PasswordResetThrottle]

    @extend_schema(
        summary="Forgot my password",
        description=(
            "Mails a link to choose a new password to the email, when a customer "
            "account has it. The answer is the same (202) whether or not one has, "
            "so it tells nobody who has an account. Limited per client and per "
            "email (429); the link works once, for 3 days. Staff logins are not "
            "reset here."
        ),
        request=PasswordResetRequestSerializer,
        responses={
            202: PasswordResetAcceptedSerializer,
            400: BAD_INPUT,
            429: THROTTLED,
            503: UNAVAILABLE,
        },
        tags=["account"],
    )
    def post(self, request):
        data = validated(PasswordResetRequestSerializer, request)
        request_password_reset(email=data["email"])
        body = PasswordResetAcceptedSerializer({"message": RESET_SENT}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInClientThrottle]

    @extend_schema(
        summary="Choose a new password",
        description=(
            "Takes the `uid` and `token` of the link mailed by `password-reset/` and "
            "a new password (checked like at sign-up). Every token of the login is "
            "revoked, signing out every device; the email is proven (a profile "
            "known by it becomes yours, as with a confirmed code), and a new token "
            "is returned. A wrong, used or expired link is a 400 on `token` "
            "(`invalid_reset_link`)."
        ),
        request=PasswordResetConfirmSerializer,
        responses={
            200: TokenSerializer,
            400: BAD_INPUT,
            429: THROTTLED,
            503: UNAVAILABLE,
        },
        tags=["account"],
    )
    def post(self, request):
        data = validated(PasswordResetConfirmSerializer, request)
        token = reset_password(
            uid=data["uid"],
            token=data["token"],
            new_password=data["new_password"],
            channel=request_channel(request),
        )
        return Response(TokenSerializer({"token": token}).data)
