"""A team's average cost per active developer-day, over a window of full days, above a figure."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Sum

from costdash.lib.money import to_cents, usd
from costdash.rollups.models import DeveloperDay

from .base import Finding, RuleKind, link


class TeamAverage(RuleKind):
    key = "team_average"
    label = "Team average above the daily figure"
    description = ("A team's cost per active developer-day, over the chosen number of full days before today, "
                   "is above the threshold (default $13, Anthropic's average per developer per active day). "
                   "Raised at most once per window while it stays above.")
    default_threshold = Decimal("13.00")
    scopes = ("org", "team")
    uses_window = True

    def findings(self, rules, ctx):
        if ctx.pairs is not None:
            return
        from costdash.alerts.models import AlertEvent

        last = ctx.today - timedelta(days=1)
        for rule in rules:
            first = last - timedelta(days=rule.window_days - 1)
            recent = AlertEvent.objects.filter(rule=rule, day__gt=last - timedelta(days=rule.window_days))
            already = set(recent.values_list("subject_key", flat=True))
            for team_id, name, spend, days in self._averages(rule, first, last):
                average = spend / days
                subject = f"team:{team_id}"
                if average <= rule.threshold or subject in already:
                    continue
                yield Finding(
                    rule=rule, subject_key=subject, day=last, figure=to_cents(average), threshold=rule.threshold,
                    link=link("dashboard:developers", team=team_id, since=first, until=last),
                    summary=f"Team {name} averaged {usd(average)} per active developer-day over the "
                            f"{rule.window_days} days {first:%Y-%m-%d} to {last:%Y-%m-%d} ({days} active days, "
                            f"{usd(spend)}), above {usd(rule.threshold)}.",
                )

    @staticmethod
    def _averages(rule, first, last) -> list[tuple[int, str, Decimal, int]]:
        """(team id, name, spend, active developer-days) of the rule's teams with any active day."""
        rows = DeveloperDay.objects.filter(day__gte=first, day__lte=last, active=True, developer__team__isnull=False)
        if rule.scope == "team":
            rows = rows.filter(developer__team_id=rule.team_id)
        grouped = rows.values_list("developer__team_id", "developer__team__name").annotate(
            spend=Sum("cost"), days=Count("pk")).order_by("developer__team_id")
        return list(grouped)
