"""Developer-days folded in the database: what ``developer_days.fold`` does in Python, for the pages that
read a year of a large org (2,000 developers x 365 days is ~470,000 developer-days: converting and
folding them in Python takes seconds, grouping them in PostgreSQL a fraction of that).

The same figures, to the cent: sums are PostgreSQL's exact numeric sums; a percentile is the two values
either side of its rank, found in the database and interpolated by ``thresholds.percentile_between``
exactly as ``thresholds.percentile`` does; the histogram counts costs in half-dollar bins
(``FLOOR(cost * 2)``, exact), which every width of ``overview.BIN_WIDTHS`` (multiples of $0.50) merges
without splitting one. Used on PostgreSQL (``in_database()``); SQLite, the embedded default with a
demo's data, keeps the Python fold.

Every query reads ``relation(scope, by_project)``: (developer_id, day, cost, active) per developer-day,
as ``developer_days.day_rows`` reads them (DeveloperDay, or DailyCost / the project's
DailyDimensionCost grouped per developer-day under a model or project filter).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, F, Q, Sum, Value, When

from costdash.lib.dates import month_after
from costdash.rollups.models import DeveloperMonth, OrgDayBin, OrgDaySources
from costdash.rollups.scope import Scope
from costdash.rollups.thresholds import percentile_between, percentile_rank

from .developer_days import USAGE, DeveloperDays


def in_database() -> bool:
    """Whether the folds run in the database (PostgreSQL) rather than in Python."""
    return connection.vendor == "postgresql"


def relation(scope: Scope, by_project: bool = False) -> tuple[str, list]:
    """SQL and parameters of (developer_id, day, cost, active), one row per developer-day of the scope."""
    narrowed = by_project and bool(scope.project)
    if not scope.model and not narrowed:
        rows = scope.developer_days().values_list("developer_id", "day", "cost", "active").order_by()
        sql, params = rows.query.sql_with_params()
        return f"SELECT developer_id, day, cost, active FROM ({sql}) AS dd", list(params)
    grouped = (
        (scope.costs() if narrowed else scope.daily_costs()).values_list("developer_id", "day")
        .annotate(cost=Sum("cost"), usage=Sum(USAGE))
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    # day_rows: cost None -> 0; active = bool(usage or cost)
    return (
        "SELECT developer_id, day, COALESCE(cost, 0) AS cost, "
        f"(COALESCE(usage, 0) <> 0 OR COALESCE(cost, 0) <> 0) AS active FROM ({sql}) AS g",
        list(params),
    )


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def developer_totals(scope: Scope, ceiling: Decimal, by_project: bool = False) -> dict[int, DeveloperDays]:
    """developer id -> DeveloperDays with spend, active_days, days_over_ceiling and worst_day_cost (one
    grouped query; two when whole months are read from DeveloperMonth). ``days`` and ``costs`` stay empty
    and ``worst_day`` None: ``worst_days`` and ``p90s`` find them for the developers a page shows."""
    if not scope.model and not (by_project and scope.project) and ceiling >= 0:
        months = _whole_months(scope)
        if months is not None:
            return _totals_by_month(scope, ceiling, *months)
    sql, params = relation(scope, by_project)
    rows = _fetch(
        "SELECT developer_id, SUM(cost), COUNT(*) FILTER (WHERE active), COUNT(*) FILTER (WHERE cost > %s), "
        f"MAX(cost) FROM ({sql}) AS d GROUP BY developer_id",
        [ceiling, *params],
    )
    return {
        dev: DeveloperDays(dev, spend=spend, active_days=active, days_over_ceiling=over, worst_day_cost=worst)
        for dev, spend, active, over, worst in rows
    }


def _whole_months(scope: Scope) -> tuple[date, date] | None:
    from costdash.chargeback.projects import whole_months  # chargeback builds on rollups

    return whole_months(scope.since, scope.until)


def _totals_by_month(scope: Scope, ceiling: Decimal, first: date, last: date) -> dict[int, DeveloperDays]:
    """developer_totals over every model: the whole months ``first``..``last`` (first days) from
    DeveloperMonth, the days around them from DeveloperDay, summed in one query; the days over the
    ceiling counted apart (a day over a ceiling of 0 or more has a cost, so it is active: the partial
    index of active days' costs reads only them)."""
    months = scope.of_developers(DeveloperMonth.objects.filter(month__gte=first, month__lte=last)).values_list(
        "developer_id", "spend", "active_days", "worst_cost").order_by()
    around = scope.developer_days().filter(Q(day__lt=first) | Q(day__gte=month_after(last))).annotate(
        one=Case(When(active=True, then=Value(1)), default=Value(0)), worst=F("cost")).values_list(
        "developer_id", "cost", "one", "worst").order_by()
    month_sql, month_params = months.query.sql_with_params()
    day_sql, day_params = around.query.sql_with_params()
    rows = _fetch(
        f"SELECT developer_id, SUM(spend), SUM(active), MAX(worst) FROM (({month_sql}) UNION ALL ({day_sql})) "
        "AS parts (developer_id, spend, active, worst) GROUP BY developer_id",
        [*month_params, *day_params],
    )
    over = dict(scope.developer_days().filter(active=True, cost__gt=ceiling).values("developer_id")
                .annotate(n=Count("pk")).values_list("developer_id", "n").order_by())
    return {
        dev: DeveloperDays(dev, spend=spend, active_days=active, days_over_ceiling=over.get(dev, 0),
                           worst_day_cost=worst)
        for dev, spend, active, worst in rows
    }


def _developers_clause(developer_ids) -> tuple[str, list]:
    if developer_ids is None:
        return "", []
    return " AND developer_id = ANY(%s)", [list(developer_ids)]


def worst_days(scope: Scope, developer_ids, by_project: bool = False,
               worst_costs: dict[int, Decimal] | None = None) -> dict[int, date]:
    """developer id -> their costliest day (the earliest of equally costly ones), as fold finds it.

    ``worst_costs``: developer id -> that day's cost, as developer_totals found it: the earliest day at that
    cost is then looked up by a hash join (no sort of their year of days: 25 -> 9 ms for 100 developers'
    year). A developer it does not find (their days changed between the two queries) is sorted for."""
    sql, params = relation(scope, by_project)
    found: dict[int, date] = {}
    if worst_costs:
        devs = [dev for dev, cost in worst_costs.items() if cost is not None]
        found = dict(_fetch(
            f"SELECT d.developer_id, MIN(d.day) FROM ({sql}) AS d JOIN unnest(%s::bigint[], %s::numeric[]) AS "
            "w(developer_id, cost) ON d.developer_id = w.developer_id AND d.cost = w.cost GROUP BY d.developer_id",
            [*params, devs, [worst_costs[dev] for dev in devs]],
        ))
        developer_ids = [dev for dev in (worst_costs if developer_ids is None else developer_ids) if dev not in found]
        if not developer_ids:
            return found
    where, extra = _developers_clause(developer_ids)
    rows = _fetch(
        f"SELECT DISTINCT ON (developer_id) developer_id, day FROM ({sql}) AS d WHERE TRUE{where} "
        "ORDER BY developer_id, cost DESC, day",
        [*params, *extra],
    )
    return {**found, **dict(rows)}


def p90s(scope: Scope, developer_ids, q: Decimal, by_project: bool = False) -> dict[int, Decimal]:
    """developer id -> the q-percentile of their active days' costs (developers without one: absent).
    ``developer_ids`` None: every developer of the scope. One query: each developer's active days' costs
    sorted into an array (array_agg: 58 -> 20 ms for 100 developers' year, against a window over them),
    of which the two values either side of the rank are taken."""
    sql, params = relation(scope, by_project)
    where, extra = _developers_clause(developer_ids)
    rows = _fetch(
        "SELECT developer_id, n, costs[FLOOR((n - 1) * %s)::int + 1], costs[LEAST(FLOOR((n - 1) * %s)::int + 2, n)] "
        f"FROM (SELECT developer_id, COUNT(*) AS n, array_agg(cost ORDER BY cost) AS costs FROM ({sql}) AS d "
        f"WHERE active{where} GROUP BY developer_id) AS sorted",
        [q, q, *params, *extra],
    )
    return {dev: percentile_between(n, q, low, high) for dev, n, low, high in rows}


def add_p90_and_worst_day(scope: Scope, rows: list[dict], developer_ids, q: Decimal,
                          by_project: bool = False) -> None:
    """Set each developer_rows row's "p90" and "worst_day" as the Python fold gives them (two queries over
    ``developer_ids``' developer-days; None: every developer of the scope). The rows' "worst_day_cost"
    (developer_totals') says which day is the worst."""
    worst_costs = {row["developer_id"]: row["worst_day_cost"] for row in rows}
    found = p90s(scope, developer_ids, q, by_project)
    worst = worst_days(scope, developer_ids, by_project, worst_costs)
    for row in rows:
        row["p90"], row["worst_day"] = found.get(row["developer_id"]), worst.get(row["developer_id"])


@dataclass(frozen=True)
class ActiveCosts:
    """The scope's active developer-days' costs, counted in half-dollar bins: (bin, count) with bin =
    floor(cost x 2), lowest first."""

    halves: tuple[tuple[int, int], ...]

    @property
    def count(self) -> int:
        return sum(n for _, n in self.halves)


def active_costs(scope: Scope, by_project: bool = False) -> ActiveCosts:
    if _whole_org(scope, by_project):  # the org's days counted by the recompute (rollups.org_days)
        grouped = (OrgDayBin.objects.filter(day__gte=scope.since, day__lte=scope.until).values("half")
                   .annotate(n=Sum("developer_days")).values_list("half", "n").order_by("half"))
        return ActiveCosts(tuple(grouped))
    sql, params = relation(scope, by_project)
    # No MIN/MAX here: with them PostgreSQL sorts the rows (it cannot tell there are few bins) instead of
    # hashing them, and the histogram needs only the bins (overview.cost_distribution_of_halves).
    rows = _fetch(f"SELECT FLOOR(cost * 2)::bigint AS half, COUNT(*) FROM ({sql}) AS d WHERE active GROUP BY half",
                  params)
    return ActiveCosts(tuple(sorted(rows)))


def percentile_of(scope: Scope, counted: ActiveCosts, q: Decimal, by_project: bool = False) -> Decimal | None:
    """thresholds.percentile of the active developer-days' costs: the half-dollar bins say which bins
    hold the two values either side of the rank; one query sorts those bins' costs only."""
    n = counted.count
    if not n:
        return None
    rank = percentile_rank(n, q)
    wanted = (rank, min(rank + 1, n - 1))
    before, first, last, skipped = 0, None, None, 0
    for half, count in counted.halves:
        if first is None and before + count > wanted[0]:
            first, skipped = half, before
        if before + count > wanted[1]:
            last = half
            break
        before += count
    sql, params = relation(scope, by_project)
    rows = _fetch(
        f"SELECT cost FROM ({sql}) AS d WHERE active AND cost >= %s AND cost < %s ORDER BY cost OFFSET %s LIMIT 2",
        [*params, Decimal(first) / 2, Decimal(last + 1) / 2, rank - skipped],
    )
    values = [cost for (cost,) in rows]
    return percentile_between(n, q, values[0], values[-1])


def days_of(scope: Scope, developer_ids, by_project: bool = False) -> dict[int, list[tuple[date, Decimal]]]:
    """developer id -> (day, cost) of each of their developer-days, by day (the charted developers')."""
    sql, params = relation(scope, by_project)
    where, extra = _developers_clause(developer_ids)
    out: dict[int, list] = {dev: [] for dev in developer_ids}
    for dev, day, cost in _fetch(f"SELECT developer_id, day, cost FROM ({sql}) AS d WHERE TRUE{where} ORDER BY day",
                                 [*params, *extra]):
        out[dev].append((day, cost))
    return out


def sources_counted(scope: Scope) -> Counter:
    """DeveloperDay.sources -> developer-days with them (every model; no model or project filter)."""
    if scope.everyone:
        grouped = (OrgDaySources.objects.filter(day__gte=scope.since, day__lte=scope.until).values("sources")
                   .annotate(n=Sum("developer_days")).values_list("sources", "n"))
    else:
        grouped = scope.developer_days().values("sources").annotate(n=Count("pk")).values_list("sources", "n")
    return Counter(dict(grouped.order_by()))


def _whole_org(scope: Scope, by_project: bool) -> bool:
    """Whether the scope's developer-days are every developer's over every model and project."""
    return scope.everyone and not scope.model and not (by_project and scope.project)
