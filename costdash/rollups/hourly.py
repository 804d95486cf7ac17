"""Per-hour rollups: each developer's requests and cost per org-local day and wall-clock hour.

Built in the same recompute as DailyCost (rollups.services.daily_cost_recompute), from the same
requests: summed in the database for a day with one source, and from the counted events (one per
request, rollups.dedupe) otherwise, so an hour never counts a request twice. Daily reports
(UsageAggregate) carry no hour and give no HourlyCost rows.

The hour is the wall-clock hour in the org's time zone, as the day is (lib.dates): a repeated hour
(clocks going back) is one hour of the day, a skipped one (clocks going forward) has no row.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour

from .models import HourlyCost

# What a counted event (rollups.services._counted) needs for its hour: all in SESSION_FIELDS.
HOURLY_FIELDS = ("timestamp", "local_day", "cost")


def local_hour(ts: datetime, tz: ZoneInfo) -> int:
    """The wall-clock hour (0-23) of an aware timestamp in the org's time zone."""
    return ts.astimezone(tz).hour


def hourly_costs_in_database(developer_id: int, events, tz: ZoneInfo) -> list[HourlyCost]:
    """HourlyCost rows of single-source days (``events`` annotated with local_day, already
    limited to those days)."""
    grouped = (
        events.annotate(local_hour=ExtractHour("timestamp", tzinfo=tz))
        .values("local_day", "local_hour")
        .annotate(n=Count("pk"), unpriced=Count("pk", filter=Q(cost__isnull=True)), total=Sum("cost"))
        .order_by()
    )
    return [
        HourlyCost(
            developer_id=developer_id, day=g["local_day"], hour=g["local_hour"], requests=g["n"],
            unpriced_requests=g["unpriced"], cost=g["total"] or 0,
        )
        for g in grouped
    ]


def hourly_costs_of_counted(developer_id: int, counted: list[dict], tz: ZoneInfo) -> list[HourlyCost]:
    """HourlyCost rows from counted events (dicts with HOURLY_FIELDS), one request each."""
    rows: dict[tuple, HourlyCost] = {}
    for e in counted:
        key = (e["local_day"], local_hour(e["timestamp"], tz))
        row = rows.get(key)
        if row is None:
            row = rows[key] = HourlyCost(developer_id=developer_id, day=key[0], hour=key[1], cost=Decimal(0))
        row.requests += 1
        if e["cost"] is None:
            row.unpriced_requests += 1
        else:
            row.cost += e["cost"]
    return list(rows.values())
