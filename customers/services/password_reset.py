"""A storefront login's password set anew through a link mailed to its email: the
way back for whoever forgot it, and for the owner of an address someone else signed
up with (the link reaches the mailbox, not the one who typed the address).

``request_password_reset`` answers alike whether or not a login has the email, so
it tells nobody who has an account; when a storefront login has it, the link leaves
through the outbox (``deliver_password_reset``), made as it is sent.
Its token is Django's (``default_token_generator``): bound to the login's password,
email and last sign-in, it works once (the new password ends it) and for
``PASSWORD_RESET_TIMEOUT``. ``reset_password`` checks it with the login's row
locked, so two uses at once set one password. Staff logins are never reset here:
they use the staff pages.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode

from customers.normalize import normalize_email
from customers.services.account_emails import send_account_email
from customers.services.accounts import (
    check_new_password,
    sign_out_everywhere,
    storefront_logins,
)
from customers.services.timeline import record_event
from customers.services.verification import prove_own_email
from omnistore.core import outbox
from omnistore.core.channels import Channel
from omnistore.core.db import LARGEST_KEY
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ValidationFailed

RESET_TOPIC = "customers.password_reset"
# The page a reset link opens (``customers.views.password_reset``): it takes the
# link's uid and token and a new password, as /api/v1/auth/password-reset/confirm/.
RESET_URL_NAME = "account-password-reset"


@outbox.handler(RESET_TOPIC)
def deliver_password_reset(payload: dict) -> None:
    """Mail a storefront login its one-time reset link (``password_reset``), made as
    it leaves: the outbox row holds the login's id only, nothing secret. A login
    closed, or turned staff, since gets nothing."""
    user = get_user_model().objects.filter(pk=payload["user_id"]).first()
    if user is None or not (user.is_active and user.is_storefront_customer):
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    query = urlencode({"uid": uid, "token": default_token_generator.make_token(user)})
    reset_path = reverse(RESET_URL_NAME)
    context = {
        "first_name": user.first_name,
        "url": f"{settings.OMNISTORE_SITE_URL.rstrip('/')}{reset_path}?{query}",
        "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
    }
    subject = "Reset your Omnistore password"
    send_account_email(user.pk, user.email, subject, "password_reset", context)


EVENT_PASSWORD_RESET = "password_reset"
INVALID_LINK = "This reset link is not valid, used or expired; ask for a new one."


@transaction.atomic
def request_password_reset(*, email) -> None:
    """A reset link mailed to ``email`` when a storefront login has it; nothing
    otherwise, and nothing said either way."""
    address = normalize_email(email)
    if address is None:
        message = "Enter a valid email address."
        raise ValidationFailed(message, extra={"email": [message]})
    user = storefront_logins().filter(email__iexact=address).order_by("pk").first()
    if user is not None:
        outbox.enqueue(RESET_TOPIC, {"user_id": user.pk})


@transaction.atomic
def reset_password(*, uid, token, new_password, channel: str = Channel.WEB) -> str:
    """The new password of the login a reset link was mailed to (checked like at
    sign-up). Every token of the login is revoked and a new one returned; the email
    is proven (the link reached it), so a profile known by it becomes the login's as
    a confirmed code makes it. Recorded on the timeline, without the password."""
    user = _login_of_link(uid, token)
    check_new_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoked, key = sign_out_everywhere(user)
    customer = prove_own_email(user=user, channel=channel)
    record_event(
        customer=customer,
        kind=EVENT_PASSWORD_RESET,
        summary=(
            "Password reset with a link mailed to the login's email (now proven); "
            "every device signed out."
        ),
        actor=user,
        channel=channel,
        data={"tokens_revoked": revoked},
    )
    return key


def _login_of_link(uid, token):
    """The storefront login a reset link is for, its row locked; a link that is
    wrong, used or expired is refused alike (400 on ``token``)."""
    refused = ValidationFailed(
        INVALID_LINK, code="invalid_reset_link", extra={"token": [INVALID_LINK]}
    )
    try:
        pk = urlsafe_base64_decode(str(uid or "")).decode()
    except ValueError:  # not base64, or not text
        raise refused from None
    if not is_digits(pk) or int(pk) > LARGEST_KEY:
        raise refused
    user = storefront_logins().select_for_update().filter(pk=int(pk)).first()
    if user is None or not default_token_generator.check_token(user, str(token)):
        raise refused
    return user


def reset_link_works(*, uid, token) -> bool:
    """Whether a reset link would be taken now (the login's row read locked, as the
    reset reads it), without using it."""
    try:
        with transaction.atomic():
            _login_of_link(uid, token)
    except ValidationFailed:
        return False
    return True
