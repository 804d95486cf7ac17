"""Alert routing in Chromium: an admin makes a team's channel with quiet hours and a daily digest,
points a rule at it as urgent, and reads where an alert goes, each page accessible and inside the
Content-Security-Policy. Fixtures and helpers are the dashboard browser test's (the demo team's
last two weeks, imported for real)."""
from __future__ import annotations

from datetime import time

import pytest

from costdash.accounts.models import Team
from costdash.alerts.models import AlertEvent, AlertRule, Channel
from tests.e2e.test_dashboard_browser import (  # noqa: F401  fixtures
    PASSWORD,
    browser,
    nav_to,
    team,
    visit,
)

pytestmark = pytest.mark.integration


def test_an_admin_routes_a_rule_to_a_teams_quiet_digest_channel(team, visit):  # noqa: F811
    demo_team = Team.objects.order_by("name").first()
    assert demo_team is not None, "the demo has teams"
    v = visit("alert-routing", viewport={"width": 1366, "height": 900})
    v.login(team, PASSWORD)
    nav_to(v, "Alerts")
    v.goto("/alerts/channels/new/?kind=webhook")
    v.check_accessibility()
    v.page.fill("#id_name", "Team hook")
    v.page.fill("#id_target", "https://example.com/hooks/team")
    v.page.fill("#id_signing_secret", "whsec-browser-0123456789")
    v.page.select_option("#id_team", label=demo_team.name)
    v.page.select_option("#id_digest", value="daily")
    v.page.fill("#id_quiet_start", "22:00")
    v.page.fill("#id_quiet_end", "07:00")
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Save").click()
    channel = Channel.objects.get(name="Team hook")
    assert (channel.team, channel.digest, channel.quiet_start, channel.quiet_end) == (
        demo_team, "daily", time(22), time(7))
    card = v.page.locator("section.card", has_text="Team hook").inner_text()
    assert f"Team {demo_team.name}'s alerts only" in card and "quiet 22:00–07:00" in card
    v.screenshot("channels with a team digest")

    rule = AlertRule.objects.get(kind="projected_ceiling")
    v.goto(f"/alerts/rules/{rule.pk}/")
    v.check_accessibility()
    v.page.select_option("#id_channels", label="Team hook")
    v.page.select_option("#id_urgent", value="true")
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Save").click()
    rule.refresh_from_db()
    assert list(rule.channels.all()) == [channel] and rule.urgent is True
    row = v.page.locator("tbody tr", has_text=str(rule)).first.inner_text()
    assert "Team hook" in row
    v.screenshot("rules with channels")

    event = AlertEvent.objects.order_by("-pk").first()
    assert event is not None, "the demo import raised no alert"
    v.goto(f"/alerts/{event.pk}/")
    assert "Where it goes" in v.page.locator("main").inner_text()
    v.screenshot("where an alert goes")
    v.assert_clean()
