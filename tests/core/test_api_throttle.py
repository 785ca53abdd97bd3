"""API rates: one count per caller, by account when signed in, else by address."""

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from omnistore.core.throttling import CallerRateThrottle
from tests.factories import UserFactory


def allowed(user, address: str) -> bool:
    request = Request(APIRequestFactory().get("/api/v1/products/", REMOTE_ADDR=address))
    request.user = user
    return CallerRateThrottle().allow_request(request, None)


def test_anonymous_callers_are_counted_by_address_and_users_by_account(db, settings):
    # the rates as the settings say them when the request comes
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    cache.clear()
    anonymous = AnonymousUser()
    assert [allowed(anonymous, "10.0.0.1") for _ in range(3)] == [True, True, False]
    assert allowed(anonymous, "10.0.0.2")  # another address, its own count

    ada, bob = UserFactory(), UserFactory()
    assert [allowed(ada, "10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert allowed(bob, "10.0.0.1")  # same address, another account
    cache.clear()
