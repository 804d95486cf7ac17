"""Sessions: the month's most expensive, one session's requests, and sessions unusual for their developer.

Lists rank sessions from SessionTotal and read their figures from SessionDay (rollups); one session's
page reads that session's requests (UsageEvent), bounded by REQUEST_CAP, each request counted once
as the rollups count it (rollups.dedupe).

Unusual for its developer (``flags``), over *their own* sessions, never the team's:

- the *baseline* of a session is the developer's other sessions with usage in the BASELINE_DAYS
  days ending on the session's last day (their usage on those days only), each with at least
  MIN_FLAG_REQUESTS priced requests; it needs MIN_BASELINE_SESSIONS of them, else nothing is flagged;
- *low cache hit rate*: the session's hit rate (cache reads over all input tokens) is more than
  FAR_HIT_POINTS (10 percentage points) under the baseline's 10th percentile (its P10: 9 in 10 of
  their sessions reach it);
- *high cost per turn*: its cost per priced request is more than FAR_COST (1.5) times the
  baseline's 90th percentile (its P90: 9 in 10 of their sessions stay under it);
- "far": beyond the P10 / P90 alone, the most extreme of any handful of sessions would always be
  flagged (it is beyond the percentile of the others), so a margin keeps flags for real outliers;
- a session with fewer than MIN_FLAG_REQUESTS priced requests is never flagged (one or two turns
  start cold: no cache to read yet).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce
import operator
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum

from costdash.ingest.models import UsageEvent
from costdash.ingest.parsers.dimensions import repository_of

from ..dedupe import counted_events
from ..models import SessionDay, SessionSpan, SessionTotal
from ..scope import Scope
from ..session_months import month_of
from ..thresholds import percentile

REQUEST_CAP = 5_000  # a session page reads at most this many requests (a session has a few thousand)
EVENT_CAP = 3 * REQUEST_CAP  # stored copies read for them (one request may come from three sources)
TOP_DEFAULT, TOP_MAX = 25, 100
BASELINE_DAYS = 30
MIN_FLAG_REQUESTS = 5
MIN_BASELINE_SESSIONS = 5
HIGH, LOW = Decimal("0.9"), Decimal("0.1")
FAR_COST = Decimal("1.5")  # times the P90 of cost per turn
FAR_HIT_POINTS = Decimal("0.10")  # under the P10 of hit rate
LOW_HIT_RATE, HIGH_COST_PER_TURN = "low_hit_rate", "high_cost_per_turn"
EVENT_FIELDS = ("dedupe_key", "source", "request_id", "message_id", "timestamp", "model", "project",
                "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                "cache_write_1h_tokens", "cost")


class Baseline(NamedTuple):
    sessions: int  # the sessions it was taken over
    hit_rate_p10: Decimal | None
    cost_per_turn_p90: Decimal | None


class Flag(NamedTuple):
    kind: str  # LOW_HIT_RATE or HIGH_COST_PER_TURN
    text: str  # what it is against: "Cache hit rate 4% — under their usual (P10 81%)"


def session_figures(row: dict) -> dict:
    """``row`` (sums: cost, requests, unpriced_requests, input_tokens, cache_read_tokens,
    cache_write_tokens) with ``hit_rate`` (None without input) and ``cost_per_turn`` (cost per
    priced request; None without one) added."""
    all_input = row["input_tokens"] + row["cache_read_tokens"] + row["cache_write_tokens"]
    priced = row["requests"] - row["unpriced_requests"]
    return row | {
        "hit_rate": Decimal(row["cache_read_tokens"]) / Decimal(all_input) if all_input else None,
        "cost_per_turn": Decimal(row["cost"]) / priced if priced else None,
        "priced_requests": priced,
    }


SUM_FIELDS = ("cost", "requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_read_tokens",
              "cache_write_tokens")


def _sums():
    return {name: Sum(name) for name in SUM_FIELDS}


def top_sessions(scope: Scope, limit: int = TOP_DEFAULT) -> list[dict]:
    """The scope's sessions by cost inside its range, highest first, at most ``limit`` (<= TOP_MAX).

    Row keys: developer_id, session_id, first_at, last_at, last_day, project (the repository, or
    the first of several with ``projects`` > 1), projects, the SUMS, hit_rate, cost_per_turn,
    priced_requests, flags ([Flag]), baseline (Baseline). Ranked by ``ranked_sessions`` (reading
    about the rows shown, whatever the range), then only the ranked sessions' SessionDay rows are
    read for their figures and baselines.
    """
    days = scope.session_days()
    if scope.project:  # SessionDay is per project: a session's part in the chosen project
        days = days.filter(project__in=scope.repositories)
    ranked = ranked_sessions(scope, min(limit, TOP_MAX))
    if not ranked:
        return []
    wanted = set(ranked)
    figures = {
        (row["developer_id"], row["session_id"]): row for row in
        days.filter(developer_id__in={dev for dev, _ in ranked}, session_id__in={sid for _, sid in ranked})
        .values("developer_id", "session_id")
        .annotate(first_at=Min("first_at"), last_at=Max("last_at"), last_day=Max("day"),
                  repository=Max("project"), projects=Count("project", distinct=True), **_sums())
        .order_by()
        if (row["developer_id"], row["session_id"]) in wanted  # the two IN lists also match other pairs
    }
    rows = [session_figures(figures[key]) for key in ranked]
    for row in rows:
        row["project"] = row.pop("repository")
    sessions_flag(rows)
    return rows


RANK_FIELDS = ("developer_id", "session_id", "cost", "requests")
RANK_ORDER = ("-cost", "-requests", "session_id")


def ranked_sessions(scope: Scope, limit: int) -> list[tuple[int, str]]:
    """(developer_id, session_id) of the scope's ``limit`` sessions with the highest cost inside its
    range (then most requests, then session id): every session with a SessionDay row in range (of the
    chosen project) ranked on the sums of those rows.

    From SessionTotal (a row a session, rollups.session_months): a session lying wholly in the range
    (and, with a project filter, of one project) has its whole figures in range, so the top ``limit``
    of those come from an index in cost order, reading about as many rows as are shown. The others
    (a session of several days reaching outside the range; with a project filter, a session of
    several projects with a SessionSpan row of the project in the range's months) have their part
    in range (and project) summed from their SessionDay rows, only those whose ``cost_bound`` (no
    part of a session costs more) reaches the ``limit``-th cost of the first list: a handful.
    """
    totals = scope.of_developers(SessionTotal.objects.all())
    # Both days in the range (first <= last), said so the planner sees about how many: the first day's
    # range (few in a short range in the past: then the days index; many in a recent or long one: then
    # the cost index), the last day's end (bounding it from below too would square a short range's share).
    inside = totals.filter(first_day__gte=scope.since, first_day__lte=scope.until, last_day__lte=scope.until)
    if scope.project:
        inside = inside.filter(projects=1)
        whole = [inside.filter(project=repository).order_by(*RANK_ORDER).values_list(*RANK_FIELDS)[:limit]
                 for repository in scope.repositories]
    else:
        whole = [inside.order_by(*RANK_ORDER).values_list(*RANK_FIELDS)[:limit]]
    candidates = {(dev, sid): (cost, requests) for rows in whole for dev, sid, cost, requests in rows}
    if len(candidates) >= limit:  # a session under the limit-th cost of these cannot be shown
        totals = totals.filter(cost_bound__gte=sorted(cost for cost, _ in candidates.values())[-limit])
    several_days = totals.filter(first_day__lt=F("last_day")).values_list("developer_id", "session_id")
    others = set(  # over the range's first day, or its last: each from the (last_day, first_day) index
        several_days.filter(last_day__gte=scope.since, first_day__lt=scope.since)
        .union(several_days.filter(last_day__gt=scope.until, first_day__lte=scope.until))
    )
    if scope.project:
        spans = SessionSpan.objects.filter(developer_id=OuterRef("developer_id"), session_id=OuterRef("session_id"),
                                           project__in=scope.repositories, month__gte=month_of(scope.since),
                                           month__lte=month_of(scope.until))
        others |= set(totals.filter(projects__gt=1, first_day__lte=scope.until, last_day__gte=scope.since)
                      .filter(Exists(spans)).values_list("developer_id", "session_id"))
    candidates |= _sums_in_range(scope, others)  # none of them in the first list (not wholly inside, or projects > 1)
    ranked = sorted(candidates.items(), key=lambda item: (-item[1][0], -item[1][1], item[0][1]))
    return [key for key, _ in ranked[:limit]]


# LATERAL: a look-up of each pair's rows in the (developer, session_id, day) index, never a scan of
# every row in range joined to the pairs (the planner's choice for a plain join of ~10,000 pairs).
_SUMS_OF_PAIRS = """
SELECT o.developer_id, o.session_id, s.cost, s.requests
FROM unnest(%s::bigint[], %s::varchar[]) AS o (developer_id, session_id)
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS n, SUM(d.cost) AS cost, SUM(d.requests) AS requests FROM {days} d
    WHERE d.developer_id = o.developer_id AND d.session_id = o.session_id AND d.day >= %s AND d.day <= %s{project}
) AS s
WHERE s.n > 0
"""


def _sums_in_range(scope: Scope, sessions: set[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
    """(developer_id, session_id) -> (cost, requests) of ``sessions``' SessionDay rows in the scope's
    range (and project), for those with any. On PostgreSQL the pairs are joined (a look-up each in
    the (developer, session_id, day) index), elsewhere two IN lists filtered to the pairs."""
    if not sessions:
        return {}
    if connection.vendor == "postgresql":
        pairs = sorted(sessions)
        params = [[dev for dev, _ in pairs], [sid for _, sid in pairs], scope.since, scope.until]
        if scope.project:
            params.append(list(scope.repositories))
        sql = _SUMS_OF_PAIRS.format(days=connection.ops.quote_name(SessionDay._meta.db_table),
                                    project=" AND d.project = ANY(%s::varchar[])" if scope.project else "")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {(dev, sid): (cost, requests) for dev, sid, cost, requests in cursor.fetchall()}
    days = SessionDay.objects.filter(day__gte=scope.since, day__lte=scope.until)
    if scope.project:
        days = days.filter(project__in=scope.repositories)
    return {
        (row["developer_id"], row["session_id"]): (row["cost"], row["requests"]) for row in
        days.filter(developer_id__in={dev for dev, _ in sessions}, session_id__in={sid for _, sid in sessions})
        .values("developer_id", "session_id").annotate(cost=Sum("cost"), requests=Sum("requests")).order_by()
        if (row["developer_id"], row["session_id"]) in sessions  # the two IN lists also match other pairs
    }


def sessions_flag(rows: list[dict]) -> None:
    """Add ``baseline`` and ``flags`` to each row (developer_id, session_id, last_day and the
    session_figures of its sums): one query for all of them, none without rows."""
    if not rows:
        return
    windows: dict[int, list[date]] = defaultdict(list)
    for row in rows:
        windows[row["developer_id"]].append(row["last_day"])
    history = baseline_history(windows)
    for row in rows:
        row["baseline"] = baseline_of(history.get(row["developer_id"], []), row["session_id"], row["last_day"])
        row["flags"] = flags(row, row["baseline"])


def baseline_history(last_days: dict[int, list[date]]) -> dict[int, list[dict]]:
    """developer id -> their SessionDay rows (session_id, day, the sums) on the BASELINE_DAYS days
    ending on each of ``last_days[developer id]`` (overlapping windows merged): only the days a
    baseline reads, not every day between a developer's first and last ranked session."""
    spans = reduce(operator.or_, (Q(developer_id=dev, day__gte=since, day__lte=until)
                                  for dev, ends in last_days.items() for since, until in _merged_windows(ends)))
    out: dict[int, list[dict]] = defaultdict(list)
    rows = SessionDay.objects.filter(spans).values("developer_id", "session_id", "day").annotate(**_sums()).order_by()
    for row in rows:
        out[row.pop("developer_id")].append(row)
    return out


def _merged_windows(ends: list[date]) -> list[tuple[date, date]]:
    """The (since, until) spans covering the BASELINE_DAYS days up to each of ``ends``, overlapping
    or touching windows merged."""
    spans: list[tuple[date, date]] = []
    for end in sorted(set(ends)):
        since = end - timedelta(days=BASELINE_DAYS - 1)
        if spans and since <= spans[-1][1] + timedelta(days=1):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((since, end))
    return spans


def baseline_of(history: list[dict], session_id: str, last_day: date) -> Baseline:
    """The baseline (module docstring) of ``session_id``, ending on ``last_day``, from its
    developer's baseline_history rows."""
    since = last_day - timedelta(days=BASELINE_DAYS - 1)
    sessions: dict[str, dict] = {}
    for row in history:
        if row["session_id"] == session_id or not since <= row["day"] <= last_day:
            continue
        held = sessions.setdefault(row["session_id"], dict.fromkeys(SUM_FIELDS, 0))
        for name in held:
            held[name] += row[name] or 0
    figures = [session_figures(s) for s in sessions.values()]
    figures = [f for f in figures if f["priced_requests"] >= MIN_FLAG_REQUESTS]
    if len(figures) < MIN_BASELINE_SESSIONS:
        return Baseline(len(figures), None, None)
    return Baseline(
        len(figures),
        percentile([f["hit_rate"] for f in figures if f["hit_rate"] is not None], LOW),
        percentile([f["cost_per_turn"] for f in figures], HIGH),
    )


def flags(figures: dict, baseline: Baseline) -> list[Flag]:
    """What is unusual about a session (session_figures) against its developer's baseline."""
    if figures["priced_requests"] < MIN_FLAG_REQUESTS:
        return []
    out = []
    rate, usual_rate = figures["hit_rate"], baseline.hit_rate_p10
    if rate is not None and usual_rate is not None and rate < usual_rate - FAR_HIT_POINTS:
        out.append(Flag(LOW_HIT_RATE, f"Cache hit rate {_percent(rate)}: far under their usual "
                                      f"(9 in 10 of their sessions reach {_percent(usual_rate)})"))
    cost, usual_cost = figures["cost_per_turn"], baseline.cost_per_turn_p90
    if cost is not None and usual_cost is not None and cost > usual_cost * FAR_COST:
        out.append(Flag(HIGH_COST_PER_TURN, f"${cost:,.4f} per turn: far over their usual "
                                            f"(9 in 10 of their sessions stay under ${usual_cost:,.4f})"))
    return out


def _percent(value: Decimal) -> str:
    return f"{value * 100:.0f}%"


def session_developer_ids(session_id: str, developers) -> list[int]:
    """The developers among ``developers`` (a queryset) with a session of this id, most recent first."""
    rows = (
        SessionDay.objects.filter(session_id=session_id, developer__in=developers)
        .values("developer_id").annotate(last=Max("last_at")).order_by("-last", "developer_id")
    )
    return [row["developer_id"] for row in rows]


def session_summary(developer_id: int, session_id: str) -> dict | None:
    """One session's whole figures (every day of it, whatever the range): first_at, last_at,
    last_day, days, the sums, hit_rate, cost_per_turn, priced_requests, baseline, flags. None if none."""
    row = next(iter(
        SessionDay.objects.filter(developer_id=developer_id, session_id=session_id)
        .values("developer_id", "session_id")
        .annotate(first_at=Min("first_at"), last_at=Max("last_at"), last_day=Max("day"),
                  days=Count("day", distinct=True), **_sums())
        .order_by()
    ), None)
    if row is None:
        return None
    row = session_figures(row)
    sessions_flag([row])
    return row


class SessionRequests(NamedTuple):
    rows: list[dict]  # EVENT_FIELDS, time order, one per request (the copy the rollups count)
    capped: bool  # more requests than REQUEST_CAP (or stored copies than EVENT_CAP): rows are the first
    projects: list[tuple[str, int]]  # (repository, requests) most requests first


def session_requests(developer_id: int, session_id: str, first_at: datetime, last_at: datetime) -> SessionRequests:
    """The session's requests, counted once, at most REQUEST_CAP of them (the first in time)."""
    events = list(
        UsageEvent.objects.filter(developer_id=developer_id, timestamp__gte=first_at, timestamp__lte=last_at,
                                  session_id=session_id)
        .order_by("timestamp", "dedupe_key").values(*EVENT_FIELDS)[: EVENT_CAP + 1]
    )
    capped = len(events) > EVENT_CAP
    counted = sorted(counted_events(events[:EVENT_CAP]), key=lambda e: (e["timestamp"], e["dedupe_key"]))
    capped = capped or len(counted) > REQUEST_CAP
    counted = counted[:REQUEST_CAP]
    projects: dict[str, int] = defaultdict(int)
    for event in counted:
        projects[repository_of(event["project"])] += 1  # "" is UNKNOWN_PROJECT
    return SessionRequests(counted, capped, sorted(projects.items(), key=lambda p: (-p[1], p[0])))
