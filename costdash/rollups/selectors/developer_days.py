"""Developer-days of a scope, folded per developer in one pass: what the Overview and Developers pages
build on, lean enough for a year of a 200-person team (~50K developer-days) in one request.

A developer-day is the sum of a developer's DailyCost rows (one per model and source) for a day. It
is *active* when it has any usage: a request, an unpriced request, a token or a cost (as in
selectors.spend). Costs exclude unpriced requests: unknown, not $0.

One query (DeveloperDay; under a model filter, DailyCost grouped) returns plain tuples; no per-day
dicts, no per-day names. Names are fetched once per developer (spend._names).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, Sum

from costdash.lib.money import ZERO
from costdash.rollups.models import USAGE_FIELDS
from costdash.rollups.scope import Scope
from costdash.rollups.thresholds import percentile

from .spend import P90, _names

# Any usage (models.USAGE_FIELDS summed); with the cost, what makes a day active.
USAGE = sum((F(f) for f in USAGE_FIELDS[1:]), F(USAGE_FIELDS[0]))


@dataclass(slots=True)
class DeveloperDays:
    """One developer's developer-days in a scope. ``days``: (day, cost) of every developer-day with
    a rollup row, in no order; ``costs``: the costs of the active ones."""

    developer_id: int
    spend: Decimal = ZERO
    active_days: int = 0
    days_over_ceiling: int = 0
    worst_day: date | None = None
    worst_day_cost: Decimal | None = None
    days: list[tuple[date, Decimal]] = field(default_factory=list)
    costs: list[Decimal] = field(default_factory=list)

    @property
    def average_per_active_day(self) -> Decimal | None:
        return self.spend / self.active_days if self.active_days else None


def day_rows(scope: Scope, with_sources: bool = False, by_project: bool = False) -> list[tuple]:
    """(developer_id, day, cost, active) per developer-day of the scope, in no order: read from
    DeveloperDay (the recompute's per-day totals) when every model counts, else grouped from the
    model's DailyCost rows. Plain columns only: at a year of a large team, converting each value
    costs more than the SQL. ``with_sources`` (no model filter only): a fifth item, the day's
    DeveloperDay.sources. ``by_project`` (the pages that narrow by project): under a project
    filter, grouped from Scope.costs() (the project's share of each day; active: any usage in it)."""
    narrowed = by_project and bool(scope.project)
    if not scope.model and not narrowed:
        columns = ("developer_id", "day", "cost", "active") + (("sources",) if with_sources else ())
        return list(scope.developer_days().values_list(*columns).order_by())
    if with_sources:
        raise ValueError("DeveloperDay.sources covers every model: not available under a model or project filter")
    grouped = (
        (scope.costs() if narrowed else scope.daily_costs()).values_list("developer_id", "day")
        .annotate(cost=Sum("cost"), usage=Sum(USAGE))
        .order_by()
    )
    return [(developer_id, day, cost or ZERO, bool(usage or cost)) for developer_id, day, cost, usage in grouped]


def fold(rows: Iterable[tuple], ceiling: Decimal) -> dict[int, DeveloperDays]:
    """developer id -> their DeveloperDays. A day is over the ceiling when cost > ceiling; the worst
    day is the costliest (the earliest of equally costly ones)."""
    out: dict[int, DeveloperDays] = {}
    for developer_id, day, cost, active, *_ in rows:
        dev = out.get(developer_id)
        if dev is None:
            dev = out[developer_id] = DeveloperDays(developer_id)
        dev.spend += cost
        dev.days.append((day, cost))
        if active:
            dev.active_days += 1
            dev.costs.append(cost)
        if cost > ceiling:
            dev.days_over_ceiling += 1
        worst = dev.worst_day_cost
        if worst is None or cost > worst or (cost == worst and day < dev.worst_day):
            dev.worst_day, dev.worst_day_cost = day, cost
    return out


def developer_days(scope: Scope, ceiling: Decimal, by_project: bool = False) -> dict[int, DeveloperDays]:
    """fold(day_rows(scope, by_project=by_project)): one query."""
    return fold(day_rows(scope, by_project=by_project), ceiling)


def summary(folded: dict[int, DeveloperDays]) -> dict:
    """Totals. Keys: spend, developers (with an active day), active_days (active developer-days),
    average_per_active_day (None with none), days_over_ceiling."""
    devs = folded.values()
    spend = sum((dev.spend for dev in devs), ZERO)
    active_days = sum(dev.active_days for dev in devs)
    return {
        "spend": spend,
        "developers": sum(1 for dev in devs if dev.active_days),
        "active_days": active_days,
        "average_per_active_day": spend / active_days if active_days else None,
        "days_over_ceiling": sum(dev.days_over_ceiling for dev in devs),
    }


def active_costs(folded: dict[int, DeveloperDays]) -> list[Decimal]:
    """The cost of every active developer-day, lowest first."""
    return sorted(cost for dev in folded.values() for cost in dev.costs)


def developer_rows(folded: dict[int, DeveloperDays]) -> list[dict]:
    """One dict per developer, most spend first, then by name (one query for the names).

    Keys: developer_id, developer (display name), team (name or ""), spend, active_days,
    average_per_active_day, p90 (of their active days; None with none), worst_day,
    worst_day_cost, days_over_ceiling.
    """
    names = _names(set(folded))
    rows = [
        {
            "developer_id": dev.developer_id,
            "developer": names.get(dev.developer_id, ("?", ""))[0],  # "?" only if deleted between queries
            "team": names.get(dev.developer_id, ("?", ""))[1],
            "spend": dev.spend,
            "active_days": dev.active_days,
            "average_per_active_day": dev.average_per_active_day,
            "p90": percentile(dev.costs, P90),
            "worst_day": dev.worst_day,
            "worst_day_cost": dev.worst_day_cost,
            "days_over_ceiling": dev.days_over_ceiling,
        }
        for dev in folded.values()
    ]
    return sorted(rows, key=lambda row: (-row["spend"], row["developer"].lower(), row["developer_id"]))


def daily_points(folded: dict[int, DeveloperDays], rows: list[dict]) -> list[dict]:
    """The (developer_id, developer, day, cost) rows charts.spend draws, for the developers of
    ``rows`` (developer_rows) only, by day."""
    return [
        {"developer_id": row["developer_id"], "developer": row["developer"], "day": day, "cost": cost}
        for row in rows
        for day, cost in sorted(folded[row["developer_id"]].days)
    ]
