"""Reads for the Overview page: the month so far and where it ends, the team's developer-day
figures, daily spend by model, the distribution of developer-day cost and the top spenders.

Rollups only (DailyCost), always through a Scope, so the filter bar means the same here as on
every page. Developer-days, P90 and "active" are as defined in selectors.spend.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Sum

from costdash.lib.money import ZERO
from costdash.rollups.projection import MonthProjection, month_projection, projection_window
from costdash.rollups.scope import Scope
from costdash.rollups.thresholds import percentile

from . import developer_days_sql as in_sql
from .developer_days import active_costs, day_rows, developer_rows, fold, summary
from .developer_days_sql import in_database
from .errors import errors_by_source, sources_with_errors
from .repricing import Tokens, token_sums
from .spend import P90, sources_of
from .splits import UNSPLIT_SOURCES, cache_splits

# Histogram bin widths in USD, smallest first: the first that needs at most MAX_BINS bins is used.
BIN_WIDTHS = tuple(Decimal(w) for w in ("0.5", "1", "2", "5", "10", "20", "50", "100", "200", "500", "1000"))
MAX_BINS = 40
TOP_SPENDERS = 10


def day_model_totals(scope: Scope, by_project: bool = False) -> list[dict]:
    """One row per (day, model) in the scope, by day then model (one grouped query); ``by_project``:
    the chosen project's only (Scope.costs).

    Keys: day, model, cost (Decimal; unpriced requests are not in it), requests,
    unpriced_requests, tokens (repricing.Tokens: the token sums).
    """
    return _without_source(day_model_source_totals(scope, by_project))


def day_model_source_totals(scope: Scope, by_project: bool = False) -> list[dict]:
    """day_model_totals with the source as well: one row per (day, model, source), by day then
    model (one grouped query; a day's model is almost always counted from one source)."""
    grouped = (
        scope.day_model_costs(by_project).values("day", "model", "source")
        .annotate(cost=Sum("cost"), requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"),
                  **token_sums())
        .order_by("day", "model")
    )
    return [
        {"day": row["day"], "model": row["model"], "source": row["source"], "cost": row["cost"] or ZERO,
         "requests": row["requests"] or 0, "unpriced_requests": row["unpriced_requests"] or 0,
         "tokens": Tokens.of(row)}
        for row in grouped
    ]


def _without_source(rows: list[dict]) -> list[dict]:
    """day_model_source_totals rows folded over their source, in the same (day, model) order."""
    out: dict[tuple, dict] = {}
    for row in rows:
        key = (row["day"], row["model"])
        held = out.get(key)
        if held is None:
            out[key] = {k: v for k, v in row.items() if k != "source"}
        else:
            held["cost"] += row["cost"]
            held["requests"] += row["requests"]
            held["unpriced_requests"] += row["unpriced_requests"]
            held["tokens"] += row["tokens"]
    return list(out.values())


def source_totals(rows: list[dict], developer_day_sources: Iterable[str]) -> list[dict]:
    """What spend.sources_of gives, from day_model_source_totals rows (spend and requests per
    source) and the DeveloperDay.sources of the scope's developer-days (developer-days per source):
    [{"source", "label", "spend", "requests", "developer_days"}], most spend first, then by label."""
    from costdash.ingest.models import Source

    labels = dict(Source.choices)
    totals: dict[str, dict] = {}

    def total(source: str) -> dict:
        if source not in totals:
            totals[source] = {"source": source, "label": labels.get(source, source or "unknown"), "spend": ZERO,
                              "requests": 0, "developer_days": 0}
        return totals[source]

    for row in rows:
        t = total(row["source"])
        t["spend"] += row["cost"]
        t["requests"] += row["requests"]
    counted = developer_day_sources if isinstance(developer_day_sources, Counter) else Counter(developer_day_sources)
    for joined, days in counted.items():
        for source in joined.split(","):
            total(source)["developer_days"] += days
    return sorted(totals.values(), key=lambda t: (-t["spend"], t["label"]))


def priced_spend_by_day_and_model(rows: list[dict]) -> list[dict]:
    """The day_model_totals rows with spend, as [{"day", "model", "cost"}]: a model whose requests
    were all unpriced has no cost to draw (it is unknown, not $0)."""
    return [{"day": r["day"], "model": r["model"], "cost": r["cost"]} for r in rows if r["cost"] > 0]


def daily_spend(scope: Scope) -> dict[date, Decimal]:
    """{day: spend} of the scope's days with any rollup row (one grouped query)."""
    grouped = scope.day_model_costs().values("day").annotate(spend=Sum("cost")).values_list("day", "spend").order_by()
    return {day: spend or ZERO for day, spend in grouped}


def month_to_date(scope: Scope, today: date) -> MonthProjection:
    """``today``'s month so far and its projection (rollups.projection), for the scope's developers
    and model. The scope's date range does not apply: the month is always today's."""
    since, until = projection_window(today)
    return month_projection(daily_spend(replace(scope, since=since, until=until)), today)


def cost_distribution(costs: list[Decimal], max_bins: int = MAX_BINS) -> dict:
    """Histogram of developer-day costs in equal bins: {"width", "bins": [{"low", "high", "count"}]}.

    The width is the smallest of BIN_WIDTHS that covers the costs in at most ``max_bins`` bins
    (or the largest width). A bin holds low <= cost < high; bins run without gaps from the one
    holding the lowest cost (0 or below) to the one holding the highest, empty bins included.
    No costs: {"width": None, "bins": []}.
    """
    if not costs:
        return {"width": None, "bins": []}
    ordered = sorted(costs)  # linear when already sorted (developer_days.active_costs)
    width, first, last = _bins_for(ordered[0], ordered[-1], max_bins)
    bins = []
    for n in range(first, last + 1):
        lo, hi = n * width, (n + 1) * width
        bins.append({"low": lo, "high": hi, "count": bisect_left(ordered, hi) - bisect_left(ordered, lo)})
    return {"width": width, "bins": bins}


def _bins_for(lowest: Decimal, highest: Decimal, max_bins: int) -> tuple[Decimal, int, int]:
    """cost_distribution's width and its first and last bin numbers for costs from lowest to highest."""
    low = min(lowest, ZERO)
    width = next(
        (w for w in BIN_WIDTHS if _bin(highest, w) - _bin(low, w) + 1 <= max_bins), BIN_WIDTHS[-1]
    )
    return width, _bin(low, width), _bin(highest, width)


def cost_distribution_of_halves(counted, max_bins: int = MAX_BINS) -> dict:
    """cost_distribution from developer_days_sql.ActiveCosts (costs counted in half-dollar bins): the
    same bins, as every width is a multiple of $0.50, so a half-dollar bin never straddles two and the
    lowest and highest costs fall in the same bins as their half-dollar bins' lower edges."""
    if not counted.halves:
        return {"width": None, "bins": []}
    width, first, last = _bins_for(Decimal(counted.halves[0][0]) / 2, Decimal(counted.halves[-1][0]) / 2, max_bins)
    counts = Counter()
    for half, n in counted.halves:
        counts[_bin(Decimal(half) / 2, width)] += n
    return {"width": width, "bins": [
        {"low": n * width, "high": (n + 1) * width, "count": counts[n]} for n in range(first, last + 1)
    ]}


def _bin(cost: Decimal, width: Decimal) -> int:
    return int((cost / width).to_integral_value(rounding=ROUND_FLOOR))


def unpriced_models_in(rows: list[dict]) -> list[dict]:
    """The models of day_model_totals rows with unpriced requests, as spend.unpriced_models:
    [{"model", "requests"}] (unpriced requests only), most first, then by name."""
    found: dict[str, int] = {}
    for row in rows:
        if row["unpriced_requests"]:
            found[row["model"]] = found.get(row["model"], 0) + row["unpriced_requests"]
    return [{"model": m, "requests": n} for m, n in sorted(found.items(), key=lambda item: (-item[1], item[0]))]


def overview(scope: Scope, today: date, *, average: Decimal, ceiling: Decimal, top: int = TOP_SPENDERS) -> dict:
    """Everything the Overview shows, in four queries (developer-days, names, day x model x source,
    the month's days; a fifth for the sources under a model filter) whatever the team's size.

    Keys: summary (developer_days.summary: spend, developers (active), active_days,
    average_per_active_day, days_over_ceiling; plus requests), p90 (the team's P90 of active
    developer-days; None with none), month (month_to_date), by_model
    (priced_spend_by_day_and_model), distribution (cost_distribution of active developer-days),
    top_spenders (the ``top`` developers by spend, spend > 0; developer_days.developer_rows),
    sources (spend.spend_by_source's "sources", each with its failed calls, "errors": one more
    query, selectors.errors), unpriced_models (as spend.unpriced_models),
    cache_splits (splits.cache_splits' "by_source": rows recovered / assumed and reasons, per source),
    average, ceiling (the figures used).
    """
    narrowed = bool(scope.model or scope.project)  # DeveloperDay is over every model and project
    by_source = day_model_source_totals(scope, by_project=True)
    totals = _without_source(by_source)
    if in_database():  # folded in the database (developer_days_sql): a year of 2,000 developers
        folded = in_sql.developer_totals(scope, ceiling, by_project=True)
        counted = in_sql.active_costs(scope, by_project=True)
        p90, distribution = in_sql.percentile_of(scope, counted, P90, by_project=True), cost_distribution_of_halves(
            counted)
        day_sources = () if narrowed else in_sql.sources_counted(scope)
    else:
        days = day_rows(scope, with_sources=not narrowed, by_project=True)
        folded = fold(days, ceiling)
        costs = active_costs(folded)
        p90, distribution = percentile(costs, P90), cost_distribution(costs)
        day_sources = () if narrowed else (row[4] for row in days)
    spenders = [row for row in developer_rows(folded) if row["spend"] > 0][:top]
    if in_database() and spenders:  # their P90 and worst day, as the Python fold gives them
        in_sql.add_p90_and_worst_day(scope, spenders, [row["developer_id"] for row in spenders], P90, by_project=True)
    if narrowed:  # count the model's (or project's) developer-days per source
        sources = sources_of(scope.costs())["sources"]
    else:
        sources = source_totals(by_source, day_sources)
    return {
        "summary": summary(folded) | {"requests": sum(row["requests"] for row in totals)},
        "p90": p90,
        "month": month_to_date(scope, today),
        "by_model": priced_spend_by_day_and_model(totals),
        "distribution": distribution,
        "top_spenders": spenders,
        "sources": sources_with_errors(sources, errors_by_source(scope)),  # failed calls: errors, not spend
        "unpriced_models": unpriced_models_in(totals),
        # One more query only when a source that may hide the split is in scope.
        "cache_splits": cache_splits(scope, days=False)["by_source"]
        if any(s["source"] in UNSPLIT_SOURCES for s in sources) else [],
        "average": average,
        "ceiling": ceiling,
    }
