"""Month-to-date spend against a spend limit (the org's or a workspace's): reached a share of it,
or projected to at the current burn rate (limits.selectors, rollups.projection)."""
from __future__ import annotations

from decimal import Decimal

from costdash.lib.money import usd

from .base import PERCENT, Finding, RuleKind, link, month_label


class _LimitKind(RuleKind):
    """A figure of each limit's status this month (``figure_of``) against the rule's share of the limit."""

    unit = PERCENT
    monthly = True

    def figure_of(self, status) -> Decimal | None:
        raise NotImplementedError

    def summary(self, status, share: str, line: Decimal) -> str:
        raise NotImplementedError

    def findings(self, rules, ctx):
        if ctx.pairs is not None:
            return
        from costdash.limits.selectors import limits_status

        for status in ctx.shared("limits_status", lambda: limits_status(ctx.today)):
            figure = self.figure_of(status)
            for rule in rules:
                line = status.limit.amount * rule.threshold / 100
                if figure is None or figure < line:
                    continue
                yield Finding(
                    rule=rule, subject_key=f"limit:{status.limit.pk}", day=status.month_start, figure=figure,
                    threshold=line, link=link("limits:list", month=f"{status.month_start:%Y-%m}"),
                    summary=self.summary(status, f"{rule.threshold.normalize():f}%", line),
                )


class LimitShare(_LimitKind):
    key = "limit_share"
    label = "Spend limit reached"
    description = ("Month-to-date spend has reached the threshold's share of a spend limit (org or workspace): "
                   "default rules at 50, 80 and 100%. Once per limit and month.")
    default_threshold = Decimal("80")

    def figure_of(self, status):
        return status.spend

    def summary(self, status, share, line):
        return (f"{status.limit}: {usd(status.spend)} spent in {month_label(status.month_start)} to "
                f"{status.as_of:%Y-%m-%d}, {status.share_used_percent}% of the {usd(status.limit.amount)} "
                f"limit, has reached {share} ({usd(line)}).")


class LimitProjected(_LimitKind):
    key = "limit_projected"
    label = "Spend limit projected to be reached"
    description = ("At the burn rate of the last 7 full days, the month will end at or above the threshold's "
                   "share of a spend limit (default 100%). Once per limit and month.")
    default_threshold = Decimal("100")

    def figure_of(self, status):
        return status.projected  # None for a past month

    def summary(self, status, share, line):
        return (f"{status.limit}: at {usd(status.burn_rate)} a day, {month_label(status.month_start)} ends at "
                f"{usd(status.projected)}, at or over {share} of the {usd(status.limit.amount)} limit "
                f"({usd(line)}); {usd(status.spend)} spent so far.")
