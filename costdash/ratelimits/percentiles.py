"""Per-minute figures of a scope and day: p50, p95, p99 (as PostgreSQL's percentile_cont) and the peak.

PostgreSQL computes them in the database (ratelimits.selectors); elsewhere (SQLite, the embedded
default) ``stats_of`` computes the same from the minutes' totals, with the same arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
import math

PERCENTILES = (0.5, 0.95, 0.99)
PLACES = Decimal("0.001")
# The per-minute figures, in this order everywhere (SQL columns, API, table columns).
METRICS = ("rpm", "itpm", "itpm_all", "otpm", "tpm")
LABELS = {
    "rpm": "Requests per minute",
    "itpm": "Input tokens per minute, cache-aware (uncached + cache writes)",
    "itpm_all": "Input tokens per minute, all (cache reads included)",
    "otpm": "Output tokens per minute",
    "tpm": "Tokens per minute against limits (cache-aware input + output)",
}


@dataclass(frozen=True)
class MetricStats:
    p50: Decimal
    p95: Decimal
    p99: Decimal
    peak: int
    peak_minute: datetime


def rounded(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(PLACES, rounding=ROUND_HALF_UP)


def percentile_cont(ordered: list, fraction: float) -> float:
    """PostgreSQL's percentile_cont over ``ordered`` (sorted ascending, not empty): linear
    interpolation between the two values around position fraction x (n - 1)."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    first = float(ordered[low])
    if high == low:
        return first
    return first + (float(ordered[high]) - first) * (position - low)


def stats_of(minutes: list[tuple[datetime, int]]) -> MetricStats:
    """The stats of one figure over (minute, value) pairs, one per active minute. The peak minute
    is the earliest of the minutes with the highest value."""
    ordered = sorted(value for _, value in minutes)
    peak = ordered[-1]
    peak_minute = min(minute for minute, value in minutes if value == peak)
    p50, p95, p99 = (rounded(percentile_cont(ordered, f)) for f in PERCENTILES)
    return MetricStats(p50=p50, p95=p95, p99=p99, peak=int(peak), peak_minute=peak_minute)
