"""Per-session rollups: each session's requests, cost, tokens and time span per day.

Built in the same recompute as DailyCost, from the same requests: summed in the database for a
day with one source, and from the counted events (one per request, rollups.dedupe) otherwise.
Events with no session id belong to no session. A session's row is per project too (the
repository of its working directory, parsers.dimensions.repository_of), so the Projects page
counts the sessions of a project; several directories of one repository make one row.
"""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum

from costdash.ingest.parsers.dimensions import repository_of

from .models import SessionDay

SESSION_FIELDS = ("session_id", "timestamp", "local_day", "cost", "input_tokens", "output_tokens",
                  "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "project")
SUMS = ("requests", "unpriced_requests", "cost", "input_tokens", "output_tokens", "cache_read_tokens",
        "cache_write_tokens")


def session_days_in_database(developer_id: int, events) -> list[SessionDay]:
    """SessionDay rows of single-source days (``events`` annotated with local_day)."""
    grouped = (
        events.exclude(session_id="")
        .values("local_day", "session_id", "project")
        .annotate(
            n=Count("pk"), unpriced=Count("pk", filter=Q(cost__isnull=True)), total=Sum("cost"),
            inp=Sum("input_tokens"), out=Sum("output_tokens"), read=Sum("cache_read_tokens"),
            w5=Sum("cache_write_5m_tokens"), w1=Sum("cache_write_1h_tokens"), first=Min("timestamp"),
            last=Max("timestamp"),
        )
        .order_by()
    )
    return _merged([
        SessionDay(
            developer_id=developer_id, day=g["local_day"], session_id=g["session_id"],
            project=repository_of(g["project"]), requests=g["n"],
            unpriced_requests=g["unpriced"], cost=g["total"] or 0, input_tokens=g["inp"] or 0,
            output_tokens=g["out"] or 0, cache_read_tokens=g["read"] or 0,
            cache_write_tokens=(g["w5"] or 0) + (g["w1"] or 0), first_at=g["first"], last_at=g["last"],
        )
        for g in grouped
    ])


def _merged(rows: list[SessionDay]) -> list[SessionDay]:
    """One row per (day, session, repository): directories of one repository summed."""
    out: dict[tuple, SessionDay] = {}
    for row in rows:
        key = (row.day, row.session_id, row.project)
        held = out.get(key)
        if held is None:
            out[key] = row
            continue
        for name in SUMS:
            setattr(held, name, getattr(held, name) + getattr(row, name))
        held.first_at, held.last_at = min(held.first_at, row.first_at), max(held.last_at, row.last_at)
    return list(out.values())


def session_days_of_counted(developer_id: int, counted: list[dict]) -> list[SessionDay]:
    """SessionDay rows from counted events (dicts with SESSION_FIELDS)."""
    rows: dict[tuple, SessionDay] = {}
    for e in counted:
        if not e["session_id"]:
            continue
        key = (e["local_day"], e["session_id"], repository_of(e["project"]))
        row = rows.get(key)
        if row is None:
            row = rows[key] = SessionDay(
                developer_id=developer_id, day=key[0], session_id=key[1], project=key[2], cost=Decimal(0),
                first_at=e["timestamp"], last_at=e["timestamp"],
            )
        row.requests += 1
        if e["cost"] is None:
            row.unpriced_requests += 1
        else:
            row.cost += e["cost"]
        row.input_tokens += e["input_tokens"]
        row.output_tokens += e["output_tokens"]
        row.cache_read_tokens += e["cache_read_tokens"]
        row.cache_write_tokens += e["cache_write_5m_tokens"] + e["cache_write_1h_tokens"]
        row.first_at, row.last_at = min(row.first_at, e["timestamp"]), max(row.last_at, e["timestamp"])
    return list(rows.values())
