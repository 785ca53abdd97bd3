"""API token authentication with an end: a token older than
``OMNISTORE_API_TOKEN_MAX_AGE_DAYS`` is refused, so a leaked one stops working
without anyone noticing the leak. Signing in again issues a new one. Kept apart from
the views: DRF imports the authentication classes named in the settings while its
views module loads."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def token_expired(token, *, now=None) -> bool:
    """Whether ``token`` (DRF's Token, by its ``created``) is past the settings'
    maximum age, read when asked; ``0`` or empty: tokens never expire."""
    days = getattr(settings, "OMNISTORE_API_TOKEN_MAX_AGE_DAYS", 0)
    if not days:
        return False
    return token.created <= (now or timezone.now()) - timedelta(days=days)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, refusing (401) a token past its age."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed("Token expired; sign in again.")
        return user, token
