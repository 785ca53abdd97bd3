"""The shared cache on Redis, with one client per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` around its pool for every cache
call. redis-py 5 and later fill a table of about 170 response callbacks in each new
client, so that costs about as much as the call itself (two calls per throttled API
request). A ``redis.Redis`` is safe to share between threads (each command takes a
connection from the pool), so one per pool is kept for the life of the process.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _KeptClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        # Django picks (and creates) the pool; the client kept for it is keyed by
        # the pool's identity, which stays valid because Django keeps every pool it
        # creates in ``self._pools`` for the life of the cache.
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` keeping its clients."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _KeptClient
