"""The shared cache on Redis keeps one client per pool and behaves as Django's."""

import shutil

import pytest

from omnistore.core.cache import SharedRedisCache

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server"),
    reason="needs redis-server (`make test` installs it through .ci/system-deps.sh)",
)


def test_values_round_trip_through_one_kept_client(redis_url):
    cache = SharedRedisCache(redis_url, {"KEY_PREFIX": "t"})
    assert cache.get("missing", "default") == "default"
    cache.set("basket", {"lines": [1, 2]}, 30)
    assert cache.get("basket") == {"lines": [1, 2]}
    assert cache.add("basket", "other", 30) is False
    assert cache.add("n", 0, 30) is True
    assert cache.incr("n") == 1
    assert cache.get("n") == 1
    cache.delete("basket")
    assert cache.get("basket") is None
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    assert cache._cache.get_client("any", write=True) is client


def test_kept_client_uses_the_pool_django_built_for_the_server(redis_url):
    cache = SharedRedisCache(redis_url, {"KEY_PREFIX": "t"})
    client = cache._cache.get_client(write=True)
    assert client.connection_pool is cache._cache._get_connection_pool(True)
    assert list(cache._cache._pools.values()) == [client.connection_pool]


def test_reads_from_a_replica_keep_their_own_client(redis_url):
    cache = SharedRedisCache([redis_url, redis_url], {"KEY_PREFIX": "t"})
    cache.set("basket", "kept", 30)
    assert cache.get("basket") == "kept"
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client()
    assert reader is not writer
    assert reader is cache._cache.get_client()
    assert reader.connection_pool is cache._cache._pools[1]
    assert writer.connection_pool is cache._cache._pools[0]
