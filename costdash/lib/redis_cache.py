"""The default cache's own Redis client, for the few hot calls where Django's cache API costs too much.

Django's RedisCache builds a new ``redis.Redis`` (with its ~170 response callbacks) on every call and makes
``incr`` an EXISTS then an INCR: ~0.4 ms of CPU and two round trips for a rate counter, on every receiver
request. ``cache_redis()`` hands out one client per cache backend (the backend is per thread; the client
shares the backend's connection pool), so a caller makes its one round trip itself. Keys go through
``cache.make_key`` and values are plain integers, as Django's RedisCache stores them, so what is written here
reads back through the cache API and the other way round.
"""
from __future__ import annotations

import weakref

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # backend -> its redis.Redis


def cache_redis():
    """(backend, redis.Redis) of the default cache when it is Redis (settings.CACHES, with REDIS_URL), else
    (backend, None): callers then use the cache API."""
    backend = caches["default"]
    client = _clients.get(backend)
    if client is None and isinstance(backend, RedisCache):
        client = _clients[backend] = backend._cache.get_client(None, write=True)
    return backend, client


def cache_add(key: str, value: int, timeout: int) -> bool:
    """``cache.add(key, value, timeout)`` (SET NX with a lifetime) in one round trip; True when it was set."""
    backend, client = cache_redis()
    if client is None:
        return backend.add(key, value, timeout)
    return bool(client.set(backend.make_key(key), value, nx=True, ex=timeout))
