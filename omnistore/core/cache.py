"""The shared cache on Redis: one client per connection pool, and an outage that
degrades the site instead of failing it.

Django's ``RedisCache`` builds a new ``redis.Redis`` around its pool for every cache
call. redis-py 5 and later fill a table of about 170 response callbacks in each new
client, so that costs about as much as the call itself (two calls per throttled API
request). A ``redis.Redis`` is safe to share between threads (each command takes a
connection from the pool), so one per pool is kept for the life of the process.

Every API request reads the cache (its rate limit), so a Redis that is down or does
not answer must not take the storefront with it. A call that fails answers as a miss
(``get`` its default, ``add`` False, ``incr`` "no such key", writes do nothing) and
starts a pause of ``OMNISTORE_CACHE_PAUSE`` seconds in this process during which the
cache is not called at all; the socket timeouts (``OPTIONS`` in the settings) bound
what the failing call costs. Rate limits that only share load then let requests
through; the guards against guessing (sign-in, codes, gift card PINs) ask
``unavailable()`` and refuse with a 503 instead of counting nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

from .exceptions import ServiceUnavailable
from .pause import pause_for

logger = logging.getLogger(__name__)


class _KeptClient(RedisCacheClient):
    def __init__(self, servers, *args, **kwargs) -> None:
        super().__init__(servers, *args, **kwargs)
        self._clients: dict[int, object] = {}
        # By server list: every thread's cache (Django keeps one per thread) shares it.
        self.pause = pause_for(
            "cache:" + ",".join(servers), settings.OMNISTORE_CACHE_PAUSE
        )

    def get_client(self, key=None, *, write=False):
        # Django picks (and creates) the pool; the client kept for it is keyed by
        # the pool's identity, which stays valid because Django keeps every pool it
        # creates in ``self._pools`` for the life of the cache.
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _soft(self, miss, call, *args):
        """``call(*args)``, or ``miss`` while paused or when Redis fails."""
        if self.pause.running:
            return miss
        try:
            return call(*args)
        except RedisError as error:
            if self.pause.start():
                logger.warning(
                    "cache: Redis unavailable (%r); answering without it for %s s",
                    error,
                    self.pause.seconds,
                )
            return miss

    def get(self, key, default):
        return self._soft(default, super().get, key, default)

    def add(self, key, value, timeout):
        return self._soft(False, super().add, key, value, timeout)

    def set(self, key, value, timeout):
        return self._soft(None, super().set, key, value, timeout)

    def touch(self, key, timeout):
        return self._soft(False, super().touch, key, timeout)

    def delete(self, key):
        return self._soft(False, super().delete, key)

    def get_many(self, keys):
        return self._soft({}, super().get_many, keys)

    def has_key(self, key):
        return self._soft(False, super().has_key, key)

    def incr(self, key, delta):
        found = self._soft(None, super().incr, key, delta)
        if found is None:  # as Django answers for a key that is not there
            raise ValueError(f"Key '{key}' not found.")
        return found

    def set_many(self, data, timeout):
        return self._soft(None, super().set_many, data, timeout)

    def delete_many(self, keys):
        return self._soft(None, super().delete_many, keys)

    def clear(self):
        return self._soft(False, super().clear)


class SharedRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` keeping its clients, and
    answering as a miss while Redis is unavailable (see the module's docstring)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _KeptClient


def unavailable(alias: str = "default") -> bool:
    """True while the cache ``alias`` is paused after a failure: what it answers
    now is not what it holds (a per-process cache is never unavailable)."""
    client = getattr(caches[alias], "_cache", None)
    pause = getattr(client, "pause", None)
    return bool(pause and pause.running)


def require_cache(
    message: str = "This cannot be checked right now; try again in a moment.",
    alias: str = "default",
) -> None:
    """Refuse (503) what must not go ahead without the cache: a limit on guesses
    that could not be counted."""
    if unavailable(alias):
        raise ServiceUnavailable(message)
