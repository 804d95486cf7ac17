"""The monthly report: who spent what in a month, charged to which team and cost center, on which
models and from which sources, with totals, and what Anthropic billed beside our priced usage.

Every figure comes from the dashboard's own selectors over the same Scope (every developer, the
month's org-local days), so a row here equals the Developers page's row for that month to the cent:
developer_table (spend, active days, average and P90 per active day, days over the ceiling, cache
hit rate, main model, sessions), developer_days (the team folds), model_mix (the models and the
daily chart) and sources_of. The only read of its own is the token and request sums per developer.

A month is *provisional* while it is not over in the org's time zone, or while any of its
developer-days waits for a recompute (rollups.DirtyDay): its figures may still change.

``monthly_report`` is what the Reports page, the exports and the API read; ``monthly_daily_lines``
streams the month's DailyCost rows for the exports' "daily" breakdown without holding them.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from costdash.accounts.models import Developer, OrgSettings
from costdash.chargeback.selectors import chargeback_breakdowns
from costdash.lib.money import ZERO
from costdash.limits.selectors import month_bounds, org_today
from costdash.rollups.models import DirtyDay
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.developer_days import summary
from costdash.rollups.selectors.developers import developer_table
from costdash.rollups.selectors.model_mix import model_mix
from costdash.rollups.selectors.overview import priced_spend_by_day_and_model
from costdash.rollups.selectors.repricing import SUM_FIELDS, Tokens, token_sums
from costdash.rollups.selectors.spend import P90, sources_of
from costdash.rollups.selectors.splits import cache_splits
from costdash.rollups.thresholds import percentile

from .models import GeneratedReport
from .reconciliation import Reconciliation, reconciliation

NO_TEAM, NO_COST_CENTER = "(no team)", "(no cost center)"
OPEN, RECOMPUTING = "open", "recomputing"
# Per-row sums of DailyCost, in this order: requests (priced or not), unpriced requests, token classes.
COUNT_FIELDS = ("requests", "unpriced_requests", *SUM_FIELDS)


@dataclass(frozen=True)
class MonthlyReport:
    """One month. ``month``/``until``: its first and last org-local day. ``provisional_reasons``:
    OPEN (not over on ``today``) and/or RECOMPUTING (dirty developer-days); none when final.

    developers: one dict per developer with usage, most spend first. Keys: developer_id, developer,
    email, team, cost_center, spend, active_days, average_per_active_day, p90, worst_day,
    worst_day_cost, days_over_ceiling, cache_hit_rate, main_model, sessions, sessions_from, and
    the COUNT_FIELDS (requests, unpriced_requests, input_tokens, output_tokens,
    cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, web_search_requests).
    teams: per team (team, cost_center, developers, spend, share, active_days,
    average_per_active_day, p90, days_over_ceiling, COUNT_FIELDS), most spend first.
    cost_centers: the same per cost center (cost_center, teams (names), ...).
    models: model_mix's models (spend None when every request is unpriced) with COUNT_FIELDS.
    sources: sources_of's sources (source, label, spend, requests, developer_days).
    totals: summary's spend, developers, active_days, average_per_active_day, days_over_ceiling;
    p90 (the team's), cache_hit_rate, and the COUNT_FIELDS.
    by_day_model: [{day, model, cost}] of priced spend (the daily chart).
    cache_splits: how much of the month rests on cache-write splits no source gave exactly
    (rollups.selectors.splits.cache_splits: "recovered" / "assumed" rows, developer_days, cost and
    share of spend, and "by_source").
    """

    month: date
    until: date
    today: date
    time_zone: str
    average: Decimal
    ceiling: Decimal
    provisional_reasons: tuple[str, ...]
    developers: list[dict]
    teams: list[dict]
    cost_centers: list[dict]
    models: list[dict]
    sources: list[dict]
    totals: dict
    by_day_model: list[dict]
    reconciliation: Reconciliation
    cache_splits: dict = field(default_factory=dict)
    # By project, API key, workspace, LiteLLM tags and team, OTel resource attribute and rule-mapped
    # cost center, each adding up to the total (chargeback.selectors.chargeback_breakdowns).
    chargeback: dict = field(default_factory=dict)
    # closing.adjustments_into: an open month's "Adjustments to closed months" (the changes since
    # close of the closed months just before it); a closed month's, as carried when it was closed.
    adjustments: list[dict] = field(default_factory=list)
    # closing.closed_info when the month is closed (the report is its snapshot), else None.
    closed: dict | None = None

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_reasons)

    @property
    def unpriced_models(self) -> list[dict]:
        return [m for m in self.models if m["unpriced_requests"]]


def last_month(today: date) -> date:
    """The first day of the month before ``today``'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_scope(month: date) -> Scope:
    """Every developer, every model, the month's org-local days."""
    since, until = month_bounds(month)
    return Scope(Developer.objects.all(), since, until)


def monthly_report(month: date, *, today: date | None = None) -> MonthlyReport:
    """The report every reader uses (page, exports, API, e-mail): a closed month's snapshot
    (closing.report_from_close: final, ``closed`` set), else monthly_report_live with the month's
    adjustments to the closed months just before it."""
    from .closing import active_closes, adjustments_into, report_from_close

    closes = active_closes()
    first = month.replace(day=1)
    if first in closes:
        return report_from_close(closes[first])
    report = monthly_report_live(month, today=today)
    return replace(report, adjustments=adjustments_into(first, closes))


def monthly_report_live(month: date, *, today: date | None = None) -> MonthlyReport:
    """The report of ``month``'s month (any day of it), as of ``today`` (default: the org's today),
    computed from the current figures (closed or not; no adjustments).
    About a dozen grouped queries whatever the team's size. A month after today's is a ValueError."""
    org = OrgSettings.get()
    today = today or org_today()
    scope = month_scope(month)
    if scope.since > today:
        raise ValueError(f"{scope.since:%B %Y} has not started yet")
    table = developer_table(scope, ceiling=org.daily_ceiling, with_costs=True)  # its per-team P90s: the costs
    folded = table["folded"]
    counts = _counts_by_developer(scope)
    centers = _cost_centers({row["developer_id"] for row in table["developers"]})
    developers = []
    for row in table["developers"]:
        dev = row["developer_id"]
        email, center = centers.get(dev, ("", ""))
        developers.append(
            {**row, "email": email, "cost_center": center, **counts.get(dev, dict.fromkeys(COUNT_FIELDS, 0))}
        )
    totals = summary(folded) | _sum_counts(developers) | {"p90": table["p90"]}
    totals["cache_hit_rate"] = _tokens(totals).hit_rate
    mix = model_mix(scope)
    return MonthlyReport(
        month=scope.since, until=scope.until, today=today, time_zone=org.time_zone,
        average=org.average_daily_cost, ceiling=org.daily_ceiling,
        provisional_reasons=_provisional_reasons(scope, today),
        developers=developers,
        teams=_groups(developers, folded, "team", totals["spend"]),
        cost_centers=_groups(developers, folded, "cost_center", totals["spend"]),
        models=_models(mix["models"]), sources=sources_of(scope.daily_costs())["sources"], totals=totals,
        by_day_model=priced_spend_by_day_and_model([day | {"cost": day["spend"]} for day in mix["days"]]),
        reconciliation=reconciliation(scope.since, scope.until),
        cache_splits=cache_splits(scope, totals["spend"]),
        chargeback=chargeback_breakdowns(scope, totals["spend"]),
    )


def _provisional_reasons(scope: Scope, today: date) -> tuple[str, ...]:
    reasons = []
    if scope.until >= today:
        reasons.append(OPEN)
    if DirtyDay.objects.filter(day__gte=scope.since, day__lte=scope.until).exists():
        reasons.append(RECOMPUTING)
    return tuple(reasons)


def _counts_by_developer(scope: Scope) -> dict[int, dict]:
    """developer id -> the COUNT_FIELDS summed over the month (one grouped query)."""
    grouped = (
        scope.daily_costs().values("developer_id")
        .annotate(requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"), **token_sums())
        .order_by()
    )
    return {row["developer_id"]: {f: row[f] or 0 for f in COUNT_FIELDS} for row in grouped}


def _cost_centers(developer_ids: set[int]) -> dict[int, tuple[str, str]]:
    """developer id -> (email, their team's cost center or "")."""
    found = Developer.objects.filter(pk__in=developer_ids).values_list("pk", "email", "team__cost_center")
    return {pk: (email, center or "") for pk, email, center in found}


def _sum_counts(rows: list[dict]) -> dict:
    return {f: sum(row[f] for row in rows) for f in COUNT_FIELDS}


def _tokens(row: dict) -> Tokens:
    return Tokens(*(row[name] for name in SUM_FIELDS))


def _groups(developers: list[dict], folded: dict, key: str, total_spend: Decimal) -> list[dict]:
    """Fold developer rows by ``key`` ("team" or "cost_center"): chargeback. P90 is over the group's
    active developer-days (developer_days' costs), as the team P90 is over everyone's."""
    groups: dict[str, list[dict]] = {}
    for row in developers:
        groups.setdefault(row[key], []).append(row)
    out = []
    for name, rows in groups.items():
        spend = sum((row["spend"] for row in rows), ZERO)
        active = sum(row["active_days"] for row in rows)
        costs = [cost for row in rows for cost in folded[row["developer_id"]].costs]
        group = {
            "developers": len(rows), "spend": spend, "share": spend / total_spend if total_spend else None,
            "active_days": active, "average_per_active_day": spend / active if active else None,
            "p90": percentile(costs, P90), "days_over_ceiling": sum(row["days_over_ceiling"] for row in rows),
            **_sum_counts(rows),
        }
        if key == "team":
            group |= {"team": name or NO_TEAM, "cost_center": rows[0]["cost_center"] or NO_COST_CENTER}
        else:
            group |= {"cost_center": name or NO_COST_CENTER,
                      "teams": ", ".join(sorted({row["team"] or NO_TEAM for row in rows}, key=str.lower))}
        out.append(group)
    label = "team" if key == "team" else "cost_center"
    return sorted(out, key=lambda g: (-g["spend"], g[label].lower()))


def _models(models: list[dict]) -> list[dict]:
    """model_mix's models, each with its COUNT_FIELDS (from its Tokens)."""
    out = []
    for row in models:
        tokens: Tokens = row["tokens"]
        out.append({
            **row,
            "input_tokens": tokens.input, "output_tokens": tokens.output,
            "cache_write_5m_tokens": tokens.cache_write_5m, "cache_write_1h_tokens": tokens.cache_write_1h,
            "cache_read_tokens": tokens.cache_read, "web_search_requests": tokens.web_search,
            "cache_hit_rate": tokens.hit_rate,
        })
    return out


def monthly_daily_lines(month: date) -> Iterator[dict]:
    """A closed month's daily lines as closed (closing.close_lines), else monthly_daily_lines_live."""
    from .closing import active_close, close_lines

    close = active_close(month)
    return close_lines(close) if close is not None else monthly_daily_lines_live(month)


def monthly_daily_lines_live(month: date) -> Iterator[dict]:
    """The month's DailyCost rows (one per developer, day, model and source), by developer name,
    day, model, source: streamed from the database in chunks, never held whole.

    Keys: developer, email, team, cost_center, day, model, source, cost, and the COUNT_FIELDS."""
    scope = month_scope(month)
    fields = ("developer__name", "developer__email", "developer__team__name", "developer__team__cost_center",
              "day", "model", "source", "cost", *COUNT_FIELDS)
    rows = (
        scope.daily_costs().order_by("developer__name", "developer__email", "day", "model", "source")
        .values_list(*fields)
    )
    for name, email, team, center, *rest in rows.iterator(chunk_size=2000):
        yield {"developer": name or email, "email": email, "team": team or "", "cost_center": center or "",
               **dict(zip(fields[4:], rest, strict=True))}


def daily_line_count(month: date) -> int:
    from .closing import active_close

    close = active_close(month)
    if close is not None:
        return close.lines
    return month_scope(month).daily_costs().count()


def generated_reports(month: date | None = None, limit: int = 50) -> list[GeneratedReport]:
    """The latest generated files (of ``month``, or every month), newest first, with who asked for
    them and their downloads (who, when) prefetched."""
    found = GeneratedReport.objects.select_related("requested_by", "run").prefetch_related("downloads__user")
    if month is not None:
        found = found.filter(month=month.replace(day=1))
    return list(found[:limit])

