"""Signed tracking tokens: open pixel, click redirect, unsubscribe.

A token carries the message id (and, for a click, the target URL) signed with the
project's secret, each kind with its own salt; a token altered by one character does
not verify, so the views answer 404 and no one can unsubscribe someone else.

A click token is also dated: it redirects for ``OMNISTORE_TRACKING_LINK_MAX_AGE_DAYS``
and only to a host of ``OMNISTORE_TRACKING_ALLOWED_HOSTS`` (or the shop's own,
``OMNISTORE_SITE_URL``), so even a token we signed cannot be kept as a permanent
redirect through our domain to somewhere else.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

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


@lru_cache(maxsize=4)
def _dated_signer(salt: str, secret: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(key=secret, salt=salt)


def _sign(value, salt: str, *, compress: bool = False) -> str:
    return _signer(salt, settings.SECRET_KEY).sign_object(value, compress=compress)


def open_token(message_id: int) -> str:
    return _sign(message_id, OPEN_SALT)


def click_token(message_id: int, url: str) -> str:
    signer = _dated_signer(CLICK_SALT, settings.SECRET_KEY)
    return signer.sign_object([message_id, url], compress=True)


def unsubscribe_token(message_id: int) -> str:
    return _sign(message_id, UNSUBSCRIBE_SALT)


def read_open_token(token: str) -> int | None:
    return _read(token, OPEN_SALT, int)


def read_unsubscribe_token(token: str) -> int | None:
    return _read(token, UNSUBSCRIBE_SALT, int)


class ExpiredLink(Exception):
    """A click token we signed, but too old to redirect (or from before links were
    dated): the visitor gets a plain page, never the redirect."""


def read_click_token(token: str) -> tuple[int, str] | None:
    """The message id and target of a click token that verifies, is recent and points
    at an allowed host; None for anything else. Raises ``ExpiredLink`` for a genuine
    token past its age."""
    max_age = timedelta(days=settings.OMNISTORE_TRACKING_LINK_MAX_AGE_DAYS)
    signer = _dated_signer(CLICK_SALT, settings.SECRET_KEY)
    try:
        value = signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ExpiredLink from None
    except (signing.BadSignature, ValueError, TypeError):
        if _read(token, CLICK_SALT, list) is not None:  # signed before links were dated
            raise ExpiredLink from None
        return None
    if not isinstance(value, list) or len(value) != 2:
        return None
    message_id, url = value
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        return None
    if not isinstance(url, str) or not is_allowed_target(url):
        return None
    return message_id, url


def allowed_hosts() -> set[str]:
    """Hosts a click may lead to: the shop's own site, its storefront and the listed
    ones (an entry starting with a dot also admits its subdomains)."""
    hosts = {h.lower() for h in settings.OMNISTORE_TRACKING_ALLOWED_HOSTS}
    for url in (settings.OMNISTORE_SITE_URL, settings.OMNISTORE_STOREFRONT_URL):
        site = urlsplit(url).hostname
        if site:
            hosts.add(site.lower())
    return hosts


def is_allowed_target(url: str) -> bool:
    """An absolute http(s) URL to an allowed host, with nothing a browser reads
    differently from us (backslashes, credentials, spaces or control characters)."""
    if "\\" in url or any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return False
    return any(
        host == allowed
        or (allowed.startswith(".") and (host.endswith(allowed) or host == allowed[1:]))
        for allowed in allowed_hosts()
    )


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


def one_click_unsubscribe_url(unsubscribe: str) -> str:
    """The address mail programs post a one-click unsubscribe to (RFC 8058), beside
    the message's own unsubscribe page."""
    return unsubscribe.rstrip("/") + "/one-click/"
