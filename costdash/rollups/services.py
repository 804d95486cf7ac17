"""Rollup writes: mark developer-days dirty, and recompute DailyCost rows from events.

Rollups are recomputed, never incremented: a day's rows are deleted and rebuilt from its
events inside one transaction, so running a recompute twice yields the same rows.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from costdash.accounts.models import Developer, OrgSettings
from costdash.chargeback import rollup as chargeback_rollup
from costdash.ingest import retention
from costdash.ingest.models import ActivityRecord, FailedCall, UsageAggregate, UsageEvent
from costdash.lib.dates import bucket_day, day_bounds, zone
from costdash.pricing.services import rate_table, rate_table_invalidate
from costdash.ratelimits.rollup import minute_usage_replace

from . import failures, split
from .dedupe import ACTIVITY_PRECEDENCE, AGGREGATE_PRECEDENCE, counted_events, preferred_source
from .developer_months import developer_months_rebuild
from .hourly import hourly_costs_in_database, hourly_costs_of_counted
from .models import (
    USAGE_FIELDS,
    DailyActivity,
    DailyCost,
    DailyError,
    DeveloperDay,
    DirtyDay,
    HourlyCost,
    SessionDay,
    SplitRecovery,
)
from .org_days import org_days_refresh
from .session_months import session_months_rebuild
from .sessions import SESSION_FIELDS, session_days_in_database, session_days_of_counted

ACTIVITY_SUMS = (
    "sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edits_accepted",
    "edits_rejected", "active_seconds",
)

TOKEN_SUMS = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "cache_read_tokens", "web_search_requests",
)


def daily_cost_mark_dirty(developer_days: Iterable[tuple[int, date]]) -> None:
    """Note that these (developer id, day) pairs need their rollup recomputed."""
    now = timezone.now()
    developer_days = retention.unfrozen(developer_days)  # a day raw-event retention froze keeps its rollup
    # Sorted, so concurrent writers lock the same rows in the same order and cannot deadlock.
    rows = [DirtyDay(developer_id=dev, day=day, marked_at=now) for dev, day in sorted(set(developer_days))]
    DirtyDay.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["developer", "day"],
        update_fields=["marked_at", "retry_at"],  # new data: a failing day is tried again at once
    )


def daily_cost_mark_all_dirty() -> int:
    """Mark every developer-day that has events or a rollup: after a time zone or price change."""
    tz = zone(OrgSettings.get().time_zone)
    pairs = set()
    for model in (UsageEvent, FailedCall):
        pairs.update(
            model.objects.exclude(developer=None)
            .annotate(local_day=TruncDate("timestamp", tzinfo=tz))
            .values_list("developer_id", "local_day")
            .distinct()
        )
    pairs.update(DailyCost.objects.values_list("developer_id", "day"))
    pairs.update(DailyError.objects.values_list("developer_id", "day"))
    pairs.update(DailyActivity.objects.values_list("developer_id", "day"))
    for model in (UsageAggregate, ActivityRecord):
        pairs.update(_bucket_days(model.objects.exclude(developer=None), tz))
    daily_cost_mark_dirty(pairs)
    return len(pairs)


def attributed_rows(**filters) -> list:
    """Querysets of every row attributed to a person (usage events, daily aggregates, activity,
    failed calls) matching ``filters`` (identity=..., developer=...): what moves when an identity
    is mapped."""
    return [model.objects.filter(**filters) for model in (UsageEvent, UsageAggregate, ActivityRecord, FailedCall)]


def attributed_rows_mark_dirty(rows) -> None:
    """Mark the developer-days of these attributed rows dirty (one of attributed_rows())."""
    tz = zone(OrgSettings.get().time_zone)
    rows = rows.exclude(developer=None)
    if rows.model in (UsageEvent, FailedCall):
        daily_cost_mark_dirty(
            rows.annotate(local_day=TruncDate("timestamp", tzinfo=tz))
            .values_list("developer_id", "local_day")
            .distinct()
        )
    else:
        daily_cost_mark_dirty(_bucket_days(rows, tz))


def _bucket_days(rows, tz) -> set[tuple[int, date]]:
    """(developer id, day) of aggregate or activity rows: few enough to place in Python."""
    return {
        (developer_id, bucket_day(start, width, tz))
        for developer_id, start, width in rows.values_list("developer_id", "start", "width").distinct()
    }


def daily_cost_recompute_dirty() -> int:
    """Recompute every dirty developer-day that is due; returns how many were recomputed.

    A day marked again while it is being recomputed keeps its mark (its marked_at is newer
    than the claim), so no change is lost between the read and the delete.

    One developer-day that cannot be computed cannot stop the others (rollups.failures): each
    developer's days are recomputed together, and if that fails, day by day; a day that still
    fails keeps its mark with the error, and is retried after a growing delay (or at once when it
    is marked again). A day that computes clears its error.
    """
    claimed_at = timezone.now()
    # Split aggregates are priced here: see a price another process changed (its reprice queued this).
    rate_table_invalidate()
    due = Q(retry_at=None) | Q(retry_at__lte=claimed_at)
    if (frozen := retention.recompute_frozen_before()) is not None:
        # Their events are gone (raw-event retention): a recompute would rebuild them from nothing.
        DirtyDay.objects.filter(day__lt=frozen).delete()
    dirty = list(DirtyDay.objects.filter(due, marked_at__lte=claimed_at).values_list("pk", "developer_id", "day"))
    by_developer: dict[int, dict[date, int]] = defaultdict(dict)
    for pk, developer_id, day in dirty:
        by_developer[developer_id][day] = pk
    done, failed = [], {}
    touched = {day for _, _, day in dirty}
    for developer_id, days in by_developer.items():
        for day, error in failures.recompute_guarded(_recompute_leaving_org_days, developer_id, set(days)).items():
            failed[days.pop(day)] = error
        done.extend(days.values())
    org_days_refresh(touched)  # once for every developer's days
    for i in range(0, len(done), 1000):
        DirtyDay.objects.filter(pk__in=done[i : i + 1000], marked_at__lte=claimed_at).delete()
    failures.failures_clear(done)  # marked again meanwhile: kept, but no longer failing
    failures.failures_record(failed, claimed_at)
    return len(done)


def _recompute_leaving_org_days(developer_id: int, days: set[date]) -> int:
    return daily_cost_recompute(developer_id, days, org_days=False)


def daily_cost_recompute(developer_id: int, days: Iterable[date], *, org_days: bool = True) -> int:
    """Rebuild one developer's DailyCost rows for ``days`` from events; returns rows written.

    A day whose events all come from one source is summed in the database. A day with several
    sources may hold the same request more than once, so its events are read and each request
    is counted once, from the most trusted source (rollups.dedupe). Then the days' OrgDailyCost rows
    are rebuilt (rollups.org_days), unless ``org_days`` is False (a caller recomputing many
    developers' days refreshes them once, after all of them).
    """
    frozen = retention.recompute_frozen_before()
    days = {day for day in days if frozen is None or day >= frozen}  # never rebuilt from removed events
    if not days:
        return 0
    written = _daily_cost_recompute(developer_id, days)
    if org_days:
        org_days_refresh(days)
    return written


def _daily_cost_recompute(developer_id: int, days: set[date]) -> int:
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
        counted = _counted(events.filter(local_day__in=mixed)) if mixed else []
        rows += [_daily_cost(developer_id, g) for g in _sums_of_counted(counted)]
        # The same requests again, split by chargeback dimensions (chargeback.rollup).
        parts = [*chargeback_rollup.event_sums(events.filter(local_day__in=days - mixed))]
        parts += chargeback_rollup.counted_sums(counted)
        sessions = session_days_in_database(developer_id, events.filter(local_day__in=days - mixed))
        sessions += session_days_of_counted(developer_id, counted)
        hours = hourly_costs_in_database(developer_id, events.filter(local_day__in=days - mixed), tz)
        hours += hourly_costs_of_counted(developer_id, counted, tz)
        # A UTC-day bucket may sit on a neighbouring org-local day: read a day either side.
        near = {
            "developer_id": developer_id, "start__gte": start - timedelta(days=1), "start__lt": end + timedelta(days=1),
        }
        request_days = {row.day for row in rows}
        stored = split.stored_units(developer_id, days - request_days)
        groups, recoveries = _sums_of_aggregates(UsageAggregate.objects.filter(**near), days - request_days, tz, stored)
        rows += [_daily_cost(developer_id, g) for g in groups]
        parts += chargeback_rollup.aggregate_sums(groups)
        activity = _activity_of(developer_id, ActivityRecord.objects.filter(**near), days, tz)
        DailyCost.objects.filter(developer_id=developer_id, day__in=days).delete()
        DailyCost.objects.bulk_create(rows, batch_size=1000)
        SplitRecovery.objects.filter(developer_id=developer_id, day__in=days).delete()
        for recovery in recoveries:
            recovery.developer_id = developer_id
        SplitRecovery.objects.bulk_create(recoveries, batch_size=1000)
        DeveloperDay.objects.filter(developer_id=developer_id, day__in=days).delete()
        DeveloperDay.objects.bulk_create(developer_days_of(developer_id, rows), batch_size=1000)
        developer_months_rebuild(developer_id, days)
        DailyActivity.objects.filter(developer_id=developer_id, day__in=days).delete()
        DailyActivity.objects.bulk_create(activity, batch_size=1000)
        replaced = SessionDay.objects.filter(developer_id=developer_id, day__in=days)
        before = set(replaced.values_list("session_id", flat=True))
        replaced.delete()
        SessionDay.objects.bulk_create(sessions, batch_size=1000)
        session_months_rebuild(developer_id, days, before)
        HourlyCost.objects.filter(developer_id=developer_id, day__in=days).delete()
        HourlyCost.objects.bulk_create(hours, batch_size=1000)
        DailyError.objects.filter(developer_id=developer_id, day__in=days).delete()
        DailyError.objects.bulk_create(_daily_errors(developer_id, start, end, days, tz), batch_size=1000)
        chargeback_rollup.dimension_costs_replace(developer_id, days, parts)
        # Requests and tokens per minute, for rate-limit planning (ratelimits.rollup).
        minute_usage_replace(developer_id, days, events=events, mixed=mixed, counted=counted, start=start, end=end,
                             tz=tz)
    return len(rows)


def _daily_errors(developer_id: int, start, end, days: set[date], tz) -> list[DailyError]:
    """The days' failed calls (ingest.FailedCall) counted per model and source: errors only, apart
    from DailyCost, so they never reach spend, requests, tokens or active days."""
    calls = FailedCall.objects.filter(developer_id=developer_id, timestamp__gte=start, timestamp__lt=end)
    groups = (
        calls.annotate(local_day=TruncDate("timestamp", tzinfo=tz))
        .values("local_day", "model", "source")
        .annotate(n=Count("pk"))
    )
    return [
        DailyError(developer_id=developer_id, day=g["local_day"], model=g["model"], source=g["source"], errors=g["n"])
        for g in groups
        if g["local_day"] in days
    ]


def _sums_of_aggregates(aggregates, days: set[date], tz, stored: dict) -> tuple[list[dict], list[SplitRecovery]]:
    """DailyCost sums of the days no per-request source reported: from each day's most trusted
    aggregate source only (rollups.dedupe.AGGREGATE_PRECEDENCE); and the SplitRecovery of each
    group whose cache writes came without their 5m/1h split (rollups.split, reusing ``stored``)."""
    fields = ("source", "start", "width", "model", "requests", "cost", "workspace", "api_key", *TOKEN_SUMS,
              *split.ROW_FIELDS)
    by_day: dict[date, list[dict]] = defaultdict(list)
    for row in aggregates.values(*fields):
        if not (row["requests"] or row["cost"] or row["reported_cost"] or any(row[f] for f in TOKEN_SUMS)):
            continue  # a bucket of zeros (an Admin API row with no usage): no request, no cost, no source
        day = bucket_day(row["start"], row["width"], tz)
        if day in days:
            by_day[day].append(row)
    groups: dict[tuple, dict] = {}
    members: dict[tuple, list[dict]] = defaultdict(list)
    for day, day_rows in by_day.items():
        source = preferred_source((r["source"] for r in day_rows), AGGREGATE_PRECEDENCE)
        for row in day_rows:
            if row["source"] != source:
                continue
            key = (day, row["model"], source)
            members[key].append(row)
            g = groups.setdefault(key, {
                "local_day": day, "model": row["model"], "source": source, "n_requests": 0, "n_sessions": 0,
                "n_unpriced": 0, "total_cost": Decimal(0), **{f"sum_{f}": 0 for f in TOKEN_SUMS},
            })
            g["n_requests"] += row["requests"] or 0
            for f in TOKEN_SUMS:
                g[f"sum_{f}"] += row[f]
            if row["cost"] is None:
                g["n_unpriced"] += row["requests"] or 1
            else:
                g["total_cost"] += row["cost"]
    table, recoveries = None, []
    for key, g in groups.items():
        if any(split.hides_split(row) for row in members[key]):
            table = table or rate_table()
            recoveries.append(split.group_split(g, members[key], stored.get(key, {}), table))
        g["members"] = members[key]  # chargeback.rollup splits the group by workspace and key
    return list(groups.values()), recoveries


def _activity_of(developer_id: int, records, days: set[date], tz) -> list[DailyActivity]:
    """Each day's activity, from its most trusted source (rollups.dedupe.ACTIVITY_PRECEDENCE)."""
    by_day: dict[date, list[dict]] = defaultdict(list)
    for row in records.values("source", "start", "width", *ACTIVITY_SUMS):
        day = bucket_day(row["start"], row["width"], tz)
        if day in days:
            by_day[day].append(row)
    out = []
    for day, day_rows in sorted(by_day.items()):
        source = preferred_source((r["source"] for r in day_rows), ACTIVITY_PRECEDENCE)
        sums = {f: sum((r[f] for r in day_rows if r["source"] == source), 0) for f in ACTIVITY_SUMS}
        out.append(DailyActivity(developer_id=developer_id, day=day, source=source, **sums))
    return out


def _sums_in_database(events):
    return events.values("local_day", "model", "source").annotate(
        **{f"sum_{f}": Sum(f) for f in TOKEN_SUMS},
        n_requests=Count("pk"),
        n_sessions=Count("session_id", distinct=True, filter=~Q(session_id="")),
        n_unpriced=Count("pk", filter=Q(cost__isnull=True)),
        total_cost=Sum("cost"),
    )


def _counted(events) -> list[dict]:
    """The events of mixed-source days, one per request (rollups.dedupe)."""
    fields = {
        "dedupe_key", "source", "request_id", "message_id", "local_day", "model", "project", "dimensions",
        *TOKEN_SUMS, *SESSION_FIELDS,
    }
    return counted_events(list(events.values(*sorted(fields))))


def _sums_of_counted(counted: list[dict]) -> list[dict]:
    """The same sums as _sums_in_database, over the events counted once per request."""
    groups: dict[tuple, dict] = {}
    sessions: dict[tuple, set] = defaultdict(set)
    for event in counted:
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


def developer_days_of(developer_id: int, rows: Iterable[DailyCost]) -> list[DeveloperDay]:
    """The DeveloperDay totals of one developer's DailyCost rows, a row per day they cover."""
    days: dict[date, DeveloperDay] = {}
    sources: dict[date, set[str]] = defaultdict(set)
    for row in rows:
        total = days.get(row.day)
        if total is None:
            total = days[row.day] = DeveloperDay(developer_id=developer_id, day=row.day, cost=Decimal(0))
        total.cost += row.cost or 0
        total.active = total.active or bool(row.cost) or any(getattr(row, f) for f in USAGE_FIELDS)
        sources[row.day].add(row.source)
        if row.cache_split == "assumed" or (row.cache_split and not total.cache_split):
            total.cache_split = row.cache_split  # the least certain of its rows
    for day, total in days.items():
        total.sources = ",".join(sorted(sources[day]))
    return list(days.values())


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
        cache_split=g.get("cache_split", ""),
        split_bound_tokens=g.get("split_bound", 0),
    )
