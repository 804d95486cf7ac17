"""A developer's home (/) is their own today; admins and billing keep the Overview. And the "When"
heatmap (hour of day x weekday, org time zone) on the Overview and a developer's page.

Worked by hand in America/New_York, where clocks went back at 2026-11-01 06:00Z (EDT, UTC-4, to
EST, UTC-5). "Today" is Tuesday 2026-11-03; the week starts Monday Nov 2; the usual-day window is
the 90 days before today, 2026-08-05 to 2026-11-02.

  UTC time            org-local             cost    week  month  usual window
  2026-08-04T16:00Z   Tue Aug 4  12:00 EDT  $100                  no (91 days back)
  2026-10-30T16:00Z   Fri Oct 30 12:00 EDT  $30                   yes
  2026-11-01T03:30Z   Sat Oct 31 23:30 EDT  $10                   yes
  2026-11-01T05:30Z   Sun Nov 1  01:30 EDT  $35           yes     yes  (over the $30 ceiling)
  2026-11-03T04:30Z   Mon Nov 2  23:30 EST  $20     yes   yes     yes  (under EDT it would be Nov 3)
  2026-11-03T05:30Z   Tue Nov 3  00:30 EST  $4      yes   yes     today
  2026-11-03T06:00Z   Tue Nov 3  01:00 EST  unpriced (a request, no cost)

Today $4.00, 2 requests (1 unpriced). Week $24.00 over 2 active days ($12.00 each). Month $59.00
over 3 active days, 1 over $30. Usual window's active days 10, 20, 30, 35: P90 at rank 3 x 0.9 =
2.7, 30 + 0.7 x 5 = $33.50.
"""
from datetime import UTC, date, datetime
from decimal import Decimal as D
from itertools import count
import json

from django.urls import reverse
import pytest

from costdash.accounts.models import OrgSettings
from costdash.ingest.models import UsageAggregate, UsageEvent
from costdash.rollups.selectors.today import developer_today
from costdash.rollups.services import daily_cost_mark_all_dirty, daily_cost_recompute_dirty
from tests.factories import DeveloperFactory, TeamFactory

TODAY = date(2026, 11, 3)
_keys = count()

WORKED = [
    ("2026-08-04T16:00:00", "100"), ("2026-10-30T16:00:00", "30"), ("2026-11-01T03:30:00", "10"),
    ("2026-11-01T05:30:00", "35"), ("2026-11-03T04:30:00", "20"), ("2026-11-03T05:30:00", "4"),
    ("2026-11-03T06:00:00", None),
]


def event(developer, ts: str, cost: str | None, session: str = "s-1") -> None:
    UsageEvent.objects.create(
        dedupe_key=f"test:{next(_keys)}", source="claude_code_jsonl", developer=developer, session_id=session,
        timestamp=datetime.fromisoformat(ts).replace(tzinfo=UTC), model="claude-sonnet-4-6", output_tokens=10,
        cost=None if cost is None else D(cost),
    )


def rolled_up(developer, rows=WORKED, session: str = "s-1") -> None:
    for ts, cost in rows:
        event(developer, ts, cost, session)
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()


@pytest.fixture
def new_york(db):
    org = OrgSettings.get()
    org.time_zone = "America/New_York"
    org.save()
    return org


@pytest.fixture
def ana(developer_user, new_york):
    rolled_up(developer_user.developer)
    return developer_user


@pytest.fixture
def on_today(monkeypatch):
    monkeypatch.setattr("costdash.dashboard.views.home.org_today", lambda: TODAY)


def figure_in(html: str, chart_id: str) -> dict:
    opening = f'<script id="{chart_id}" type="application/json">'
    start = html.index(opening) + len(opening)
    return json.loads(html[start : html.index("</script>", start)])


def stat(html: str, kpi: str) -> str:
    start = html.index(f'id="{kpi}"')
    return html[start : html.index("</div>", start)]


def page(client, user, url="/", params=None) -> str:
    client.force_login(user)
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


# The figures


def test_today_week_month_and_usual_day_across_the_clock_change(ana):
    f = developer_today(ana.developer.pk, TODAY, average=D(13), ceiling=D(30))
    today, week, month = f["today"], f["week"], f["month"]
    assert (today.spend, today.requests, today.unpriced, today.active_days) == (D(4), 2, 1, 1)
    assert (week.since, week.spend, week.active_days, week.average, week.requests) == (date(2026, 11, 2), D(24), 2, D(12), 3)
    assert (month.since, month.spend, month.active_days, month.days_over_ceiling, month.requests) == (
        date(2026, 11, 1), D(59), 3, 1, 4)
    assert f["usual"] == {"p90": D("33.5"), "active_days": 4, "since": date(2026, 8, 5), "until": date(2026, 11, 2)}
    assert (f["standing"], f["over_usual"]) == ("under_average", False)


def test_a_day_over_the_ceiling_and_the_usual_day(ana):
    event(ana.developer, "2026-11-03T15:00:00", "28.00")  # today: 4 + 28 = $32
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    f = developer_today(ana.developer.pk, TODAY, average=D(13), ceiling=D(30))
    assert (f["today"].spend, f["standing"], f["over_usual"]) == (D(32), "over_ceiling", False)
    f = developer_today(ana.developer.pk, TODAY, average=D(13), ceiling=D(40))
    assert f["standing"] == "over_average"
    f = developer_today(ana.developer.pk, date(2026, 11, 4), average=D(13), ceiling=D(30))
    assert f["today"].active_days == 0 and f["standing"] == "none"
    # Nov 4's window now holds Nov 3 ($32) too: 10, 20, 30, 32, 35 -> rank 3.6: 32 + 0.6 x 3 = $33.80
    assert f["usual"]["p90"] == D("33.8")


# The page, by role


def test_a_developer_home_is_their_own_today(client, ana, on_today):
    html = page(client, ana)
    assert "$4.00" in stat(html, "kpi-today") and "2 requests (1 without a known price" in stat(html, "kpi-today")
    assert "$24.00" in stat(html, "kpi-week") and "2 active days, $12.00 per active day" in stat(html, "kpi-week")
    assert "$59.00" in stat(html, "kpi-month") and "1 over $30.00" in stat(html, "kpi-month")
    assert "$33.50" in stat(html, "kpi-usual") and "4 active days in the last 90 days" in stat(html, "kpi-usual")
    assert "at or under the $13.00 average" in html and "$19.67 per active day: above the $13.00 average" in html
    assert "No budget is set for you" in html
    # Not a team page for one person.
    for team_words in ("Active developers", "Your P90", "Top spenders", "developer-day"):
        assert team_words not in html
    assert ">Today</a>" in html  # the nav names the page for what it is


def test_recent_sessions_latest_first_with_the_link_to_all_their_usage(client, ana, on_today):
    rolled_up(ana.developer, [("2026-11-03T14:00:00", "1.50"), ("2026-11-03T14:20:00", "0.50")], session="s-later")
    html = page(client, ana)
    sessions = html[html.index('id="recent-sessions"'):]
    assert sessions.index("s-later") < sessions.index("s-1")
    assert "$2.00" in sessions and "Tue Nov 3, 09:00" in sessions  # 14:00Z is 09:00 EST
    assert reverse("dashboard:developer", args=[ana.developer.pk]) in sessions


def test_a_login_with_no_developer_is_told_why(client, outsider_user, on_today):
    html = page(client, outsider_user)
    assert "not linked to a developer" in html and "kpi-today" not in html


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admins_and_billing_keep_the_overview(client, ana, persona, request):
    html = page(client, request.getfixturevalue(persona), params={"since": "2026-11-01", "until": "2026-11-03"})
    assert 'id="kpi-developers"' in html and "kpi-today" not in html and ">Overview</a>" in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# The heatmap


def test_the_overview_heatmap_by_weekday_and_hour_follows_the_team_filter(client, ana, admin_user):
    bo = DeveloperFactory(email="bo@example.com", name="Bo", team=TeamFactory(name="Platform"))
    rolled_up(bo, [("2026-11-01T05:30:00", "1.00"), ("2026-11-01T06:30:00", "2.00")])  # 01:30 EDT, 01:30 EST
    week = {"since": "2026-10-26", "until": "2026-11-03"}
    z = figure_in(page(client, admin_user, params=week), "when-chart")["data"][0]
    assert z["type"] == "heatmap" and z["y"][0] == "Mon" and z["x"][23] == "23:00"
    cells = {(z["y"][w], z["x"][h]): (v, z["customdata"][w][h]) for w, row in enumerate(z["z"]) for h, v in
             enumerate(row) if v or z["customdata"][w][h]}
    assert cells == {
        ("Fri", "12:00"): (30.0, 1), ("Sat", "23:00"): (10.0, 1), ("Sun", "01:00"): (38.0, 3),
        ("Mon", "23:00"): (20.0, 1), ("Tue", "00:00"): (4.0, 1), ("Tue", "01:00"): (0.0, 1),
    }
    platform = figure_in(page(client, admin_user, params=week | {"team": bo.team_id}), "when-chart")["data"][0]
    assert platform["z"][6][1] == 3.0 and sum(map(sum, platform["z"])) == 3.0


def test_a_developer_page_heatmap_and_what_it_cannot_place(client, ana):
    UsageAggregate.objects.create(
        key="test|daily", source="anthropic_usage", developer=ana.developer, start=datetime(2026, 10, 28, tzinfo=UTC),
        width="1d", model="claude-sonnet-4-6", raw_model="claude-sonnet-4-6", output_tokens=10, requests=2,
        cost=D("7.25"),
    )
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    url = reverse("dashboard:developer", args=[ana.developer.pk])
    html = page(client, ana, url, {"since": "2026-10-26", "until": "2026-11-03"})
    z = figure_in(html, "when-chart")["data"][0]["z"]
    assert z[0][23] == 20.0 and z[6][1] == 35.0 and sum(map(sum, z)) == 99.0
    assert "$7.25 came from daily reports, which give no time of day" in html
    html = page(client, ana, url, {"since": "2026-10-26", "until": "2026-11-03", "model": "claude-sonnet-4-6"})
    assert "the model filter does not apply here" in html
