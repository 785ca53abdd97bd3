"""Storefront accounts: sign-up, the API token (issued, revoked, replaced when it
ages) and the password change (the reset by email: ``password_reset``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from customers.models import Customer
from customers.normalize import normalize_email, normalize_phone
from customers.services.code_limits import TooManyAttempts
from customers.services.logins import profile_for_login
from customers.services.timeline import record_event
from customers.services.verification import SentCode, masked, request_code
from omnistore.accounts.models import Role
from omnistore.accounts.services import sign_out_everywhere
from omnistore.core.authentication import token_expired
from omnistore.core.channels import Channel, is_online
from omnistore.core.exceptions import ValidationFailed

EVENT_PASSWORD_CHANGED = "password_changed"

# --- Storefront accounts ------------------------------------------------------------


@dataclass(frozen=True)
class CodeNotSent:
    """A sign-up's code that did not leave (a limit on the address): the client can
    say so and when to ask again (``/me/verify/``)."""

    kind: str
    sent_to: str
    retry_at: Any
    message: str
    sent: bool = False
    expires_at: None = None


@dataclass(frozen=True)
class Registration:
    user: Any
    customer: Customer
    token: str
    verifications: tuple[SentCode | CodeNotSent, ...] = ()


def _clean_sign_up(channel: str, email, phone) -> tuple[str, str | None]:
    """The normalised email and phone, or field errors before anything is written."""
    if not is_online(channel):
        raise ValidationFailed(
            "Sign-up comes from the website or the app.",
            extra={"channel": ["Must be web or app."]},
        )
    address = normalize_email(email)
    if address is None:
        raise ValidationFailed(
            "Enter a valid email address.",
            extra={"email": ["Enter a valid email address."]},
        )
    number = None
    if phone not in (None, ""):
        number = normalize_phone(phone)
        if number is None:
            raise ValidationFailed(
                "Enter a valid phone number.",
                extra={"phone": ["Enter a valid phone number."]},
            )
    return address, number


def _send_codes(user, channel: str, **targets) -> tuple[SentCode | CodeNotSent, ...]:
    """A code to each address given; one over its limit does not stop the sign-up,
    and the answer says it was not sent, why and when to ask again."""
    outcomes: list[SentCode | CodeNotSent] = []
    for name, value in targets.items():
        if not value:
            continue
        try:
            outcomes.append(request_code(user=user, channel=channel, **{name: value}))
        except TooManyAttempts as refusal:
            outcomes.append(
                CodeNotSent(
                    kind=name,
                    sent_to=masked(name, value),
                    retry_at=refusal.retry_at,
                    message=refusal.message,
                )
            )
    return tuple(outcomes)


@transaction.atomic
def register_customer(
    *,
    email,
    password: str,
    first_name: str = "",
    last_name: str = "",
    phone=None,
    channel: str = Channel.WEB,
) -> Registration:
    """A storefront login with a profile of its own, and a code sent to its email
    (and phone). A profile already known by them (a guest order, a shop sale)
    becomes the login's only once the code is confirmed: typing an address proves
    nothing, so until then the login sees only what it does itself."""
    address, number = _clean_sign_up(channel, email, phone)
    user_model = get_user_model()
    taken = user_model.objects.filter(
        Q(email__iexact=address) | Q(username__iexact=address)
    ).exists()
    if taken:
        raise ValidationFailed(
            "An account with this email already exists.",
            extra={"email": ["An account with this email already exists."]},
            code="email_taken",
        )
    user = user_model(
        username=address,
        email=address,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
        role=Role.CUSTOMER,
    )
    check_new_password(password, user=user, field="password")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(
            "An account with this email already exists.",
            extra={"email": ["An account with this email already exists."]},
            code="email_taken",
        ) from None
    customer = profile_for_login(user=user, channel=channel)
    # Contact data, like the email: until proven with its code it matches nobody and
    # no campaign writes to it (it may be someone else's).
    if number:
        customer.phone = number
        customer.save(update_fields=["phone", "updated_at"])
    token, _ = Token.objects.get_or_create(user=user)
    sent = _send_codes(user, channel, email=address, phone=number)
    return Registration(
        user=user, customer=customer, token=token.key, verifications=sent
    )


def check_new_password(password, *, user, field: str) -> None:
    """Django's password validators, their messages at ``field``."""
    try:
        validate_password(password or "", user=user)
    except DjangoValidationError as error:
        raise ValidationFailed(
            "Choose a stronger password.", extra={field: list(error.messages)}
        ) from None


def storefront_logins():
    """The logins that sign in to the storefront: active customers, never staff nor
    the platform's admin (whose role stays "customer"), who use the staff pages."""
    return get_user_model().objects.filter(
        role=Role.CUSTOMER, is_active=True, is_superuser=False, is_staff=False
    )


def issue_token(*, email, password: str) -> str:
    """The API token of a storefront customer; staff sign in to the staff UI instead."""
    user = storefront_sign_in(email=email, password=password)
    token = current_token(user=user, checked=user.password)
    if token is None:  # the password changed while it was checked
        raise _wrong_email_or_password()
    return token


def _wrong_email_or_password() -> ValidationFailed:
    return ValidationFailed(
        "Wrong email or password.",
        code="invalid_credentials",
        extra={"non_field_errors": ["Wrong email or password."]},
    )


def storefront_sign_in(*, email, password: str):
    """The storefront login of ``email`` whose password is ``password``; the same
    refusal, taking the same time, whether the email is unknown or the password
    wrong. Staff sign in to the staff UI instead."""
    refused = _wrong_email_or_password()
    address = normalize_email(email)
    if address is None or not password:
        raise refused
    user = (
        storefront_logins()
        .filter(Q(username__iexact=address) | Q(email__iexact=address))
        .order_by("pk")
        .first()
    )
    if user is None:
        make_password(password)  # the same time spent whether or not the user exists
        raise refused
    if not user.check_password(password):
        raise refused
    return user


@transaction.atomic
def current_token(*, user, checked: str | None = None) -> str | None:
    """The login's token while it has a day of its maximum age left, else a new one.
    The login's row is locked first, so two sign-ins at once replacing an aged token
    end with one token both get (DRF keeps one per login). ``checked`` is the
    password hash a sign-in just checked: changed by the time the lock is held (a
    password change committed meanwhile, which signed every device out), no token
    is given (None)."""
    locked = get_user_model().objects.select_for_update().filter(pk=user.pk)
    if checked is not None and locked.values_list("password", flat=True).first() != (
        checked
    ):
        return None
    token = Token.objects.filter(user=user).first()
    soon = timezone.now() + timedelta(days=1)
    if token is not None and token_expired(token, now=soon):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
    return token.key


def revoke_token(*, token) -> None:
    """Signs out the token's holder: the token stops working at once (401). DRF
    keeps one token per login, so every device signed in with it is signed out."""
    Token.objects.filter(pk=token.pk).delete()


@transaction.atomic
def change_password(
    *, user, current_password: str, new_password: str, channel: str = Channel.WEB
) -> str:
    """A storefront login's new password, proven by the current one. Every token of
    the login is deleted (every device signed out: the change may be answering a
    leak) and a new one returned for the device asking. Staff logins change theirs
    in the staff pages (404 ``staff_login``)."""
    customer = profile_for_login(user=user, channel=channel)
    # one change at a time per login, judged against the password stored now;
    # ``user`` itself is changed, so the caller's object holds the new one too
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    user.refresh_from_db(fields=["password"])
    if not current_password or not user.check_password(current_password):
        raise ValidationFailed(
            "The current password is wrong.",
            code="wrong_password",
            extra={"current_password": ["The current password is wrong."]},
        )
    if new_password == current_password:
        raise ValidationFailed(
            "Choose a new password.",
            extra={"new_password": ["Choose a password other than the current one."]},
        )
    check_new_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoked, token = sign_out_everywhere(user)
    record_event(
        customer=customer,
        kind=EVENT_PASSWORD_CHANGED,
        summary="Password changed; every device signed out.",
        actor=user,
        channel=channel,
        data={"tokens_revoked": revoked},
    )
    return token
