"""Reads of spend for pages and the API. Rollups only: never UsageEvent.

Every function is scoped by `developers`, a Developer queryset the caller has already
limited to what the user may see (`roles.developers_visible_to(user)`). Ranges are
inclusive org-local days: `since <= day <= until`.

A developer-day is the sum of that developer's DailyCost rows (one per model and source) for
a day. It is *active* when it has any usage: a request, a cost, or (for daily aggregates that
do not count requests) any token. Costs exclude requests with no known
price (`unpriced_requests`): those are unknown, not $0, and `unpriced_models` lists them.

Each public function costs one grouped query over DailyCost (plus one for developer
names, and OrgSettings when the reference figures are not passed in); `spend_overview`
builds everything a page needs from one fetch so a page does not repeat the aggregate.
"""
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, QuerySet, Sum

from costdash.accounts.models import Developer, OrgSettings
from costdash.lib.money import ZERO
from costdash.rollups.models import DailyCost
from costdash.rollups.scope import Scope
from costdash.rollups.thresholds import classify_day, percentile

from .repricing import Tokens, token_sums

P90 = Decimal("0.9")


def _reference(average: Decimal | None, ceiling: Decimal | None) -> tuple[Decimal, Decimal]:
    """The figures passed in, or the org's configured ones for any left as None."""
    if average is None or ceiling is None:
        org = OrgSettings.get()
        average = org.average_daily_cost if average is None else average
        ceiling = org.daily_ceiling if ceiling is None else ceiling
    return average, ceiling


def _in_range(developers: QuerySet[Developer], since: date, until: date) -> QuerySet[DailyCost]:
    return DailyCost.objects.filter(developer__in=developers, day__gte=since, day__lte=until)


def _day_rows(developers: QuerySet[Developer], since: date, until: date) -> list[dict]:
    """A dict per developer-day, ordered by developer name then day.

    Two queries: the developer-day aggregate, grouped on (developer_id, day) alone so the
    database never sorts by name, and the names of the developers it found.
    """
    grouped = (
        _in_range(developers, since, until)
        .values("developer_id", "day")
        .annotate(
            cost=Sum("cost"), requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"),
            tokens=Sum(F("input_tokens") + F("output_tokens") + F("cache_read_tokens") + F("cache_write_5m_tokens")
                       + F("cache_write_1h_tokens")),
        )
        .values_list("developer_id", "day", "cost", "requests", "unpriced_requests", "tokens")
        .order_by()
    )
    days = list(grouped)
    names = _names({developer_id for developer_id, *_ in days})
    rows = [
        {
            "developer_id": developer_id,
            "developer": names.get(developer_id, ("?", ""))[0],  # "?" only if deleted between queries
            "team": names.get(developer_id, ("?", ""))[1],
            "day": day,
            "cost": cost or ZERO,
            "requests": requests or 0,
            "unpriced_requests": unpriced or 0,
            "active": bool(requests or unpriced or tokens or cost),
        }
        for developer_id, day, cost, requests, unpriced, tokens in days
    ]
    rows.sort(key=lambda row: (row["developer"].lower(), row["developer_id"], row["day"]))
    return rows


def _names(developer_ids: set[int]) -> dict[int, tuple[str, str]]:
    """developer id -> (display name, team name or "")."""
    if not developer_ids:
        return {}
    found = Developer.objects.filter(pk__in=developer_ids).values_list("pk", "name", "email", "team__name")
    return {pk: (name or email, team or "") for pk, name, email, team in found}


def _classified(rows: list[dict], average: Decimal, ceiling: Decimal) -> list[dict]:
    return [{**row, "class": classify_day(row["cost"], average, ceiling)} for row in rows]


def _p90_of(rows: Iterable[dict]) -> Decimal | None:
    return percentile([row["cost"] for row in rows if row["active"]], P90)


def _by_developer(rows: Iterable[dict], ceiling: Decimal) -> list[dict]:
    """Fold developer-day rows into one row per developer, highest spend first."""
    out: dict[int, dict] = {}
    for row in rows:
        dev = out.get(row["developer_id"])
        if dev is None:
            dev = out[row["developer_id"]] = {
                "developer_id": row["developer_id"],
                "developer": row["developer"],
                "team": row["team"],
                "spend": ZERO,
                "requests": 0,
                "active_days": 0,
                "worst_day": None,
                "worst_day_cost": None,
                "days_over_ceiling": 0,
                "unpriced_requests": 0,
            }
        dev["spend"] += row["cost"]
        dev["requests"] += row["requests"]
        dev["unpriced_requests"] += row["unpriced_requests"]
        if row["active"]:
            dev["active_days"] += 1
        if row["cost"] > ceiling:
            dev["days_over_ceiling"] += 1
        # Rows arrive in day order, so ">" keeps the earliest of equally bad days.
        if dev["worst_day_cost"] is None or row["cost"] > dev["worst_day_cost"]:
            dev["worst_day"], dev["worst_day_cost"] = row["day"], row["cost"]
    for dev in out.values():
        dev["average_per_active_day"] = dev["spend"] / dev["active_days"] if dev["active_days"] else None
    return sorted(out.values(), key=lambda d: (-d["spend"], d["developer"].lower(), d["developer_id"]))


def _summary(rows: list[dict], ceiling: Decimal) -> dict:
    active = [row for row in rows if row["active"]]
    spend = sum((row["cost"] for row in rows), ZERO)
    return {
        "spend": spend,
        "requests": sum(row["requests"] for row in rows),
        "unpriced_requests": sum(row["unpriced_requests"] for row in rows),
        "developers": len({row["developer_id"] for row in active}),
        "active_days": len(active),
        "average_per_active_day": spend / len(active) if active else None,
        "days_over_ceiling": sum(1 for row in rows if row["cost"] > ceiling),
    }


def developer_day_costs(
    developers: QuerySet[Developer],
    since: date,
    until: date,
    *,
    average: Decimal | None = None,
    ceiling: Decimal | None = None,
) -> list[dict]:
    """One row per developer-day with any rollup row in range, by developer name (case-blind) then day.

    Keys: developer_id, developer (display name), team, day, cost (Decimal), requests,
    unpriced_requests, class ("under_average" | "over_average" | "over_ceiling", see
    thresholds.classify_day). average/ceiling default to OrgSettings.
    """
    average, ceiling = _reference(average, ceiling)
    return _classified(_day_rows(developers, since, until), average, ceiling)


def developer_day_totals(scope: Scope) -> QuerySet:
    """One row per developer-day of the scope (its model filter applies), by day then developer id:
    lazy, to be paged (the API), then named by ``developer_day_rows``.

    Keys: developer_id, day, cost (None when every request was unpriced), requests, unpriced_requests
    and the repricing.SUM_FIELDS token sums.
    """
    return (
        scope.daily_costs().values("developer_id", "day")
        .annotate(cost=Sum("cost"), requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"),
                  **token_sums())
        .order_by("day", "developer_id")
    )


def developer_day_rows(totals: Iterable[dict], *, average: Decimal, ceiling: Decimal) -> list[dict]:
    """``developer_day_totals`` rows (a page of them) with their developer's name and team, their
    tokens (repricing.Tokens), whether the day is active and its class, as developer_day_costs rows
    are. One query (the names)."""
    totals = list(totals)
    names = _names({row["developer_id"] for row in totals})
    out = []
    for row in totals:
        name, team = names.get(row["developer_id"], ("?", ""))  # "?" only if deleted between queries
        cost, tokens = row["cost"] or ZERO, Tokens.of(row)
        requests, unpriced = row["requests"] or 0, row["unpriced_requests"] or 0
        out.append({
            "developer_id": row["developer_id"], "developer": name, "team": team, "day": row["day"], "cost": cost,
            "requests": requests, "unpriced_requests": unpriced, "tokens": tokens,
            "active": bool(requests or unpriced or tokens.total or cost),
            "class": classify_day(cost, average, ceiling),
        })
    return out


def team_p90(developers: QuerySet[Developer], since: date, until: date) -> Decimal | None:
    """The 90th percentile (linear interpolation) of cost over active developer-days; None if none."""
    return _p90_of(_day_rows(developers, since, until))


def spend_by_developer(
    developers: QuerySet[Developer], since: date, until: date, *, ceiling: Decimal | None = None
) -> list[dict]:
    """One row per developer with rollup rows in range, sorted by spend descending, then name.

    Keys: developer_id, developer, team, spend, requests, active_days,
    average_per_active_day (spend / active days; None with no active day),
    worst_day and worst_day_cost (the costliest developer-day; the earliest on a tie),
    days_over_ceiling (developer-days with cost > ceiling), unpriced_requests, sources (the
    labels of the sources its figures were counted from, most spend first).
    """
    ceiling = _reference(None, ceiling)[1]
    by_source = spend_by_source(developers, since, until)["by_developer"]
    return _with_sources(_by_developer(_day_rows(developers, since, until), ceiling), by_source)


def _with_sources(by_developer: list[dict], by_source: dict[int, list[str]]) -> list[dict]:
    for dev in by_developer:
        dev["sources"] = by_source.get(dev["developer_id"], [])
    return by_developer


def spend_summary(
    developers: QuerySet[Developer], since: date, until: date, *, ceiling: Decimal | None = None
) -> dict:
    """Totals over the range.

    Keys: spend, requests, unpriced_requests, developers (with an active day),
    active_days (active developer-days), average_per_active_day (spend / active
    developer-days; None with none), days_over_ceiling (developer-days with cost > ceiling).
    """
    ceiling = _reference(None, ceiling)[1]
    return _summary(_day_rows(developers, since, until), ceiling)


# PostgreSQL has no skip scan: walk the (model) index one distinct value at a time instead of
# reading every row (a few index probes instead of a scan of a year of DailyCost).
_MODELS_LOOSE_SCAN = """
WITH RECURSIVE m AS (
    (SELECT model FROM rollups_dailycost ORDER BY model LIMIT 1)
    UNION ALL
    SELECT (SELECT d.model FROM rollups_dailycost d WHERE d.model > m.model ORDER BY d.model LIMIT 1)
    FROM m WHERE m.model IS NOT NULL
)
SELECT model FROM m WHERE model IS NOT NULL
"""


def models_in_rollups(developers: QuerySet[Developer] | None = None) -> list[str]:
    """The models with any DailyCost row, sorted: of everyone (``developers`` None), or of these
    developers. What the filter bar offers."""
    if developers is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_MODELS_LOOSE_SCAN)
            return sorted(model for (model,) in cursor.fetchall())
    rows = DailyCost.objects.all() if developers is None else DailyCost.objects.filter(developer__in=developers)
    return sorted(rows.values_list("model", flat=True).distinct())


def unpriced_models(developers: QuerySet[Developer], since: date, until: date) -> list[dict]:
    """Models with requests that had no known price: [{"model", "requests"}], most requests first.

    `requests` counts only the unpriced requests; their cost is not in any total.
    """
    grouped = (
        _in_range(developers, since, until)
        .filter(unpriced_requests__gt=0)
        .values("model")
        .annotate(requests=Sum("unpriced_requests"))
        .order_by("-requests", "model")
    )
    return [{"model": row["model"], "requests": row["requests"]} for row in grouped]


def spend_by_source(developers: QuerySet[Developer], since: date, until: date) -> dict:
    """Where the figures came from: each source's share of the counted spend (rollups.dedupe
    picks one source per request, and per developer-day for daily aggregates).

    Keys: sources ([{"source", "label", "spend", "requests", "developer_days"}], most spend
    first) and by_developer ({developer id: [source labels, most spend first]}).
    """
    return sources_of(_in_range(developers, since, until))


def sources_of(daily_costs: QuerySet[DailyCost]) -> dict:
    """spend_by_source over DailyCost rows already scoped (``Scope.daily_costs()``)."""
    from costdash.ingest.models import Source

    labels = dict(Source.choices)
    grouped = (
        daily_costs
        .values("developer_id", "source")
        .annotate(spend=Sum("cost"), requests=Sum("requests"), days=Count("day", distinct=True))
        .order_by()
    )
    totals: dict[str, dict] = {}
    by_developer: dict[int, list[tuple]] = {}
    for row in grouped:
        source, spend = row["source"], row["spend"] or ZERO
        label = labels.get(source, source or "unknown")
        t = totals.setdefault(source, {"source": source, "label": label, "spend": ZERO, "requests": 0,
                                       "developer_days": 0})
        t["spend"] += spend
        t["requests"] += row["requests"] or 0
        t["developer_days"] += row["days"]
        by_developer.setdefault(row["developer_id"], []).append((-spend, label))
    return {
        "sources": sorted(totals.values(), key=lambda t: (-t["spend"], t["label"])),
        "by_developer": {dev: [label for _, label in sorted(found)] for dev, found in by_developer.items()},
    }


def spend_overview(
    developers: QuerySet[Developer],
    since: date,
    until: date,
    *,
    average: Decimal | None = None,
    ceiling: Decimal | None = None,
) -> dict:
    """Everything the spend page shows: four queries (developer-days, their names, sources, unpriced
    models).

    Keys: days (developer_day_costs), p90 (team_p90), developers (spend_by_developer, each with
    "sources"), summary (spend_summary), sources (spend_by_source), unpriced_models, average,
    ceiling (the figures used).
    """
    average, ceiling = _reference(average, ceiling)
    rows = _day_rows(developers, since, until)
    sources = spend_by_source(developers, since, until)
    by_developer = _with_sources(_by_developer(rows, ceiling), sources["by_developer"])
    return {
        "days": _classified(rows, average, ceiling),
        "p90": _p90_of(rows),
        "developers": by_developer,
        "summary": _summary(rows, ceiling),
        "sources": sources["sources"],
        "unpriced_models": unpriced_models(developers, since, until),
        "average": average,
        "ceiling": ceiling,
    }
