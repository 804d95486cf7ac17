"""Month-to-date spend against a spend limit (the org's or a workspace's): reached a share of it,
or projected to at the current burn rate (limits.selectors, rollups.projection)."""
from __future__ import annotations

from decimal import Decimal

from costdash.lib.money import usd

from .base import PERCENT, Finding, RuleKind, link, month_label


def _statuses(ctx):
    from costdash.limits.selectors import limits_status

    return ctx.shared("limits_status", lambda: limits_status(ctx.today))


def _finding(rule, status, figure: Decimal, summary: str) -> Finding:
    return Finding(
        rule=rule, subject_key=f"limit:{status.limit.pk}", day=status.month_start, figure=figure,
        threshold=status.limit.amount * rule.threshold / 100,
        link=link("limits:list", month=f"{status.month_start:%Y-%m}"), summary=summary,
    )


class LimitShare(RuleKind):
    key = "limit_share"
    label = "Spend limit reached"
    description = ("Month-to-date spend has reached the threshold's share of a spend limit (org or workspace): "
                   "default rules at 50, 80 and 100%. Once per limit and month.")
    unit = PERCENT
    monthly = True
    default_threshold = Decimal("80")

    def findings(self, rules, ctx):
        if ctx.pairs is not None:
            return
        for status in _statuses(ctx):
            for rule in rules:
                line = status.limit.amount * rule.threshold / 100
                if status.spend < line:
                    continue
                yield _finding(rule, status, status.spend, (
                    f"{status.limit}: {usd(status.spend)} spent in {month_label(status.month_start)} to "
                    f"{status.as_of:%Y-%m-%d}, {status.share_used_percent}% of the {usd(status.limit.amount)} "
                    f"limit, has reached {rule.threshold.normalize():f}% ({usd(line)})."
                ))


class LimitProjected(RuleKind):
    key = "limit_projected"
    label = "Spend limit projected to be reached"
    description = ("At the burn rate of the last 7 full days, the month will end at or above the threshold's "
                   "share of a spend limit (default 100%). Once per limit and month.")
    unit = PERCENT
    monthly = True
    default_threshold = Decimal("100")

    def findings(self, rules, ctx):
        if ctx.pairs is not None:
            return
        for status in _statuses(ctx):
            if status.projected is None:
                continue
            for rule in rules:
                line = status.limit.amount * rule.threshold / 100
                if status.projected < line:
                    continue
                yield _finding(rule, status, status.projected, (
                    f"{status.limit}: at {usd(status.burn_rate)} a day, {month_label(status.month_start)} ends at "
                    f"{usd(status.projected)}, at or over {rule.threshold.normalize():f}% of the "
                    f"{usd(status.limit.amount)} limit ({usd(line)}); {usd(status.spend)} spent so far."
                ))
