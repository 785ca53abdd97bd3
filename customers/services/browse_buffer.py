"""Where product views wait between the request and the drain: a Redis list.

``push`` appends a request's batch with one ``RPUSH``. A drain holds a lock key (one
drain at a time) and moves up to a batch of items from the list to a list of its own
in one step (a Lua script); it deletes that list only after the batch is stored, so a
drain that dies leaves its batch to the next one, which stores it again (the dedupe
key makes that harmless). Without a buffer URL, or while Redis is
unreachable (then for a few seconds after each failure), ``push`` declines and the
caller stores the batch itself.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from django.conf import settings

from omnistore.core.pause import pause_for

logger = logging.getLogger(__name__)

QUEUE = "omnistore:browse:queue"
TAKEN = "omnistore:browse:taken"
LOCK = "omnistore:browse:drain"
LOCK_SECONDS = 300
# After a failed push, this process writes views directly for this long instead of
# waiting on Redis again for each request.
PAUSE_SECONDS = 5.0

_TAKE = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  for i = 1, #items, 500 do
    redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 499, #items)))
  end
end
return items
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@lru_cache(maxsize=4)
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def client():
    """The buffer's Redis client, or None when there is no buffer."""
    url = settings.OMNISTORE_BROWSE_BUFFER_URL
    return _client(url) if url else None


def push(items: list) -> bool:
    """Append serialised events in one round trip. False when there is no buffer or
    Redis cannot be reached: the caller then stores the batch itself."""
    redis_client = client()
    if redis_client is None:
        return False
    pause = pause_for(f"browse:{settings.OMNISTORE_BROWSE_BUFFER_URL}", PAUSE_SECONDS)
    if pause.running:
        return False
    from json import dumps

    try:
        redis_client.rpush(QUEUE, *[dumps(i, separators=(",", ":")) for i in items])
    except Exception as error:  # Redis down: the views are written directly instead
        if pause.start():
            logger.warning(
                "browse events: buffer unreachable (%r), writing directly for %s s",
                error,
                pause.seconds,
            )
        return False
    return True


def waiting() -> int:
    redis_client = client()
    if redis_client is None:
        return 0
    return int(redis_client.llen(QUEUE)) + int(redis_client.llen(TAKEN))


@contextmanager
def draining() -> Iterator[Callable[[int], Iterator[list[bytes]]] | None]:
    """Hold the drain lock and yield ``batches(size)``: first what a dead drain left
    taken, then new batches until the list is empty. Yields None when there is no
    buffer or another drain holds the lock."""
    redis_client = client()
    token = secrets.token_hex(8)
    if redis_client is None or not redis_client.set(
        LOCK, token, nx=True, ex=LOCK_SECONDS
    ):
        yield None
        return
    take = redis_client.register_script(_TAKE)

    def batches(size: int) -> Iterator[list[bytes]]:
        while True:
            items = redis_client.lrange(TAKEN, 0, -1) or take(
                keys=[QUEUE, TAKEN], args=[size]
            )
            if not items:
                return
            yield items
            redis_client.delete(TAKEN)  # stored and committed: done with them
            redis_client.expire(LOCK, LOCK_SECONDS)

    try:
        yield batches
    finally:
        redis_client.register_script(_RELEASE)(keys=[LOCK], args=[token])
