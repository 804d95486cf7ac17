"""The Plans pages in Chromium: the admin's team view and a developer's own, charts drawn, accessible,
inside the Content-Security-Policy, nothing leaving the machine. Fixtures and helpers are the
dashboard browser test's (the demo team's last two weeks, imported for real)."""
from __future__ import annotations

from datetime import timedelta
import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
import pytest

from costdash.accounts.models import Developer
from costdash.dashboard.filters import org_today
from tests.e2e.test_dashboard_browser import (  # noqa: F401  fixtures
    PASSWORD,
    assert_charts_drawn,
    browser,
    nav_to,
    team,
    visit,
)

pytestmark = pytest.mark.integration
SEED = importlib.import_module("costdash.planning.migrations.0002_seed_published_plan_prices")


@pytest.fixture
def plans(team):  # noqa: F811  the imported fixture
    """A transactional test empties every table, the seeded plan table too: seed it again as migrate does."""
    SEED.seed(apps, None)
    return team


def window_query() -> str:
    # The demo's two weeks end today: the month before and today's month (counted to today).
    return f"?month={org_today():%Y-%m}&months=2"


def test_admins_see_the_teams_mix_and_a_developers_months(plans, visit):  # noqa: F811
    v = visit("plans-admin", viewport={"width": 1366, "height": 900})
    v.login(plans, PASSWORD)
    nav_to(v, "Plans")
    v.goto("/plans/" + window_query())
    assert v.page.locator("h1").inner_text() == "Plan advice"
    assert "Usage limits are not modelled." in v.page.locator("[role=note]").inner_text()
    assert v.page.locator("#advice-developers tbody tr").count() == Developer.objects.filter(
        developer_days__day__gte=org_today() - timedelta(days=40)).distinct().count()
    assert v.page.get_by_text("no published price").count() >= 2  # Team premium, Enterprise
    assert [c["id"] for c in assert_charts_drawn(v, "the Plans page")] == ["plan-mix-chart"]
    v.screenshot("plans team")
    with v.page.expect_navigation():
        v.page.locator("#advice-developers tbody th a").first.click()
    assert v.page.locator("h1").inner_text().startswith("Plan advice: ")
    assert [c["id"] for c in assert_charts_drawn(v, "a developer's plans")] == ["plan-developer-chart"]
    v.screenshot("plans developer")
    v.assert_clean()


def test_a_developer_sees_only_their_own_advice(plans, visit):  # noqa: F811
    ana = Developer.objects.filter(daily_costs__isnull=False).order_by("name").first()
    ana.user = get_user_model().objects.create_user("ana-plans", password=PASSWORD)
    ana.save()
    v = visit("plans-developer", viewport={"width": 1366, "height": 900})
    v.login("ana-plans", PASSWORD)
    nav_to(v, "Plans")
    v.goto("/plans/" + window_query())
    assert v.page.locator("h1").inner_text() == "Your plan advice"
    rows = v.page.locator("#advice-developers tbody th")
    assert rows.count() == 1 and rows.first.inner_text() == ana.display_name
    assert v.page.locator("#advice-teams").count() == 0
    assert_charts_drawn(v, "a developer's Plans page")
    v.assert_clean()
