"""MinuteUsage: each developer's requests and tokens per minute, rebuilt with the day's rollups.

rollups.services.daily_cost_recompute calls ``minute_usage_replace`` inside its transaction, with
the developer's events of the days (annotated with ``local_day``), the days whose events come from
several sources (``mixed``) and those days' requests counted once each (rollups.dedupe). As for the
hourly rollup: a single-source day is grouped in the database, a mixed day from the counted events.
Rebuilding a day twice gives the same rows.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMinute
from django.utils import timezone

from costdash.ingest.models import FailedCall

from .models import MinuteDayStale, MinuteUsage

# What a counted event needs for its minute: all in rollups.sessions.SESSION_FIELDS.
MINUTE_FIELDS = ("timestamp", "local_day", "input_tokens", "output_tokens", "cache_write_5m_tokens",
                 "cache_write_1h_tokens", "cache_read_tokens")
# A failed call is a rate-limit refusal when its label (ingest.failed_calls) says so.
RATE_LIMITED = Q(error__startswith="429") | Q(error__icontains="rate_limit") | Q(error__icontains="ratelimit")


def _minute(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(second=0, microsecond=0)


def minutes_in_database(developer_id: int, events) -> dict[datetime, MinuteUsage]:
    """{minute: MinuteUsage} of single-source days (``events`` already limited to those days)."""
    grouped = (
        events.annotate(minute=TruncMinute("timestamp", tzinfo=UTC))
        .values("local_day", "minute")
        .annotate(
            n=Count("pk"), uncached=Sum("input_tokens"), output=Sum("output_tokens"),
            writes=Sum(F("cache_write_5m_tokens") + F("cache_write_1h_tokens")), reads=Sum("cache_read_tokens"),
        )
        .order_by()
    )
    return {
        g["minute"]: MinuteUsage(
            developer_id=developer_id, day=g["local_day"], minute=g["minute"], requests=g["n"],
            input_tokens=g["uncached"] or 0, cache_write_tokens=g["writes"] or 0, cache_read_tokens=g["reads"] or 0,
            output_tokens=g["output"] or 0,
        )
        for g in grouped
    }


def minutes_of_counted(developer_id: int, counted: Iterable[dict], rows: dict[datetime, MinuteUsage]) -> None:
    """Add counted events (dicts with MINUTE_FIELDS, one request each) to ``rows``."""
    for e in counted:
        minute = _minute(e["timestamp"])
        row = rows.get(minute)
        if row is None:
            row = rows[minute] = MinuteUsage(developer_id=developer_id, day=e["local_day"], minute=minute)
        row.requests += 1
        row.input_tokens += e["input_tokens"]
        row.cache_write_tokens += e["cache_write_5m_tokens"] + e["cache_write_1h_tokens"]
        row.cache_read_tokens += e["cache_read_tokens"]
        row.output_tokens += e["output_tokens"]


def rate_limited_of(developer_id: int, start: datetime, end: datetime, days: set[date], tz,
                    rows: dict[datetime, MinuteUsage]) -> None:
    """Add the developer's 429s (ingest.FailedCall, every source) on ``days`` to ``rows``."""
    calls = (
        FailedCall.objects.filter(RATE_LIMITED, developer_id=developer_id, timestamp__gte=start, timestamp__lt=end)
        .annotate(local_day=TruncDate("timestamp", tzinfo=tz), minute=TruncMinute("timestamp", tzinfo=UTC))
        .values("local_day", "minute")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for g in calls:
        if g["local_day"] not in days:
            continue
        row = rows.get(g["minute"])
        if row is None:
            row = rows[g["minute"]] = MinuteUsage(developer_id=developer_id, day=g["local_day"], minute=g["minute"])
        row.rate_limited += g["n"]


def _insert_in_database(developer_id: int, events) -> None:
    """PostgreSQL: the single-source days' minutes grouped and inserted in one INSERT ... SELECT, no row
    through Python (a year of a developer is ~18,000 minutes: bulk_create tripled the recompute)."""
    grouped = (
        events.annotate(minute=TruncMinute("timestamp", tzinfo=UTC))
        .values("local_day", "minute")
        .annotate(
            n=Count("pk"), uncached=Sum("input_tokens"), output=Sum("output_tokens"),
            writes=Sum(F("cache_write_5m_tokens") + F("cache_write_1h_tokens")), reads=Sum("cache_read_tokens"),
        )
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MinuteUsage._meta.db_table} (developer_id, day, minute, requests, input_tokens, "
            "cache_write_tokens, cache_read_tokens, output_tokens, rate_limited) "
            "SELECT %s, g.local_day, g.minute, g.n, COALESCE(g.uncached, 0), COALESCE(g.writes, 0), "
            f"COALESCE(g.reads, 0), COALESCE(g.output, 0), 0 FROM ({sql}) g",
            [developer_id, *params],
        )


def minute_usage_replace(developer_id: int, days: set[date], *, events, mixed: set[date], counted: list[dict],
                         start: datetime, end: datetime, tz) -> None:
    """Rebuild the developer's MinuteUsage rows of ``days`` (call inside the recompute's transaction)."""
    single = days - mixed
    MinuteUsage.objects.filter(developer_id=developer_id, day__in=days).delete()
    rows: dict[datetime, MinuteUsage] = {}
    if single and connection.vendor == "postgresql":
        _insert_in_database(developer_id, events.filter(local_day__in=single))
    elif single:
        rows = minutes_in_database(developer_id, events.filter(local_day__in=single))
    minutes_of_counted(developer_id, counted, rows)
    rate_limited_of(developer_id, start, end, days, tz, rows)
    # A 429 in a minute the INSERT above wrote adds its count to that row.
    MinuteUsage.objects.bulk_create(rows.values(), batch_size=2000, update_conflicts=True,
                                    unique_fields=["developer", "minute"], update_fields=["rate_limited"])
    minute_days_mark_stale(days)


def minute_days_mark_stale(days: Iterable[date]) -> None:
    """The org's and teams' figures of ``days`` are to be computed again (ratelimits.minutes)."""
    now = timezone.now()
    MinuteDayStale.objects.bulk_create(
        [MinuteDayStale(day=day, marked_at=now) for day in sorted(days)],
        update_conflicts=True, unique_fields=["day"], update_fields=["marked_at"],
    )
