"""A Redis cache that lets the portal go on working while Redis is down.

Cached pages, dashboard figures and allauth's counters all use the
cache. Django's Redis backend raises when Redis does not answer, which would turn an outage
into errors on every page; this one logs, answers as an empty cache would, and stops trying
for a few seconds so each request does not wait on a dead socket.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one redis-py client for each connection pool.

    Django makes a new redis.Redis for every operation; redis-py 8 builds its table of reply
    handlers (some 170 entries) in each, which cost a third of a millisecond a call, more
    than the round trip to Redis. A client only borrows connections from its pool, so one per
    pool serves every call.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    """RedisCache that treats an unreachable Redis as an empty cache that keeps nothing."""

    _down_until = 0.0  # per process: when to try Redis again after it failed

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def unreachable(self) -> bool:
        """True while Redis is taken to be down (what was written then was not kept)."""
        return time.monotonic() < TolerantRedisCache._down_until

    def _call(self, method: str, fallback, *args, **kwargs):
        if time.monotonic() < TolerantRedisCache._down_until:
            return fallback
        try:
            return getattr(super(), method)(*args, **kwargs)
        except RedisError as error:
            TolerantRedisCache._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("Cache unavailable (%s); carrying on without it", type(error).__name__)
            return fallback

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # An empty cache takes any new key: answering False ("already there") would make
        # allauth's sign-in lock and TOTP replay check refuse everyone during an outage.
        return self._call("add", True, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        # As if the counter had just started: limits counted in the cache lapse in an outage.
        return self._call("incr", delta, key, delta, version)

    def clear(self):
        return self._call("clear", None)
