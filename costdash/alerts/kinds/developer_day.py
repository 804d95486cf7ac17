"""A developer's day against the daily ceiling: crossed, or on pace to cross it today."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from costdash.accounts.models import Developer
from costdash.lib.dates import day_bounds
from costdash.lib.money import to_cents, usd
from costdash.rollups import day_shape
from costdash.rollups.models import DeveloperDay
from costdash.rollups.selectors.day_shapes import day_shapes
from costdash.rollups.thresholds import OVER_CEILING, classify_day

from .base import Context, Finding, RuleKind, developer_day_link, developer_names, developer_scope


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
    description = ("Today only: a developer's cost so far plus the rest of their usual day is over the "
                   "threshold. The rest is the share of their day usually still to come by now, at a rate that "
                   "counts today so far with one usual day; the share and the usual day come from the hours of "
                   "their own last 56 days (at least 14 with spend), else their team's, else the org's. With "
                   "no such history: a straight line from midnight, not before 02:00. No projection before a "
                   "tenth of their day is usually done. Once over, the daily ceiling rule speaks instead.")
    default_threshold = Decimal("30.00")
    scopes = ("org", "team", "developer")
    on_recompute = True

    def findings(self, rules, ctx):
        if ctx.pairs is not None and not any(day == ctx.today for _, day in ctx.pairs):
            return
        start, end = day_bounds(ctx.today, ctx.tz)
        # The straight line's share is of the day's real length (23 or 25 hours when clocks change).
        linear = Decimal((ctx.now - start).total_seconds()) / Decimal((end - start).total_seconds())
        if not 0 <= linear < 1:
            return
        # Any spend today may project over: a usual day of history can carry a small start past a rule.
        costs = day_costs(ctx, above=Decimal(0), days=(ctx.today, ctx.today))
        if not costs:
            return
        local = ctx.now.astimezone(ctx.tz)
        shapes = ctx.shared("day_shapes", lambda: day_shapes(ctx.today))
        people = developer_people(d for d, _ in costs)
        for rule in rules:
            covered = developer_scope(rule)
            for (developer_id, day), cost in costs.items():
                if (covered is not None and developer_id not in covered) or cost > rule.threshold:
                    continue
                name, team_id, team_name = people[developer_id]
                shape = shapes.shape(developer_id, team_id)
                share = linear if shape.basis == day_shape.LINEAR else shape.share_done(local.time())
                projected = day_shape.projected_day(cost, share, shape)
                if projected is None or to_cents(projected) <= rule.threshold:
                    continue
                projected = to_cents(projected)
                yield Finding(
                    rule=rule, subject_key=f"developer:{developer_id}", day=day, developer_id=developer_id,
                    figure=projected, threshold=rule.threshold, link=developer_day_link(developer_id, day),
                    summary=f"{name} has spent {usd(cost)} by {local:%H:%M} on {day:%Y-%m-%d}; "
                            f"{shape_said(shape, share, local, team_name)}: the day ends at about "
                            f"{usd(projected)}, over the daily ceiling of {usd(rule.threshold)}.",
                )


def developer_people(ids) -> dict[int, tuple[str, int | None, str]]:
    """Developer id -> (name, team id, team name)."""
    rows = Developer.objects.filter(pk__in=set(ids)).values_list("pk", "name", "email", "team_id", "team__name")
    return {pk: (name or email, team_id, team_name or "") for pk, name, email, team_id, team_name in rows}


def shape_said(shape: day_shape.DayShape, share: Decimal, local, team_name: str) -> str:
    """What the projection assumed, in words: whose hours, how much of the day they put before now, and
    the usual day the rest is projected with."""
    percent = f"{(share * 100).quantize(Decimal(1))}%"
    if shape.basis == day_shape.LINEAR:
        return (f"{percent} of the day has passed (a straight line from midnight, at today's pace: too little "
                f"history of hours)")
    window = f"{shape.days} {{}} of the last {day_shape.HISTORY_DAYS}"
    whose = {
        day_shape.DEVELOPER: (f"their day is done by {local:%H:%M}, and their days average",
                              f"their hours on {window.format('days')}"),
        day_shape.TEAM: (f"a {team_name} developer's day is done by {local:%H:%M}, and their days average",
                         f"the team's hours on {window.format('developer-days')}; too few of their own"),
        day_shape.ORG: (f"a developer's day here is done by {local:%H:%M}, and their days average",
                        f"the org's hours on {window.format('developer-days')}; too few of their own or "
                        f"their team's"),
    }[shape.basis]
    return (f"usually {percent} of {whose[0]} {usd(shape.average)} ({whose[1]}); with the rest of the day at "
            f"a rate counting today so far with one usual day")
