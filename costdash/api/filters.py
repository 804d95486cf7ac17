"""The pages' filters, read from an API call's query string.

The same forms as the pages (dashboard.filters.DashboardFilterForm, alerts.forms.AlertFilterForm), so a
filter means the same here, with the same defaults and the same visibility (a developer sees only
themself; another's id is not a valid choice). One difference: where a page shows a bad value as an
error and falls back to its default, the API answers 400 with the errors, so a script never gets
figures for something it did not ask for.
"""
from __future__ import annotations

from dataclasses import replace

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from costdash.accounts import roles
from costdash.accounts.models import Developer
from costdash.alerts.forms import AlertFilterForm
from costdash.dashboard.filters import LAST_30_DAYS, MAX_DAYS, DashboardFilterForm, org_today
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.developers import DEFAULT_SORT, SORT_KEYS

SCOPE_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="First org-local day, inclusive (default: 29 days "
                     "before `until`)"),
    OpenApiParameter("until", OpenApiTypes.DATE, description=f"Last day, inclusive (default: the org's today); "
                     f"at most {MAX_DAYS} days in all"),
    OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's developers (a team id)"),
    OpenApiParameter("developer", OpenApiTypes.INT, description="Only this developer (an id you may see)"),
    OpenApiParameter("model", OpenApiTypes.STR, description="Only this model's usage, e.g. claude-sonnet-4-6"),
    OpenApiParameter("project", OpenApiTypes.STR, description="Only this project's usage: its name as shown (the "
                     "repository, or the name an admin gave it; \"unknown project\" for sources without a working "
                     "directory)"),
]
SORT_PARAMETERS = [
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORT_KEYS), description=f"The column to sort by "
                     f"(default {DEFAULT_SORT}); a row without a value comes last either way"),
    OpenApiParameter("dir", OpenApiTypes.STR, enum=["asc", "desc"], description="Default: names A-Z, figures "
                     "highest first"),
]
DETAIL_PARAMETERS = [p for p in SCOPE_PARAMETERS if p.name in ("since", "until", "model", "project")]
ALERT_PARAMETERS = [
    OpenApiParameter("rule", OpenApiTypes.INT, description="Only this rule's alerts (a rule id)"),
    OpenApiParameter("developer", OpenApiTypes.INT, description="Only alerts about this developer"),
    OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "acknowledged"]),
]


def _valid(form: forms.Form) -> forms.Form:
    if not form.is_valid():
        raise ValidationError({("filters" if name == "__all__" else name): errors
                               for name, errors in form.errors.items()})
    return form


def api_scope(request, *, default: str = LAST_30_DAYS) -> Scope:
    """The scope of a list call, as scope_for gives a page's: what the user may see, narrowed by
    ?since, until, team, developer, model. 400 on a bad value."""
    form = DashboardFilterForm(request.query_params, user=request.user, today=org_today(), default=default)
    return _valid(form).scope()


def api_developer_scope(request, developer: Developer) -> Scope:
    """One developer's scope, as their page has it: the date range and model apply, team and developer do not."""
    data = request.query_params.copy()
    for name in ("team", "developer"):
        data.pop(name, None)
    form = _valid(DashboardFilterForm(data, user=request.user, today=org_today(), default=LAST_30_DAYS))
    return replace(form.scope(), developers=Developer.objects.filter(pk=developer.pk))


def api_alert_filters(request) -> AlertFilterForm:
    """?rule, developer, state, as the alerts page has them (developers limited to those the user may see)."""
    developers = roles.developers_visible_to(request.user).order_by("name", "email")
    return _valid(AlertFilterForm(request.query_params, developers=developers))
