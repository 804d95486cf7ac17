"""DailyDimensionCost rows, built by rollups.services.daily_cost_recompute from the very sums it
builds DailyCost from, split further by dimensions, so both tables count the same requests once.

Three kinds of sums, as for DailyCost:
- days with one per-request source: summed in the database, grouped by project and dimensions too;
- days with several: the events counted once (rollups.dedupe), grouped here;
- days with daily aggregates only: the aggregate rows of each DailyCost group (``members``), split
  by workspace and API key. Where the recompute changed a group's figures (a recovered cache-write
  split reprices it), its cost and 5m/1h writes are apportioned to the parts by largest remainder,
  so the parts still add up to the group exactly.

A row's dimensions are the request's (UsageEvent.dimensions) with ``project`` (the repository of
its working directory: parsers.dimensions.repository_of) and, for aggregates, ``workspace`` and
``api_key`` added; canonical JSON.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
import math

from django.db.models import Count, Q, Sum
import orjson

from costdash.ingest.parsers.dimensions import canonical, repository_of
from costdash.lib.dates import month_after

from .models import DailyDimensionCost, MonthlyCost, MonthlyDimensionCost, ProjectDeveloperDay, ProjectDeveloperMonth

TOKENS = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "cache_read_tokens", "web_search_requests",
)
FIGURES = ("cost", "requests", "unpriced_requests", *TOKENS)


def dimensions_key(project: str, stored: str | None, extra: dict | None = None) -> str:
    """The canonical dimensions of a row: the stored ones, the repository, and ``extra``."""
    found = orjson.loads(stored) if stored else {}
    found["project"] = repository_of(project)
    if extra:
        found.update({k: v for k, v in extra.items() if v})
    return canonical(found)


def event_sums(events) -> Iterable[dict]:
    """Per (day, model, source, project, dimensions): the figures of events summed in the database."""
    grouped = events.values("local_day", "model", "source", "project", "dimensions").annotate(
        **{t: Sum(t) for t in TOKENS},
        requests=Count("pk"),
        unpriced_requests=Count("pk", filter=Q(cost__isnull=True)),
        cost=Sum("cost"),
    ).order_by()
    for g in grouped:
        yield _part(g["local_day"], g["model"], g["source"], dimensions_key(g["project"], g["dimensions"]), g)


def counted_sums(counted: list[dict]) -> list[dict]:
    """The same, over events counted once per request (each with project and dimensions)."""
    return [
        _part(e["local_day"], e["model"], e["source"], dimensions_key(e["project"], e["dimensions"]), {
            **{t: e[t] for t in TOKENS}, "requests": 1, "unpriced_requests": int(e["cost"] is None),
            "cost": e["cost"],
        })
        for e in counted
    ]


def aggregate_sums(groups: list[dict]) -> list[dict]:
    """Per DailyCost group of daily aggregates (with its ``members``), one part per workspace and
    API key, adding up to the group's final figures (module docstring)."""
    out = []
    for g in groups:
        parts: dict[str, dict] = {}
        for row in g["members"]:
            key = dimensions_key("", None, {"workspace": row["workspace"], "api_key": row["api_key"]})
            part = parts.setdefault(key, dict.fromkeys(FIGURES, 0) | {"cost": Decimal(0)})
            part["requests"] += row["requests"] or 0
            part["unpriced_requests"] += (row["requests"] or 1) if row["cost"] is None else 0
            part["cost"] += row["cost"] or 0
            for t in TOKENS:
                part[t] += row[t]
        items = list(parts.values())
        _settle(items, "cost", g["total_cost"] or Decimal(0), [p["cost"] for p in items])
        writes = [p["cache_write_5m_tokens"] + p["cache_write_1h_tokens"] for p in items]
        if _settle(items, "cache_write_5m_tokens", g["sum_cache_write_5m_tokens"] or 0, writes):
            for p, w in zip(items, writes, strict=True):
                p["cache_write_1h_tokens"] = w - p["cache_write_5m_tokens"]
        out += [_part(g["local_day"], g["model"], g["source"], key, p) for key, p in zip(parts, items, strict=True)]
    return out


def _settle(items: list[dict], name: str, total, weights: list) -> bool:
    """Make ``items``' ``name`` add up to ``total``: unchanged when it already does, else ``total``
    apportioned by ``weights`` (returns True then)."""
    if sum((p[name] for p in items), type(total)(0)) == total:
        return False
    for p, share in zip(items, apportion(total, weights), strict=True):
        p[name] = share
    return True


def apportion(total: Decimal | int, weights: list) -> list:
    """``total`` split in proportion to ``weights`` (evenly when they are all 0) in whole units of
    its last decimal place, by largest remainder: the shares add up to ``total`` exactly."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    exponent = min(Decimal(total).as_tuple().exponent, 0) if isinstance(total, Decimal) else 0
    unit = Fraction(10) ** exponent
    units = Fraction(total) / unit
    whole = sum(Fraction(w) for w in weights)
    exact = [units * Fraction(w) / whole for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: int(units) - sum(shares)]:
        shares[i] += 1
    if isinstance(total, Decimal):
        return [Decimal(s).scaleb(exponent) for s in shares]
    return shares


def _part(day: date, model: str, source: str, key: str, figures: dict) -> dict:
    return {"day": day, "model": model, "source": source, "dimensions": key,
            **{f: figures.get(f) or 0 for f in FIGURES}}


def dimension_costs_replace(developer_id: int, days: set[date], parts: list[dict]) -> None:
    """Replace the developer's DailyDimensionCost rows of ``days`` with ``parts`` (merged by day,
    model, source and dimensions: several directories can be one repository), and their
    ProjectDeveloperDay rows (those rows' distinct projects a day). Call it inside the
    recompute's transaction, under its lock on the developer."""
    merged: dict[tuple, dict] = {}
    for p in parts:
        key = (p["day"], p["model"], p["source"], p["dimensions"])
        held = merged.get(key)
        if held is None:
            merged[key] = dict(p)
        else:
            for f in FIGURES:
                held[f] += p[f]
    keys = {p["dimensions"] for p in parts}
    projects = {key: (orjson.loads(key) if key else {}).get("project") or "" for key in keys}
    DailyDimensionCost.objects.filter(developer_id=developer_id, day__in=days).delete()
    DailyDimensionCost.objects.bulk_create(
        [DailyDimensionCost(developer_id=developer_id, project=projects[p["dimensions"]], **p)
         for p in merged.values() if p["day"] in days],
        batch_size=1000,
    )
    ProjectDeveloperDay.objects.filter(developer_id=developer_id, day__in=days).delete()
    ProjectDeveloperDay.objects.bulk_create(
        [ProjectDeveloperDay(developer_id=developer_id, day=day, project=project) for day, project in sorted(
            {(p["day"], projects[p["dimensions"]]) for p in merged.values() if p["day"] in days})],
        batch_size=1000,
    )
    monthly_costs_replace(developer_id, {day.replace(day=1) for day in days})


def monthly_costs_replace(developer_id: int, months: set[date]) -> None:
    """Rebuild the developer's MonthlyDimensionCost rows of ``months`` (first days) from their
    DailyDimensionCost rows, their ProjectDeveloperMonth rows from those, and their MonthlyCost rows
    (``monthly_cost_replace``): one grouped query a month and table. Same transaction and lock as the days."""
    MonthlyDimensionCost.objects.filter(developer_id=developer_id, month__in=months).delete()
    rows = []
    for month in sorted(months):
        sums = (
            DailyDimensionCost.objects.filter(developer_id=developer_id, day__gte=month, day__lt=month_after(month))
            .values("model", "project").annotate(**{f: Sum(f) for f in FIGURES}).order_by()
        )
        rows += [MonthlyDimensionCost(developer_id=developer_id, month=month, **s) for s in sums]
    MonthlyDimensionCost.objects.bulk_create(rows, batch_size=1000)
    ProjectDeveloperMonth.objects.filter(developer_id=developer_id, month__in=months).delete()
    ProjectDeveloperMonth.objects.bulk_create(
        [ProjectDeveloperMonth(developer_id=developer_id, month=month, project=project)
         for month, project in sorted({(row.month, row.project) for row in rows})],
        batch_size=1000,
    )
    monthly_cost_replace(developer_id, months)


def monthly_cost_replace(developer_id: int, months: set[date]) -> None:
    """Rebuild the developer's MonthlyCost rows of ``months`` (first days) from their DailyCost rows
    (which the recompute wrote just before, in the same transaction): one grouped query a month."""
    from costdash.rollups.models import DailyCost  # chargeback builds on rollups

    MonthlyCost.objects.filter(developer_id=developer_id, month__in=months).delete()
    rows = []
    for month in sorted(months):
        sums = (
            DailyCost.objects.filter(developer_id=developer_id, day__gte=month, day__lt=month_after(month))
            .values("model").annotate(**{f: Sum(f) for f in FIGURES}, daily_rows=Count("pk")).order_by()
        )
        rows += [MonthlyCost(developer_id=developer_id, month=month, **s) for s in sums]
    MonthlyCost.objects.bulk_create(rows, batch_size=1000)
