"""Rollup writes: mark developer-days dirty, and recompute DailyCost rows from events.

Rollups are recomputed, never incremented: a day's rows are deleted and rebuilt from its
events inside one transaction, so running a recompute twice yields the same rows.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from costdash.accounts.models import Developer, OrgSettings
from costdash.ingest.models import UsageEvent
from costdash.lib.dates import day_bounds, zone

from .dedupe import counted_events
from .models import DailyCost, DirtyDay

TOKEN_SUMS = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "cache_read_tokens", "web_search_requests",
)


def daily_cost_mark_dirty(developer_days: Iterable[tuple[int, date]]) -> None:
    """Note that these (developer id, day) pairs need their rollup recomputed."""
    now = timezone.now()
    # Sorted, so concurrent writers lock the same rows in the same order and cannot deadlock.
    rows = [DirtyDay(developer_id=dev, day=day, marked_at=now) for dev, day in sorted(set(developer_days))]
    DirtyDay.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["developer", "day"], update_fields=["marked_at"]
    )


def daily_cost_mark_all_dirty() -> int:
    """Mark every developer-day that has events or a rollup: after a time zone or price change."""
    tz = zone(OrgSettings.get().time_zone)
    pairs = set(
        UsageEvent.objects.exclude(developer=None)
        .annotate(local_day=TruncDate("timestamp", tzinfo=tz))
        .values_list("developer_id", "local_day")
        .distinct()
    )
    pairs.update(DailyCost.objects.values_list("developer_id", "day"))
    daily_cost_mark_dirty(pairs)
    return len(pairs)


def daily_cost_recompute_dirty() -> int:
    """Recompute every dirty developer-day; returns how many were recomputed.

    A day marked again while it is being recomputed keeps its mark (its marked_at is newer
    than the claim), so no change is lost between the read and the delete.
    """
    claimed_at = timezone.now()
    dirty = list(DirtyDay.objects.filter(marked_at__lte=claimed_at).values_list("pk", "developer_id", "day"))
    by_developer: dict[int, set[date]] = defaultdict(set)
    for _, developer_id, day in dirty:
        by_developer[developer_id].add(day)
    for developer_id, days in by_developer.items():
        daily_cost_recompute(developer_id, days)
    pks = [pk for pk, _, _ in dirty]
    for i in range(0, len(pks), 1000):
        DirtyDay.objects.filter(pk__in=pks[i : i + 1000], marked_at__lte=claimed_at).delete()
    return len(dirty)


def daily_cost_recompute(developer_id: int, days: Iterable[date]) -> int:
    """Rebuild one developer's DailyCost rows for ``days`` from events; returns rows written.

    A day whose events all come from one source is summed in the database. A day with several
    sources may hold the same request more than once, so its events are read and each request
    is counted once, from the most trusted source (rollups.dedupe).
    """
    days = set(days)
    if not days:
        return 0
    tz = zone(OrgSettings.get().time_zone)
    start, _ = day_bounds(min(days), tz)
    _, end = day_bounds(max(days), tz)
    with transaction.atomic():
        # One recompute per developer at a time: concurrent workers queue here instead of
        # racing on the unique (developer, day, model, source) rows.
        if not Developer.objects.select_for_update().filter(pk=developer_id).exists():
            return 0
        events = UsageEvent.objects.filter(
            developer_id=developer_id, timestamp__gte=start, timestamp__lt=end
        ).annotate(local_day=TruncDate("timestamp", tzinfo=tz))
        mixed = {
            row["local_day"]
            for row in events.values("local_day").annotate(sources=Count("source", distinct=True))
            if row["sources"] > 1 and row["local_day"] in days
        }
        rows = [
            _daily_cost(developer_id, g)
            for g in _sums_in_database(events)
            if g["local_day"] in days and g["local_day"] not in mixed
        ]
        if mixed:
            rows += [_daily_cost(developer_id, g) for g in _sums_of_counted(events.filter(local_day__in=mixed))]
        DailyCost.objects.filter(developer_id=developer_id, day__in=days).delete()
        DailyCost.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _sums_in_database(events):
    return events.values("local_day", "model", "source").annotate(
        **{f"sum_{f}": Sum(f) for f in TOKEN_SUMS},
        n_requests=Count("pk"),
        n_sessions=Count("session_id", distinct=True, filter=~Q(session_id="")),
        n_unpriced=Count("pk", filter=Q(cost__isnull=True)),
        total_cost=Sum("cost"),
    )


def _sums_of_counted(events) -> list[dict]:
    """The same sums as _sums_in_database, over the events counted once per request."""
    fields = ("dedupe_key", "source", "request_id", "message_id", "local_day", "model", "session_id", "cost")
    groups: dict[tuple, dict] = {}
    sessions: dict[tuple, set] = defaultdict(set)
    for event in counted_events(list(events.values(*fields, *TOKEN_SUMS))):
        key = (event["local_day"], event["model"], event["source"])
        g = groups.setdefault(key, {
            "local_day": key[0], "model": key[1], "source": key[2], "n_requests": 0, "n_unpriced": 0,
            "total_cost": Decimal(0), **{f"sum_{f}": 0 for f in TOKEN_SUMS},
        })
        g["n_requests"] += 1
        for f in TOKEN_SUMS:
            g[f"sum_{f}"] += event[f]
        if event["cost"] is None:
            g["n_unpriced"] += 1
        else:
            g["total_cost"] += event["cost"]
        if event["session_id"]:
            sessions[key].add(event["session_id"])
    for key, g in groups.items():
        g["n_sessions"] = len(sessions[key])
    return list(groups.values())


def _daily_cost(developer_id: int, g: dict) -> DailyCost:
    return DailyCost(
        developer_id=developer_id,
        day=g["local_day"],
        model=g["model"],
        source=g["source"],
        **{f: g[f"sum_{f}"] or 0 for f in TOKEN_SUMS},
        requests=g["n_requests"],
        sessions=g["n_sessions"],
        unpriced_requests=g["n_unpriced"],
        cost=g["total_cost"] or 0,
    )
