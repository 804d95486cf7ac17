"""Requests per token, counted in fixed windows in the cache (settings.CACHES: Redis when REDIS_URL is set, so
every web process counts into the same counter; each process's memory otherwise, as under `make run`).

A window is ``period`` seconds long and numbered from the epoch; its counter's key holds the number, so a new
window starts at 0 without anyone resetting it. A request increments its window's counter: on Redis an INCR and an
EXPIRE in one MULTI/EXEC round trip (atomic across processes; INCR creates the counter, EXPIRE gives it its
lifetime); in memory cache.incr, the window's first request creating it with cache.add. The counter outlives its
window by a margin, so it never expires while its window is still counting. A fixed window lets a client
spend its allowance at the end of one window and again at the start of the next: at most twice the rate over
one period, a bound fine for "a source could flood" and cheaper than a sliding log (DRF's default throttle,
whose read-modify-write of the log loses counts between processes).
"""
from __future__ import annotations

import math
import time

from django.core.cache import cache

from .redis_cache import cache_redis

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MARGIN_SECONDS = 60


def rate_parse(rate: str) -> tuple[int, int]:
    """(requests, period in seconds) of a rate such as "600/minute" (settings.env_rate checked its form)."""
    count, _, unit = rate.partition("/")
    return int(count), UNITS[unit.strip()[:1]]


def rate_hit(key: str, rate: str, now: float | None = None) -> int | None:
    """Count one request for ``key`` against ``rate``: None while within it, else the whole seconds (at least
    1) until its window ends, for Retry-After. A request refused still counts (a client hammering through its
    429s gains nothing)."""
    allowed, period = rate_parse(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    counter = f"rate:{key}:{period}:{window}"
    backend, client = cache_redis()
    if client is not None:  # Redis: INCR and EXPIRE in one round trip (MULTI/EXEC: never a counter without a lifetime)
        name = backend.make_key(counter)
        seen, _ = client.pipeline(transaction=True).incr(name).expire(name, period + MARGIN_SECONDS).execute()
    else:
        seen = _cache_incr(counter, period)
    if seen <= allowed:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def _cache_incr(counter: str, period: int) -> int:
    """The counter incremented through the cache API (each process's memory under `make run`)."""
    try:
        seen = cache.incr(counter)  # the common case: the window's counter exists
    except ValueError:  # the window's first request (or its counter was evicted)
        seen = 1 if cache.add(counter, 1, period + MARGIN_SECONDS) else cache.incr(counter)  # add lost a race
    return seen
