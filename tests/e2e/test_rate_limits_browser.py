"""The Rate limits page in Chromium: the demo team's per-minute figures, the org's four charts drawn
with the limit entered, a team's charts, accessible and inside the Content-Security-Policy. Fixtures
and helpers are the dashboard browser test's (the demo team's last two weeks, imported for real)."""
from __future__ import annotations

import importlib

from django.apps import apps
import pytest

from costdash.ratelimits.models import OrgRateLimit
from tests.e2e.test_dashboard_browser import (  # noqa: F401  fixtures
    PASSWORD,
    assert_charts_drawn,
    browser,
    nav_to,
    team,
    visit,
)

pytestmark = pytest.mark.integration
SEED = importlib.import_module("costdash.ratelimits.migrations.0002_seed_anthropic_recommendations")
CHARTS = ["rate-chart-tpm", "rate-chart-itpm", "rate-chart-otpm", "rate-chart-rpm"]


@pytest.fixture
def rates(team):  # noqa: F811  the imported fixture
    """A transactional test empties every table, the seeded recommendations too: seed them as migrate does."""
    SEED.seed(apps, None)
    return team


def test_admins_see_the_orgs_minutes_against_the_limits_and_a_teams(rates, visit):  # noqa: F811
    v = visit("rate-limits", viewport={"width": 1366, "height": 900})
    v.login(rates, PASSWORD)
    nav_to(v, "Rate limits")
    assert v.page.locator("h1").inner_text() == "Rate limits"
    v.page.fill("#id_itpm", "20000")
    v.page.fill("#id_rpm", "6")
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Save the limits").click()
    assert OrgRateLimit.get().itpm == 20000
    assert "would have been throttled by the limits entered" in v.page.locator("#org-throttled").inner_text()
    assert [c["id"] for c in assert_charts_drawn(v, "the Rate limits page", at_least=4)] == CHARTS
    assert v.page.locator("#teams tbody tr").count() >= 2
    v.screenshot("rate limits org")
    with v.page.expect_navigation():
        v.page.locator("#teams tbody th a").first.click()
    team_name = v.page.locator("#charts-title").inner_text()
    assert team_name.startswith("By day: ") and team_name != "By day: Whole organisation"
    assert_charts_drawn(v, "a team's rate charts", at_least=4)
    v.screenshot("rate limits team")
    v.assert_clean()
