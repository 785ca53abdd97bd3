"""API rate limits, and the limits on passwords tried that the staff and admin pages
share with the API: per client at the sign-ins, per login at the password change.
Kept apart from the views: DRF imports the throttle classes named in the settings
while its views module loads."""

import math

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .cache import require_cache
from .clientip import client_ip


class SettingsRateThrottle(SimpleRateThrottle):
    """A scope's rate as the settings say it when the request comes
    (``DEFAULT_THROTTLE_RATES``, each rate from its environment variable in
    ``omnistore/settings/base.py``, the one home of the defaults); a scope the current
    settings leave out keeps the rate the process started with."""

    def get_rate(self):
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope) or super().get_rate()

    def get_cache_key(self, request, view):
        """Counted per caller: a signed-in user by id, anyone else by the address
        ``client_ip`` vouches for, never a header the caller wrote."""
        user = request.user
        ident = user.pk if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request):
        return client_ip(request)


class CallerRateThrottle(SettingsRateThrottle):
    """One rate per caller: a signed-in user by id at the ``user`` rate, anyone else by
    address at the ``anon`` rate. One cache read and write per request (DRF's anon
    and user throttles together made two for every anonymous request). The address is
    the one ``client_ip`` vouches for, never a header the caller wrote."""

    scope = "anon"

    def allow_request(self, request, view):
        if request.user and request.user.is_authenticated:
            self.scope = "user"
            self.rate = self.get_rate()
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class GuardThrottle(SettingsRateThrottle):
    """A limit on guesses (passwords, codes, PINs): when the shared cache cannot count
    this request, it is refused with a 503 rather than let through uncounted."""

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        require_cache()
        return allowed


class ClientThrottle(GuardThrottle):
    """Counted per client address alone, whatever email or username each request
    names: a fresh one buys no fresh count, so one client cannot try a password on
    many accounts, nor list which emails have one."""

    def get_cache_key(self, request, view):
        ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SignInClientThrottle(ClientThrottle):
    """Passwords tried per client, wherever: the storefront's sign-ins and password
    resets set, and the staff and admin logins (``omnistore.accounts.sign_in``), in
    one count."""

    scope = "sign_in_client"


class PasswordChangeThrottle(GuardThrottle):
    """Current passwords tried per login, wherever: the storefront API's password
    change, and the staff pages' and the admin's *Change password*
    (``omnistore.accounts.forms``), in one count: a stolen token or a device left
    signed in does not buy unlimited guesses at the password behind it."""

    scope = "password_change"


TOO_MANY_FROM_HERE = "Too many tries from this address."


def retry_in(
    throttle: SimpleRateThrottle, too_many: str = TOO_MANY_FROM_HERE
) -> tuple[int, str]:
    """When a client a throttle refused may try again, for a page to say: the
    seconds (``Retry-After``), whole minutes and at least one, and the sentence
    (``too_many``, then when)."""
    minutes = max(1, math.ceil((throttle.wait() or 60) / 60))
    when = f"{minutes} minute{'s' if minutes > 1 else ''}"
    return minutes * 60, f"{too_many} Try again in {when}."


class ThrottledPosts:
    """For a view whose ``throttle_classes`` limit what its POST does (sign-ins,
    messages, shares): they count POSTs only; any other method, a read or one the
    view refuses with a 405, takes the API's usual limit instead of using up the
    POST's quota."""

    def get_throttles(self):
        if self.request.method == "POST":
            return super().get_throttles()
        return [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES]
