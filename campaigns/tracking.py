"""Signed tracking tokens: open pixel, click redirect, unsubscribe.

A token carries the message id (and, for a click, the target URL) signed with the
project's secret, each kind with its own salt; a token altered by one character does
not verify, so the views answer 404 and no one can redirect through us to a URL we did
not write, nor unsubscribe someone else.
"""

from __future__ import annotations

import os
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

OPEN_SALT = "campaigns.tracking.open"
CLICK_SALT = "campaigns.tracking.click"
UNSUBSCRIBE_SALT = "campaigns.tracking.unsubscribe"
_PLACEHOLDER = "TOKEN"


@lru_cache(maxsize=16)
def _signer(salt: str, secret: str) -> signing.Signer:
    return signing.Signer(key=secret, salt=salt)


def _sign(value, salt: str, *, compress: bool = False) -> str:
    return _signer(salt, settings.SECRET_KEY).sign_object(value, compress=compress)


def open_token(message_id: int) -> str:
    return _sign(message_id, OPEN_SALT)


def click_token(message_id: int, url: str) -> str:
    return _sign([message_id, url], CLICK_SALT, compress=True)


def unsubscribe_token(message_id: int) -> str:
    return _sign(message_id, UNSUBSCRIBE_SALT)


def read_open_token(token: str) -> int | None:
    return _read(token, OPEN_SALT, int)


def read_unsubscribe_token(token: str) -> int | None:
    return _read(token, UNSUBSCRIBE_SALT, int)


def read_click_token(token: str) -> tuple[int, str] | None:
    value = _read(token, CLICK_SALT, list)
    if value is None or len(value) != 2:
        return None
    message_id, url = value
    if not isinstance(message_id, int) or not isinstance(url, str):
        return None
    if not url.startswith(("https://", "http://")):
        return None
    return message_id, url


def _read(token: str, salt: str, kind: type):
    try:
        value = _signer(salt, settings.SECRET_KEY).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        return None
    return value


@lru_cache(maxsize=8)
def _url_pattern(name: str, site: str) -> str:
    return site.rstrip("/") + reverse(f"campaigns-tracking:{name}", args=[_PLACEHOLDER])


def tracking_url(name: str, token: str) -> str:
    """Absolute URL of a tracking view (``open``, ``click``, ``unsubscribe``)."""
    return _url_pattern(name, settings.OMNISTORE_SITE_URL).replace(_PLACEHOLDER, token)


def tracking_prefix() -> str:
    """Links already pointing at tracking views are left as they are."""
    site = settings.OMNISTORE_SITE_URL
    patterns = [_url_pattern(name, site) for name in ("open", "click", "unsubscribe")]
    return os.path.commonprefix(patterns)


def open_url(message_id: int) -> str:
    return tracking_url("open", open_token(message_id))


def click_url(message_id: int, url: str) -> str:
    return tracking_url("click", click_token(message_id, url))


def unsubscribe_url(message_id: int) -> str:
    return tracking_url("unsubscribe", unsubscribe_token(message_id))
