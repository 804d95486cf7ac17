"""The filter bar every dashboard page shares: date range, team, developer, model, project, in the URL.

``?since=YYYY-MM-DD&until=YYYY-MM-DD&team=<id>&developer=<id>&model=<id>&project=<name>``. Every field is optional.
A value the user may not see (another team's developer for a developer) or that does not parse is
an error shown on the page, and the page falls back to its default for that field, so a shared
link never shows more than the viewer may see and never fails with a 500.
"""
from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings, Team
from costdash.chargeback.projects import project_choices
from costdash.lib.dates import EARLIEST_DAY, reporting_day
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.developers import DEFAULT_SORT, SORT_KEYS, TEXT_COLUMNS
from costdash.rollups.selectors.spend import models_in_rollups

MAX_DAYS = 366
LAST_30_DAYS = "last_30_days"
MONTH_TO_DATE = "month_to_date"


def org_today() -> date:
    return reporting_day(timezone.now(), OrgSettings.get().time_zone)


class DashboardFilterForm(forms.Form):
    since = forms.DateField(required=False, label="From")
    until = forms.DateField(required=False, label="To")
    team = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Team")
    developer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Developer")
    model = forms.ChoiceField(required=False, label="Model")
    # A project's shown name (chargeback.projects): narrows the pages that read per-project rollups.
    project = forms.ChoiceField(required=False, label="Project")

    def __init__(self, data, *, user, today: date, default: str = LAST_30_DAYS):
        super().__init__(data)
        self.today, self.default = today, default
        self.visible = roles.developers_visible_to(user)
        self.sees_all = roles.sees_all_spend(user)
        developers = list(self.visible.order_by("name", "email").values_list("pk", "name", "email"))
        self.fields["developer"].choices = [("", "Everyone" if self.sees_all else "Me")] + [
            (pk, name or email) for pk, name, email in developers
        ]
        teams = Team.objects.filter(developers__in=self.visible).distinct().order_by("name")
        self.fields["team"].choices = [("", "All teams")] + [(t.pk, t.name) for t in teams]
        models = models_in_rollups(None if self.sees_all else self.visible)
        self.fields["model"].choices = [("", "All models")] + [(m, m) for m in models]
        self.project_repositories = dict(project_choices(None if self.sees_all else self.visible))
        self.fields["project"].choices = [("", "All projects")] + [(p, p) for p in self.project_repositories]

    def default_range(self, until: date | None = None) -> tuple[date, date]:
        until = until or self.today
        if self.default == MONTH_TO_DATE:
            return until.replace(day=1), until
        return until - timedelta(days=29), until

    def _in_range(self, name: str) -> date | None:
        day = self.cleaned_data[name]
        if day is not None and day < EARLIEST_DAY:
            raise forms.ValidationError(f"{day} is too long ago: dates start at {EARLIEST_DAY}.")
        return day

    def clean_since(self) -> date | None:
        return self._in_range("since")

    def clean_until(self) -> date | None:
        return self._in_range("until")

    def clean(self):
        cleaned = super().clean()
        if "since" in self.errors or "until" in self.errors:
            return cleaned
        until = cleaned.pop("until", None) or self.today
        since = cleaned.pop("since", None) or self.default_range(until)[0]
        if since > until:
            raise forms.ValidationError(f"The start date ({since}) is after the end date ({until}).")
        if (until - since).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"Choose a range of at most {MAX_DAYS} days.")
        cleaned["since"], cleaned["until"] = since, until
        return cleaned

    def scope(self) -> Scope:
        """The scope to show: the valid filters, and defaults for the rest."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        valid_range = data.get("since") and data.get("until")
        since, until = (data["since"], data["until"]) if valid_range else self.default_range()
        developers = self.visible
        if data.get("team"):
            developers = developers.filter(team_id=data["team"])
        if data.get("developer"):
            developers = developers.filter(pk=data["developer"])
        params = tuple(
            (name, str(self.data[name])) for name in self.fields if self.data.get(name) and name not in self.errors
        )
        project = data.get("project") or ""
        return Scope(developers, since, until, data.get("model") or "", params, project,
                     self.project_repositories.get(project, ()))


def scope_for(request, *, default: str = LAST_30_DAYS) -> tuple[Scope, DashboardFilterForm]:
    """The request's scope and its filter form (for the filter bar and its errors)."""
    form = DashboardFilterForm(request.GET, user=request.user, today=org_today(), default=default)
    return form.scope(), form


def table_sort(params) -> tuple[str, bool]:
    """The Developers table's ?sort=<SORT_KEYS key>&dir=asc|desc -> (column, descending). An unknown
    column falls back to DEFAULT_SORT; without a valid dir, text columns go A-Z and figures highest first."""
    column = params.get("sort") if params.get("sort") in SORT_KEYS else DEFAULT_SORT
    direction = params.get("dir")
    descending = direction == "desc" if direction in ("asc", "desc") else column not in TEXT_COLUMNS
    return column, descending
