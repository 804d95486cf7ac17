"""Reads of spend by developer-day and source, and the models the filter bar offers. Rollups only:
never UsageEvent.

A developer-day is the sum of that developer's DailyCost rows (one per model and source) for a day.
It is *active* when it has any usage: a request, a cost, or (for daily aggregates that do not count
requests) any token. Costs exclude requests with no known price (``unpriced_requests``): those are
unknown, not $0. The per-developer folds the pages show are in developer_days.
"""
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from costdash.accounts.models import Developer
from costdash.lib.money import ZERO
from costdash.rollups.models import DailyCost
from costdash.rollups.scope import Scope
from costdash.rollups.thresholds import classify_day

from .repricing import Tokens, token_sums

P90 = Decimal("0.9")


# Past this many ids the org's developers are read whole: an IN list of 2,000 ids costs PostgreSQL and Django
# ~30 ms to plan and bind, reading the 2,000 rows ~5.
NAMES_BY_ID = 200


def _names(developer_ids: set[int]) -> dict[int, tuple[str, str]]:
    """developer id -> (display name, team name or "")."""
    if not developer_ids:
        return {}
    found = Developer.objects.values_list("pk", "name", "email", "team__name").order_by()  # a dict: no sort
    if len(developer_ids) <= NAMES_BY_ID:
        found = found.filter(pk__in=developer_ids)
    return {pk: (name or email, team or "") for pk, name, email, team in found if pk in developer_ids}


def developer_day_totals(scope: Scope) -> QuerySet:
    """One row per developer-day of the scope (its model filter applies), by day then developer id:
    lazy, to be paged (the API), then named by ``developer_day_rows``.

    Keys: developer_id, day, cost (None when every request was unpriced), requests, unpriced_requests,
    the repricing.SUM_FIELDS token sums, and split_assumed / split_recovered: its rows whose cache
    writes were split by the parser's rule / recovered from the source's cost (rollups.split).
    """
    return (
        scope.daily_costs().values("developer_id", "day")
        .annotate(cost=Sum("cost"), requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"),
                  split_assumed=Count("pk", filter=Q(cache_split="assumed")),
                  split_recovered=Count("pk", filter=Q(cache_split="recovered")), **token_sums())
        .order_by("day", "developer_id")
    )


def developer_day_rows(totals: Iterable[dict], *, average: Decimal, ceiling: Decimal) -> list[dict]:
    """``developer_day_totals`` rows (a page of them) with their developer's name and team, their
    tokens (repricing.Tokens), whether the day is active and its class, as developer_day_costs rows
    are, and its cache_split: "assumed" / "recovered" when any of its rows' cache writes were split
    so (rollups.split), else "". One query (the names)."""
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
            "cache_split": "assumed" if row.get("split_assumed") else "recovered" if row.get("split_recovered") else "",
        })
    return out


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


