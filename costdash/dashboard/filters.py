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
from django.utils.choices import BaseChoiceIterator

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
# The one default range of every dashboard page (issue 13): a link between pages that carries no
# dates opens the same days on the other page, so a figure and the figure its link opens agree.
DEFAULT_RANGE = MONTH_TO_DATE


class Choices(BaseChoiceIterator):
    """A field's (value, label) choices as given, already in Django's normalised form: assigned as a
    list, Django walks each of an org's 2,000 developers again on every page (``normalize_choices``)."""

    def __init__(self, pairs: list[tuple]):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)


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

    def __init__(self, data, *, user, today: date, default: str = DEFAULT_RANGE):
        super().__init__(data)
        self.today, self.default = today, default
        self.mismatch = ""  # set by scope(): why a team + developer filter cannot match
        self.visible = roles.developers_visible_to(user)
        self.sees_all = roles.sees_all_spend(user)
        developers = list(self.visible.order_by("name", "email").values_list("pk", "name", "email"))
        self.fields["developer"].choices = Choices([("", "Everyone" if self.sees_all else "Me")] + [
            (pk, name or email) for pk, name, email in developers
        ])
        teams = Team.objects.filter(developers__in=self.visible).distinct().order_by("name")
        self.fields["team"].choices = Choices([("", "All teams")] + [(t.pk, t.name) for t in teams])
        models = models_in_rollups(None if self.sees_all else self.visible)
        self.fields["model"].choices = Choices([("", "All models")] + [(m, m) for m in models])
        self.project_repositories = dict(project_choices(None if self.sees_all else self.visible))
        self.fields["project"].choices = Choices([("", "All projects")] + [(p, p) for p in self.project_repositories])

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
        self.mismatch = self._mismatch(data.get("team"), data.get("developer"))
        project = data.get("project") or ""
        return Scope(developers, since, until, data.get("model") or "", params, project,
                     self.project_repositories.get(project, ()))

    def _label(self, name: str, value) -> str:
        return dict(self.fields[name].choices).get(value, "")

    def _mismatch(self, team: int | None, developer: int | None) -> str:
        """Why a team + developer filter shows nothing when that developer is not in that team ("" otherwise)."""
        if not (team and developer) or self.visible.filter(pk=developer, team_id=team).exists():
            return ""
        return f"{self._label('developer', developer)} is not in the team {self._label('team', team)}"

    def subject(self) -> str:
        """Whose usage the page shows, in words (call after scope()): the chosen developer, else the
        chosen team, else "Every developer" (admin, billing) or "Your usage" (a developer)."""
        data = getattr(self, "cleaned_data", {})
        if self.sees_all and data.get("developer"):
            return self._label("developer", data["developer"])
        if self.sees_all and data.get("team"):
            return f"Team {self._label('team', data['team'])}"
        return "Every developer" if self.sees_all else "Your usage"

    def p90_label(self, user) -> str:
        """The P90 line's name for the scope shown (call after scope()): one chosen developer's is
        "Your P90" or "Their P90", never "Team P90"."""
        data = getattr(self, "cleaned_data", {})
        if not self.sees_all:
            return "Your P90"
        if data.get("developer"):
            own = getattr(getattr(user, "developer", None), "pk", None)
            return "Your P90" if data["developer"] == own else "Their P90"
        return "Team P90"


def scope_for(request, *, default: str = DEFAULT_RANGE) -> tuple[Scope, DashboardFilterForm]:
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
