"""A developer's day against the daily ceiling: crossed, or on pace to cross it today."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from costdash.lib.dates import day_bounds
from costdash.lib.money import to_cents, usd
from costdash.rollups.models import DeveloperDay
from costdash.rollups.thresholds import OVER_CEILING, classify_day

from .base import Context, Finding, RuleKind, developer_day_link, developer_names, developer_scope

# Too early in the day to extrapolate: a dollar spent at 00:30 is not a $48 day.
PROJECTION_MIN_SHARE = Decimal(2) / Decimal(24)


def day_costs(ctx: Context, above: Decimal, days: tuple[date, date] | None = None) -> dict[tuple[int, date], Decimal]:
    """(developer id, day) -> the day's cost (DeveloperDay: its DailyCost rows summed), for the days
    that cost more than ``above``: the recomputed pairs, else every developer-day from ``ctx.oldest`` to today."""
    first, last = days or (ctx.oldest, ctx.today)
    rows = DeveloperDay.objects.filter(day__gte=first, day__lte=last, cost__gt=above)
    if ctx.pairs is not None:
        rows = rows.filter(developer_id__in={d for d, _ in ctx.pairs}, day__in={day for _, day in ctx.pairs})
    costs = rows.values_list("developer_id", "day", "cost").order_by()
    return {(d, day): cost for d, day, cost in costs if ctx.pairs is None or (d, day) in ctx.pairs}


class DailyCeiling(RuleKind):
    key = "daily_ceiling"
    label = "Daily ceiling crossed"
    description = ("A developer's cost for a day is over the threshold (default $30, the figure 90% of "
                   "Claude Code users stay below). Late data that pushes a past day over raises it then.")
    default_threshold = Decimal("30.00")
    scopes = ("org", "team", "developer")
    on_recompute = True

    def findings(self, rules, ctx):
        costs = day_costs(ctx, above=min(rule.threshold for rule in rules))
        names = developer_names(d for d, _ in costs)
        for rule in rules:
            covered = developer_scope(rule)
            for (developer_id, day), cost in sorted(costs.items(), key=lambda item: item[0][1]):
                if covered is not None and developer_id not in covered:
                    continue
                # One definition of "over the ceiling" (exactly the ceiling is not over it).
                if classify_day(cost, ctx.org.average_daily_cost, rule.threshold) != OVER_CEILING:
                    continue
                yield Finding(
                    rule=rule, subject_key=f"developer:{developer_id}", day=day, developer_id=developer_id,
                    figure=cost, threshold=rule.threshold, link=developer_day_link(developer_id, day),
                    summary=f"{names[developer_id]} spent {usd(cost)} on {day:%Y-%m-%d}, over the daily "
                            f"ceiling of {usd(rule.threshold)}.",
                )


class ProjectedCeiling(RuleKind):
    key = "projected_ceiling"
    label = "On pace to cross the daily ceiling"
    description = ("Today only: a developer's cost so far, extrapolated linearly over the share of the org's "
                   "day that has passed, is over the threshold (not before 02:00; once over, the daily "
                   "ceiling rule speaks instead).")
    default_threshold = Decimal("30.00")
    scopes = ("org", "team", "developer")
    on_recompute = True

    def findings(self, rules, ctx):
        if ctx.pairs is not None and not any(day == ctx.today for _, day in ctx.pairs):
            return
        start, end = day_bounds(ctx.today, ctx.tz)
        share = Decimal((ctx.now - start).total_seconds()) / Decimal((end - start).total_seconds())
        if not PROJECTION_MIN_SHARE <= share < 1:
            return
        floor = min(rule.threshold for rule in rules) * share  # spend below this projects under every rule
        costs = day_costs(ctx, above=floor, days=(ctx.today, ctx.today))
        names = developer_names(d for d, _ in costs)
        local = ctx.now.astimezone(ctx.tz)
        for rule in rules:
            covered = developer_scope(rule)
            for (developer_id, day), cost in costs.items():
                projected = to_cents(cost / share)
                if (covered is not None and developer_id not in covered) or cost > rule.threshold:
                    continue
                if projected <= rule.threshold:
                    continue
                yield Finding(
                    rule=rule, subject_key=f"developer:{developer_id}", day=day, developer_id=developer_id,
                    figure=projected, threshold=rule.threshold, link=developer_day_link(developer_id, day),
                    summary=f"{names[developer_id]} has spent {usd(cost)} by {local:%H:%M} on {day:%Y-%m-%d}: "
                            f"at that pace the day ends at {usd(projected)}, over the daily ceiling of "
                            f"{usd(rule.threshold)}.",
                )
