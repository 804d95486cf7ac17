"""Spend in a budget's current period (a developer's, a team's, or the default per developer) has
reached one of the shares the budget alerts at (budgets.selectors). One event per budget, share and
period (and developer, for the default budget): the event's day is the period's first day."""
from __future__ import annotations

from costdash.lib.money import usd

from .base import Finding, RuleKind, link


class BudgetShare(RuleKind):
    key = "budget_share"
    label = "Budget share reached"
    description = ("Spend in a budget's current period (day, ISO week or calendar month, in the org's time zone) "
                   "has reached one of the shares the budget alerts at (e.g. 50, 80 and 100%). Once per budget, "
                   "share and period; the default budget once per developer too. The shares are set on each "
                   "budget, not on this rule.")
    unit = None  # the shares are the budget's
    on_recompute = True

    def findings(self, rules, ctx):
        from costdash.budgets.models import share_text
        from costdash.budgets.selectors import budgets_status

        statuses = ctx.shared("budgets_status", lambda: budgets_status(ctx.today))
        for status in statuses:
            if ctx.pairs is not None and not _touched(status, ctx.pairs):
                continue
            budget = status.budget
            for share in budget.shares:
                line = budget.amount * share / 100
                if status.spend < line:
                    continue
                # A team budget's subject starts with its team, so the team's channels take it (alerts.routing).
                subject = f"team:{budget.team_id}:budget:{budget.pk}" if budget.scope == budget.Scope.TEAM \
                    else f"budget:{budget.pk}"
                if status.developer is not None and budget.scope == budget.Scope.DEFAULT:
                    subject += f":developer:{status.developer.pk}"
                subject += f":share:{share_text(share)}"
                for rule in rules:
                    yield Finding(
                        rule=rule, subject_key=subject, day=status.start, figure=status.spend, threshold=line,
                        developer_id=status.developer.pk if status.developer is not None else None,
                        link=link("budgets:list"),
                        summary=(f"{status.subject_label}: {usd(status.spend)} spent in {status.period_label}, "
                                 f"{status.percent_used}% of the {usd(budget.amount)} {budget.period_adjective} "
                                 f"budget, has reached {share_text(share)}% ({usd(line)})."),
                    )


def _touched(status, pairs) -> bool:
    """Whether a recompute wrote a day of this status's period for a developer it counts (a team
    budget: any developer of the team)."""
    written = {d for d, day in pairs if status.start <= day <= status.today}
    if status.developer is not None:
        return status.developer.pk in written
    return bool(written) and status.budget.team.developers.filter(pk__in=written).exists()
