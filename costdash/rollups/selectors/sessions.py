"""Sessions: the month's most expensive, one session's requests, and sessions unusual for their developer.

Lists read SessionDay (rollups); one session's page reads that session's requests (UsageEvent),
bounded by REQUEST_CAP, each request counted once as the rollups count it (rollups.dedupe).

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

from django.db.models import Count, Max, Min, Q, Sum

from costdash.ingest.models import UsageEvent
from costdash.ingest.parsers.dimensions import repository_of

from ..dedupe import counted_events
from ..models import SessionDay
from ..scope import Scope
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
    priced_requests, flags ([Flag]), baseline (Baseline). Three queries whatever ``limit``: the
    ranking groups every session in range on cost and requests alone (in the order of the
    (developer, session_id, day) index: no sort of every row, a top-N heap for the LIMIT), then only
    the ranked sessions' rows are read for their figures and baselines.
    """
    days = scope.session_days()
    if scope.project:  # SessionDay is per project: a session's part in the chosen project
        days = days.filter(project__in=scope.repositories)
    ranked = [
        (row["developer_id"], row["session_id"]) for row in
        days.values("developer_id", "session_id").annotate(cost=Sum("cost"), requests=Sum("requests"))
        .order_by("-cost", "-requests", "session_id")[: min(limit, TOP_MAX)]
    ]
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
