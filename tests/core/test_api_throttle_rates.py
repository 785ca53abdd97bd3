"""Every API rate limit has its default in the settings and can be set from the
environment."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from omnistore.core.throttling import CallerRateThrottle, SettingsRateThrottle
from tests.core.production import production_json

SHOW = (
    "from django.conf import settings as s; import json; "
    "print(json.dumps(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
)


def rates_with(**env) -> dict:
    return production_json(SHOW, **env)


def api_throttles() -> set[type]:
    """The throttle classes of every view under /api/v1/."""
    found: set[type] = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                found.update(getattr(view, "throttle_classes", ()))

    walk(get_resolver().url_patterns)
    return found


def test_every_scope_has_its_rate_in_the_settings():
    scoped = {
        throttle.scope
        for throttle in api_throttles()
        if issubclass(throttle, SettingsRateThrottle)
        and throttle is not CallerRateThrottle
    }
    assert {
        "sign_in",
        "sign_in_client",
        "sign_up_client",
        "password_reset",
        "verification",
        "customer_message",
        "wishlist_share",
    } <= scoped
    assert scoped <= set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])


def test_the_rates_come_from_the_environment():
    defaults = rates_with()
    assert {
        scope: defaults[scope]
        for scope in ("sign_in", "verification", "customer_message", "wishlist_share")
    } == {
        "sign_in": "20/minute",
        "verification": "20/minute",
        "customer_message": "20/hour",
        "wishlist_share": "30/hour",
    }
    found = rates_with(
        THROTTLE_SIGN_IN="5/minute",
        THROTTLE_VERIFICATION="7/minute",
        THROTTLE_CUSTOMER_MESSAGE="3/hour",
        THROTTLE_WISHLIST_SHARE="4/hour",
        THROTTLE_ANON="100/second",
    )
    assert (
        found["sign_in"],
        found["verification"],
        found["customer_message"],
        found["wishlist_share"],
        found["anon"],
    ) == ("5/minute", "7/minute", "3/hour", "4/hour", "100/second")


def test_the_account_limits_per_client_and_per_email_come_from_the_environment():
    scopes = ("sign_in_client", "sign_up_client", "password_reset")
    defaults = rates_with()
    assert [defaults[scope] for scope in scopes] == ["30/minute", "30/hour", "5/hour"]
    found = rates_with(
        THROTTLE_SIGN_IN_CLIENT="60/minute",
        THROTTLE_SIGN_UP_CLIENT="100/hour",
        THROTTLE_PASSWORD_RESET="3/hour",
    )
    assert [found[scope] for scope in scopes] == ["60/minute", "100/hour", "3/hour"]
