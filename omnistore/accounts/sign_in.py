"""The rules every sign-in page with a password follows (the staff login, the admin's).

Passwords tried from one client address are counted whatever the username, in the
count the storefront API's sign-ins and password resets use
(``SignInClientThrottle``): past its rate (``THROTTLE_SIGN_IN_CLIENT``) a try is
refused before any password is checked, with status 429 and when to try again. The
lockout of one username from one address (django-axes, kept in the database) still
applies within it, and alone while the shared cache is down: a shop's staff can still
sign in to sell during a Redis outage.

A login that may not sign in on the page (a customer at the staff login, an associate
at the admin's) is refused exactly as a wrong password is: the same words, and a
failed sign-in in the lockout's count. Neither the answer nor a lockout coming later
tells that its password was right. A wrong current password at *Change password*
counts in the lockout too (``count_failed_sign_in``), and a locked login's current
password is not tried there (``sign_in_locked_out``): a device left signed in is no
way round it.
"""

from __future__ import annotations

import logging
from functools import wraps

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError

from omnistore.core.exceptions import ServiceUnavailable
from omnistore.core.throttling import SignInClientThrottle, retry_in

TOO_MANY_TRIES = "too_many_tries"
LOCKED_OUT = "locked_out"
LOCKED = (
    "Too many failed sign-ins: this username is locked from your address for "
    "{minutes} minutes. HQ can unlock it sooner."
)
logger = logging.getLogger(__name__)


class LimitedSignInForm:
    """Over Django's ``AuthenticationForm``: ``may_sign_in_here(user)`` says whose
    login the page takes. ``refused`` is the (status, seconds to wait) of a try
    refused by the count, for ``limited_password_tries`` to answer with."""

    refused: tuple[int, int] | None = None

    def may_sign_in_here(self, user) -> bool:
        raise NotImplementedError

    def clean(self):
        self._count_this_try()
        return super().clean()

    def confirm_login_allowed(self, user):
        if not self.may_sign_in_here(user):
            count_failed_sign_in(self.request, self.cleaned_data.get("username"))
            raise self.get_invalid_login_error()
        super().confirm_login_allowed(user)

    def _count_this_try(self) -> None:
        """Every try counts, right or wrong (counting only failures would let the
        count tell a right password); a form used without a request (a shell) has
        no address to count."""
        if self.request is None:
            return
        throttle = SignInClientThrottle()
        try:
            if throttle.allow_request(self.request, None):
                return
        except ServiceUnavailable:
            logger.warning("sign-in not counted per address: the shared cache is down")
            return
        seconds, message = retry_in(throttle)
        self.refused = (429, seconds)
        raise ValidationError(message, code=TOO_MANY_TRIES)


def count_failed_sign_in(request, username) -> None:
    """A password refused outside ``authenticate`` (a login the page does not
    take, a wrong current password at *Change password*) counts in the lockout of
    ``username`` from the request's address as a failed sign-in does: django-axes
    counts ``user_login_failed``. Without a request (a shell) there is no address
    to count."""
    if request is None:
        return
    user_login_failed.send(
        sender=__name__, credentials={"username": username}, request=request
    )


def sign_in_locked_out(request, username) -> bool:
    """Whether the lockout refuses ``username`` from the request's address, by the
    check the sign-in pages make before a password is tried (django-axes'
    ``is_allowed``, as ``LoginLockoutBackend``): a page taking a password outside
    ``authenticate`` asks it first. Without a request (a shell) there is no address
    to refuse, and with the lockout turned off (``AXES_ENABLED``) nothing is."""
    if request is None or not settings.AXES_ENABLED:
        return False
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def lockout_seconds(request) -> int:
    """How long a locked login waits: ``AXES_COOLOFF_TIME`` at most, counted from
    its last failure."""
    cool_off = get_cool_off(request)
    return round(cool_off.total_seconds()) if cool_off else 0


def lockout_message(request) -> str:
    return LOCKED.format(minutes=round(lockout_seconds(request) / 60))


def limited_password_tries(view):
    """A view whose form refused the try before any password was checked (a
    ``LimitedSignInForm`` at a login, ``OwnPasswordChangeForm`` at a *Change
    password*): its page, with the reason on the form, answers with the form's
    ``refused`` status (429, or 503 for a count that cannot be kept) and
    ``Retry-After``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        refused = getattr(form, "refused", None)
        if refused is not None:
            response.status_code, seconds = refused
            response["Retry-After"] = str(seconds)
        return response

    return wrapper
