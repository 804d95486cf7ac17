"""What a page or API call looks at: whose usage, which days, which model.

A Scope is built once per request (dashboard.filters) from what the user may see and the filters
they chose, and every selector reads through it, so a filter means the same on every page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet

from costdash.accounts.models import Developer

from .models import DailyActivity, DailyCost, DeveloperDay, HourlyCost, OrgDailyCost, OrgHourlyCost, SessionDay


@dataclass(frozen=True)
class Scope:
    """``developers``: already limited to what the user may see, then by the team/developer
    filters. Days are org-local and inclusive. ``model`` "" means every model. ``params`` are the
    filters as chosen (for links that keep them). ``project`` "" means every project; else the
    shown name of a project and ``repositories`` the repositories it stands for (chargeback.projects:
    only pages reading per-project rollups narrow by it; the others say they do not)."""

    developers: QuerySet[Developer]
    since: date
    until: date
    model: str = ""
    params: tuple[tuple[str, str], ...] = ()
    project: str = ""
    repositories: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def everyone(self) -> bool:
        """Whether ``developers`` is every developer (an unfiltered queryset): then a rollup table
        needs no developer filter at all, as each of its rows belongs to a developer (a foreign
        key), and a year of the org skips a semi-join over every row (35-50 ms at 200 x 365)."""
        query = self.developers.query
        return self.developers.model is Developer and not query.where and not query.is_sliced

    def of_developers(self, rows: QuerySet) -> QuerySet:
        """``rows`` (of a table with a ``developer`` foreign key) narrowed to the scope's developers."""
        return rows if self.everyone else rows.filter(developer__in=self.developers)

    def daily_costs(self) -> QuerySet[DailyCost]:
        rows = self.of_developers(DailyCost.objects.filter(day__gte=self.since, day__lte=self.until))
        return rows.filter(model=self.model) if self.model else rows

    def costs(self) -> QuerySet:
        """Spend, requests and tokens of the scope: ``daily_costs()`` without a project filter; with
        one, the project's rows of chargeback's DailyDimensionCost (DailyCost split by project, the
        same columns, adding up to it exactly), so a page reading this narrows by project."""
        if not self.project:
            return self.daily_costs()
        from costdash.chargeback.models import DailyDimensionCost  # chargeback builds on rollups

        rows = self.of_developers(DailyDimensionCost.objects.filter(day__gte=self.since, day__lte=self.until,
                                                                    project__in=self.repositories))
        return rows.filter(model=self.model) if self.model else rows

    def day_model_costs(self, by_project: bool = True) -> QuerySet:
        """Rows for sums grouped by day, model or source only (no developer): for a scope of every
        developer, OrgDailyCost (DailyCost summed over developers, the same columns but sessions and the
        cache split), unless a project narrows it; else ``costs()`` (``by_project``) or ``daily_costs()``."""
        if self.everyone and not (by_project and self.project):
            rows = OrgDailyCost.objects.filter(day__gte=self.since, day__lte=self.until)
            return rows.filter(model=self.model) if self.model else rows
        return self.costs() if by_project else self.daily_costs()

    def hourly_costs(self) -> QuerySet:
        """Spend per day and hour: OrgHourlyCost for a scope of every developer, else their HourlyCost rows
        (neither is per model or project)."""
        if self.everyone:
            return OrgHourlyCost.objects.filter(day__gte=self.since, day__lte=self.until)
        return self.of_developers(HourlyCost.objects.filter(day__gte=self.since, day__lte=self.until))

    def developer_days(self) -> QuerySet[DeveloperDay]:
        """Per developer-day totals over every model: only meaningful when ``model`` is "" (callers
        with a model filter group daily_costs() instead)."""
        return self.of_developers(DeveloperDay.objects.filter(day__gte=self.since, day__lte=self.until))

    def daily_activity(self) -> QuerySet[DailyActivity]:
        """Activity is not per model: the model filter does not apply."""
        return self.of_developers(DailyActivity.objects.filter(day__gte=self.since, day__lte=self.until))

    def session_days(self) -> QuerySet[SessionDay]:
        """Sessions are not per model: the model filter does not apply."""
        return self.of_developers(SessionDay.objects.filter(day__gte=self.since, day__lte=self.until))

    def previous(self) -> Scope:
        """The same length of time just before this one (for "vs the previous period")."""
        length = timedelta(days=self.days)
        return Scope(self.developers, self.since - length, self.since - timedelta(days=1), self.model, self.params,
                     self.project, self.repositories)

    def querystring(self, **changes: str) -> str:
        """The filters as a query string, with ``changes`` applied ("" removes one)."""
        params = dict(self.params)
        params.update(changes)
        return urlencode({k: v for k, v in params.items() if v})
