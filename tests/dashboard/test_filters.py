"""The shared filter bar: what it scopes, what it refuses, and that it never widens what a user sees."""
from datetime import date

import pytest

from costdash.dashboard.filters import LAST_30_DAYS, DashboardFilterForm
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory

TODAY = date(2026, 3, 20)


@pytest.fixture
def team_data(developer_user):
    alpha, beta = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    ana = developer_user.developer
    ana.team = alpha
    ana.save()
    bo = DeveloperFactory(email="bo@example.com", name="Bo", team=beta)
    DailyCostFactory(developer=ana, day=date(2026, 3, 10), model="claude-sonnet-4-6")
    DailyCostFactory(developer=bo, day=date(2026, 3, 10), model="claude-opus-4-6")
    return ana, bo, alpha, beta


def scope(user, **params):
    return DashboardFilterForm(params, user=user, today=TODAY).scope()


def test_defaults_are_the_month_to_date_or_the_last_30_days(admin_user):
    s = scope(admin_user)  # every page's default (issue 13)
    assert (s.since, s.until, s.model) == (date(2026, 3, 1), TODAY, "")
    last_30 = DashboardFilterForm({}, user=admin_user, today=TODAY, default=LAST_30_DAYS).scope()  # the API's
    assert (last_30.since, last_30.until) == (date(2026, 2, 19), TODAY)


def test_team_developer_and_model_narrow_the_scope_and_are_kept_for_links(admin_user, team_data):
    ana, bo, alpha, beta = team_data
    s = scope(admin_user, team=str(beta.pk), model="claude-opus-4-6", since="2026-03-01", until="2026-03-15")
    assert list(s.developers) == [bo]
    assert list(s.daily_costs().values_list("model", flat=True)) == ["claude-opus-4-6"]
    assert s.querystring(model="") == f"since=2026-03-01&until=2026-03-15&team={beta.pk}"
    assert list(scope(admin_user, developer=str(ana.pk)).developers) == [ana]


def test_a_developer_cannot_widen_their_scope_with_someone_elses_id(developer_user, team_data):
    ana, bo, *_ = team_data
    form = DashboardFilterForm({"developer": str(bo.pk)}, user=developer_user, today=TODAY)
    s = form.scope()
    assert "developer" in form.errors
    assert list(s.developers) == [ana]
    assert [label for _, label in form.fields["model"].choices] == ["All models", "claude-sonnet-4-6"]


@pytest.mark.parametrize(
    ("params", "error"),
    [({"since": "2026-03-10", "until": "2026-03-01"}, "after the end date"),
     ({"since": "2024-01-01"}, "at most 366 days"),
     ({"since": "yesterday"}, "Enter a valid date")],
)
def test_bad_ranges_fall_back_to_the_default_with_an_error(admin_user, params, error):
    form = DashboardFilterForm(params, user=admin_user, today=TODAY)
    s = form.scope()
    assert error in str(form.errors)
    assert (s.since, s.until) == (date(2026, 3, 1), TODAY)
