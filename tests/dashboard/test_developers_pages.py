"""The Developers table and the per-developer page: access matrix, hand-worked figures
(tests/team_usage.py), sorting and filters in the URL, charts, sessions, empty states, query counts."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
import re
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
import pytest

from costdash.accounts.models import OrgSettings
from costdash.dashboard.filters import org_today
from costdash.rollups.models import SessionDay
from tests.dashboard.test_overview_page import figure_in
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.team_usage import team_usage

LIST = reverse("dashboard:developers")


def detail_url(developer) -> str:
    return reverse("dashboard:developer", args=[developer.pk])


@pytest.fixture
def team(developer_user):
    """tests/team_usage.py 60 days back, and its 20-day range as filters."""
    base = org_today() - timedelta(days=60)
    found = team_usage(developer_user.developer, base)
    return found | {"range": {"since": base.isoformat(), "until": found["day"](19).isoformat()}}


def get(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {})


def row_names(html: str) -> list[str]:
    table = html[html.index('id="developers"'):html.index("</table>", html.index('id="developers"'))]
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', table)


# Access matrix


@pytest.mark.parametrize("url", [LIST, "/developers/1/"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admin_and_billing_see_everyone_and_open_any_page(client, team, persona, request):
    user = request.getfixturevalue(persona)
    html = get(client, user, LIST, team["range"]).content.decode()
    assert row_names(html) == ["Bo Brannigan", "Ana"]  # by spend: $60 then $59.50
    for dev in (team["ana"], team["bo"]):
        assert get(client, user, detail_url(dev)).status_code == 200


def test_developer_sees_only_their_own_row_and_page(client, team, developer_user):
    html = get(client, developer_user, LIST, team["range"]).content.decode()
    assert row_names(html) == ["Ana"] and "Bo Brannigan" not in html
    assert get(client, developer_user, detail_url(team["ana"])).status_code == 200
    assert get(client, developer_user, detail_url(team["bo"])).status_code == 404


def test_outsider_sees_an_empty_state_and_no_page(client, team, outsider_user):
    html = get(client, outsider_user, LIST).content.decode()
    assert "No developer is linked to your login" in html and "Ana" not in html
    assert get(client, outsider_user, detail_url(team["ana"])).status_code == 404


def test_an_unknown_developer_is_404(client, admin_user):
    assert get(client, admin_user, "/developers/999999/").status_code == 404


def test_empty_state_says_what_to_import(client, admin_user):
    html = get(client, admin_user, LIST).content.decode()
    assert "Import Claude Code transcripts" in html and f'href="{reverse("ingest:upload")}"' in html


# The table


def test_table_figures(client, team, admin_user):
    html = get(client, admin_user, LIST, team["range"]).content.decode()
    ana_row = html[html.index(">Ana</a>"):]
    ana_row = ana_row[:ana_row.index("</tr>")]
    for cell in ("$59.50", "$14.88", "$26.35", "$31.00", "77.5%", "<code>sonnet</code>", ">2<"):
        assert cell in ana_row, cell
    bo_row = html[html.index(">Bo Brannigan</a>"):]
    bo_row = bo_row[:bo_row.index("</tr>")]
    for cell in ("$60.00", "$15.00", "$27.00", "25.0%", ">3*<"):  # * : sessions from daily reports
        assert cell in bo_row, cell


def test_sort_is_in_the_url_and_headings_toggle_it(client, team, admin_user):
    response = get(client, admin_user, LIST, team["range"] | {"sort": "cache_hit_rate", "dir": "asc"})
    html = response.content.decode()
    assert row_names(html) == ["Bo Brannigan", "Ana"]  # 25% before 77.5%
    assert 'aria-sort="ascending"' in html
    since, until = team["range"]["since"], team["range"]["until"]
    # The current column's link flips the direction; the others start highest first (text: A-Z); filters kept.
    assert f'href="?since={since}&amp;until={until}&amp;sort=cache_hit_rate&amp;dir=desc"' in html
    assert f'href="?since={since}&amp;until={until}&amp;sort=spend&amp;dir=desc"' in html
    assert f'href="?since={since}&amp;until={until}&amp;sort=developer&amp;dir=asc"' in html
    # The filter bar keeps the chosen sort.
    assert '<input type="hidden" name="sort" value="cache_hit_rate">' in html
    assert '<input type="hidden" name="dir" value="asc">' in html
    by_name = get(client, admin_user, LIST, team["range"] | {"sort": "developer"}).content.decode()
    assert row_names(by_name) == ["Ana", "Bo Brannigan"]


def test_a_bad_sort_falls_back_to_spend(client, team, admin_user):
    html = get(client, admin_user, LIST, team["range"] | {"sort": "password", "dir": "sideways"}).content.decode()
    assert row_names(html) == ["Bo Brannigan", "Ana"]


def test_filters_change_the_table(client, team, admin_user):
    beta = team["bo"].team
    html = get(client, admin_user, LIST, team["range"] | {"team": str(beta.pk)}).content.decode()
    assert row_names(html) == ["Bo Brannigan"]
    rows = get(client, admin_user, LIST, team["range"] | {"model": "opus"}).context["table"]["developers"]
    assert [(r["developer"], r["spend"]) for r in rows] == [("Bo Brannigan", D("20.00")), ("Ana", D("5.50"))]


def test_rows_link_to_the_developer_page_keeping_range_and_model(client, team, admin_user):
    beta = team["bo"].team
    html = get(client, admin_user, LIST, team["range"] | {"team": str(beta.pk), "model": "opus"}).content.decode()
    since, until = team["range"]["since"], team["range"]["until"]
    assert f'href="{detail_url(team["bo"])}?since={since}&amp;until={until}&amp;model=opus"' in html


def test_per_developer_daily_chart_moved_here(client, team, admin_user):
    html = get(client, admin_user, LIST, team["range"]).content.decode()
    figure = figure_in(html, "spend-chart")
    assert [t["name"] for t in figure["data"]] == ["Ana", "Bo Brannigan"]
    assert [s["y0"] for s in figure["layout"]["shapes"]] == [13.0, 30.0, 30.3]
    assert "/static/vendor/plotly.min.js" in html


# One developer's page


def test_developer_page_figures_and_charts(client, team, admin_user):
    html = get(client, admin_user, detail_url(team["ana"]), team["range"]).content.decode()
    assert "$59.50" in html and "$26.35" in html and "77.5%" in html and "Their P90" in html
    daily = figure_in(html, "daily-chart")
    assert daily["data"][0]["y"] == [15.5, 31.0, 13.0, 0.0]
    assert [s["y0"] for s in daily["layout"]["shapes"]] == [13.0, 30.0, 26.35]
    cache = figure_in(html, "cache-chart")
    assert cache["data"][0]["type"] == "scatter" and "%" in cache["data"][0]["hovertemplate"]
    assert [y for y in cache["data"][0]["y"] if y is not None] == [55.0, 100.0]
    models = figure_in(html, "models-chart")
    assert [t["name"] for t in models["data"]] == ["sonnet", "opus"]
    mix = html[html.index('id="model-mix"'):]
    assert mix.index("sonnet") < mix.index("opus") < mix.index("mystery-model")
    assert "90.8%" in mix  # sonnet: 54 / 59.50
    assert "mystery-model" in html and "<em>not</em> counted as $0" in html


def test_own_page_says_your_p90(client, team, developer_user):
    html = get(client, developer_user, detail_url(team["ana"]), team["range"]).content.decode()
    assert "Your P90" in html
    assert 'name="team"' not in html and 'name="developer"' not in html  # one developer's page


def test_sessions_table_and_activity(client, team, admin_user):
    html = get(client, admin_user, detail_url(team["ana"]), team["range"]).content.decode()
    sessions = html[html.index('id="sessions"'):]
    assert "2 sessions in range" in sessions
    assert sessions.index(">45<") < sessions.index(">960<")  # s2 (latest start) first, then s1 (16 h)
    assert "$40.00" in sessions and "2,470" in sessions and "+1 unpriced" in sessions
    activity = html[html.index('id="activity"'):]
    assert "+120 / −30" in activity and ">2<" in activity and ">1<" in activity


def test_session_times_are_in_the_org_time_zone(client, team, admin_user):
    org = OrgSettings.get()
    org.time_zone = "America/New_York"
    org.save()
    html = get(client, admin_user, detail_url(team["ana"]), team["range"]).content.decode()
    start = team["day"](12)
    # s2 starts 14:00 UTC: 09:00 or 10:00 in New York, depending on daylight saving time.
    local = datetime(start.year, start.month, start.day, 14, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") in html[html.index('id="sessions"'):]
    assert "times in America/New_York" in html


def test_detail_filters_apply_but_team_and_developer_do_not(client, team, admin_user):
    params = team["range"] | {"model": "opus", "developer": str(team["bo"].pk), "team": "999"}
    response = get(client, admin_user, detail_url(team["ana"]), params)
    assert response.status_code == 200 and response.context["detail"]["summary"]["spend"] == D("5.50")
    assert "Some filters could not be used" not in response.content.decode()


def test_sessions_are_paginated_keeping_the_filters(client, team, admin_user):
    day = team["day"](5)
    for n in range(30):
        at = datetime(day.year, day.month, day.day, 0, n, tzinfo=UTC)
        SessionDay.objects.create(developer=team["ana"], day=day, session_id=f"p{n:02}", requests=1, cost=D("0.10"),
                                  first_at=at, last_at=at + timedelta(minutes=5))
    response = get(client, admin_user, detail_url(team["ana"]), team["range"])
    html = response.content.decode()
    assert "32 sessions in range" in html and len(response.context["sessions"]) == 25
    assert f'href="?since={team["range"]["since"]}&amp;until={team["range"]["until"]}&amp;page=2#sessions"' in html
    page2 = get(client, admin_user, detail_url(team["ana"]), team["range"] | {"page": "2"})
    # Latest start first: s2 (day 12), p29 .. p00 (day 5), s1 (day 1); page 1 ends at p06.
    assert [row["session_id"] for row in page2.context["sessions"]] == ["p05", "p04", "p03", "p02", "p01", "p00", "s1"]


def test_detail_empty_state(client, team, admin_user):
    old = org_today() - timedelta(days=300)
    html = get(client, admin_user, detail_url(team["ana"]), {"since": old.isoformat(), "until": old.isoformat()})
    html = html.content.decode()
    assert "No usage between" in html and "data-chart" not in html and "No sessions in range" in html


# Query counts: one set of grouped queries whatever the number of developers


def _queries(client, user, url, params) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_developers_or_days(client, team, admin_user, django_assert_max_num_queries):
    before = (_queries(client, admin_user, LIST, team["range"]),
              _queries(client, admin_user, detail_url(team["ana"]), team["range"]))
    for n in range(8):
        dev = DeveloperFactory(email=f"more{n}@example.com", name=f"More {n}")
        for offset in range(6):
            DailyCostFactory(developer=dev, day=team["day"](offset), model=f"model-{n % 3}", cost=D(n + 1))
            DailyCostFactory(developer=team["ana"], day=team["day"](offset), model=f"extra-{n}", cost=D(1))
    after = (_queries(client, admin_user, LIST, team["range"]),
             _queries(client, admin_user, detail_url(team["ana"]), team["range"]))
    assert after == before
    client.force_login(admin_user)
    # 15, one for the filter bar's projects (issue 13), and since issue 16 folds the developer-days in the
    # database: the team's P90 in two (costs in half-dollar bins, then the bins around the rank), the
    # charted developers' days, and the shown rows' P90s and worst days apart from the totals: 19.
    with django_assert_max_num_queries(19):
        client.get(LIST, team["range"])
    # 20, one for its cache-write split days (issue 17), one for failed calls; the filter bar's projects and
    # the Projects table (names, spend by project and model, sessions by project): four, and the
    # hour x weekday heatmap: one (issue 13); the Sessions table's flags, one for its page's baselines
    # (issue 13). It makes 25 today: the budget stays 27.
    with django_assert_max_num_queries(27):
        client.get(detail_url(team["ana"]), team["range"])


def test_the_table_is_paged_and_each_page_is_complete(client, team, admin_user, monkeypatch):
    """A large org's table shows a page of rows (issue 16); each row of any page has every figure the
    one-page table had, and the pager keeps the sort and the filters."""
    from costdash.dashboard.views import developers as view

    client.force_login(admin_user)
    params = team["range"] | {"sort": "spend", "dir": "asc"}
    whole = client.get(LIST, params).context["shown"].object_list
    assert len(whole) >= 2
    monkeypatch.setattr(view, "DEVELOPERS_PER_PAGE", 1)
    first = client.get(LIST, params)
    shown = first.context["shown"]
    assert shown.paginator.num_pages == len(whole) and len(shown.object_list) == 1
    html = first.content.decode()
    assert 'aria-label="Developers pages"' in html and "page=2" in html and "sort=spend" in html and "dir=asc" in html
    pages = [client.get(LIST, params | {"page": n}).context["shown"].object_list
             for n in range(1, shown.paginator.num_pages + 1)]
    assert [row for page in pages for row in page] == list(whole)
