"""The Overview (home page): access matrix, month to date and projection, KPI figures, charts,
filters, warnings, empty states, money formatting, query counts."""
import calendar
from datetime import timedelta
from decimal import Decimal as D
import json
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
import pytest

from costdash.dashboard.filters import org_today
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.team_usage import team_usage

URL = reverse("dashboard:overview")


@pytest.fixture
def today(db):
    return org_today()


@pytest.fixture
def usage(developer_user, today):
    """Ana (the developer persona) and Bo, each with spend today; Bo also has an unpriced model."""
    DailyCostFactory(developer=developer_user.developer, day=today, cost=D("1234.56"), requests=40)
    bo = DeveloperFactory(email="bo@example.com", name="Bo Brannigan")
    DailyCostFactory(developer=bo, day=today, cost=D("31.00"), requests=9)
    DailyCostFactory(developer=bo, day=today, model="mystery-model", requests=3, unpriced_requests=3, cost=D(0))
    return bo


@pytest.fixture
def team(developer_user, today):
    """tests/team_usage.py, 60 days back, and its 20-day range as filters."""
    base = today - timedelta(days=60)
    found = team_usage(developer_user.developer, base)
    return found | {"range": {"since": base.isoformat(), "until": found["day"](19).isoformat()}}


def get(client, user, params=None):
    client.force_login(user)
    return client.get(URL, params or {})


def figure_in(html: str, chart_id: str) -> dict:
    """The figure a page embeds with json_script under ``chart_id`` (what charts.js draws)."""
    opening = f'<script id="{chart_id}" type="application/json">'
    start = html.index(opening) + len(opening)
    return json.loads(html[start : html.index("</script>", start)])


def stat(html: str, kpi: str) -> str:
    start = html.index(f'id="{kpi}"')
    return html[start : html.index("</div>", start)]


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


def test_the_overview_is_the_home_page():
    assert URL == "/"


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admin_and_billing_see_every_developer(client, usage, persona, request):
    response = get(client, request.getfixturevalue(persona))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ana" in html and "Bo Brannigan" in html
    assert "Team P90" in html
    assert figure_in(html, "top-chart")["data"][0]["y"] == ["Ana", "Bo Brannigan"]
    assert stat(html, "kpi-developers").count(">2<") == 1


def test_developer_sees_only_their_own(client, usage, developer_user):
    """A developer's home is their own today (tests/dashboard/test_developer_home.py), not this page."""
    response = get(client, developer_user)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bo Brannigan" not in html
    assert "mystery-model" not in html  # Bo's unpriced model is not Ana's business
    assert "$31.00" not in html
    assert "$1,234.56" in stat(html, "kpi-month") and "$1,234.56" in stat(html, "kpi-today")
    assert "Team P90" not in html and "top-chart" not in html


def test_outsider_sees_an_empty_state(client, usage, outsider_user):
    html = get(client, outsider_user).content.decode()
    assert "Ana" not in html and "Bo Brannigan" not in html
    assert "No developer is linked to your login" in html
    assert reverse("ingest:upload") in html
    assert "data-chart" not in html and "plotly.min.js" not in html


def test_empty_state_says_what_to_import(client, admin_user):
    html = get(client, admin_user).content.decode()
    assert "Import Claude Code transcripts" in html and "LiteLLM spend logs" in html
    assert f'href="{reverse("ingest:upload")}"' in html
    assert "data-chart" not in html


def test_month_to_date_and_projection(client, usage, admin_user, today):
    yesterday = today - timedelta(days=1)
    DailyCostFactory(developer=usage, day=yesterday, model="opus", cost=D("70.00"))
    html = get(client, admin_user).content.decode()
    # Today's spend counts in the month but not in the burn rate: $70 over the 7 days before today.
    month_to_date = D("1265.56") + (D("70.00") if yesterday.month == today.month else 0)
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day
    projected = month_to_date + D(10) * days_left
    card = stat(html, "kpi-month")
    assert f"${month_to_date:,.2f}" in card
    assert f"Projected <strong>${projected:,.2f}</strong>" in card
    assert "$10.00/day" in card


def test_default_range_is_the_month_to_date(client, developer_user, admin_user, today):
    dev = developer_user.developer
    first = today.replace(day=1)
    DailyCostFactory(developer=dev, day=first, model="in-range", cost=D("2"))
    DailyCostFactory(developer=dev, day=first - timedelta(days=1), model="last-month", cost=D("500"))
    response = get(client, admin_user)
    scope = response.context["scope"]
    assert (scope.since, scope.until) == (first, today)
    assert response.context["data"]["summary"]["spend"] == D("2")
    html = response.content.decode()
    assert f'name="since" value="{first.isoformat()}"' in html and f'name="until" value="{today.isoformat()}"' in html
    assert 'id="kpi-spend"' not in html  # the range is the month to date: one spend card


def test_kpis_from_the_hand_worked_team(client, team, admin_user):
    html = get(client, admin_user, team["range"]).content.decode()
    assert "$119.50" in stat(html, "kpi-spend")  # another range than the month: its own card
    assert ">2<" in stat(html, "kpi-developers")
    average = stat(html, "kpi-average")
    assert "$14.94" in average and "over 8 active developer-days" in average and "over" in average
    assert ">1<" in stat(html, "kpi-over")
    assert "$30.30" in stat(html, "kpi-p90")


def test_charts_are_embedded_with_their_figures(client, team, admin_user):
    html = get(client, admin_user, team["range"]).content.decode()
    by_model = figure_in(html, "by-model-chart")
    assert [t["name"] for t in by_model["data"]] == ["sonnet", "opus"]
    assert all(t["type"] == "bar" for t in by_model["data"]) and by_model["layout"]["barmode"] == "stack"
    distribution = figure_in(html, "distribution-chart")
    assert [s["x0"] for s in distribution["layout"]["shapes"]] == [13.0, 30.0, 30.3]
    assert sum(distribution["data"][0]["y"]) == 8
    top = figure_in(html, "top-chart")["data"][0]
    assert (top["y"], top["x"]) == (["Bo Brannigan", "Ana"], [60.0, 59.5])
    assert "/static/vendor/plotly.min.js" in html and "/static/js/charts.js" in html
    # No script or stylesheet from elsewhere (the CSRF token is random text: "cdn" may well occur in it).
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html) and "cdn." not in html.lower()


def test_filters_change_the_figures(client, team, admin_user):
    beta = team["bo"].team
    response = get(client, admin_user, team["range"] | {"team": str(beta.pk)})
    assert response.context["data"]["summary"]["spend"] == D("60.00")
    assert [d["developer"] for d in response.context["data"]["top_spenders"]] == ["Bo Brannigan"]
    opus = get(client, admin_user, team["range"] | {"model": "opus"}).context["data"]
    assert opus["summary"]["spend"] == D("25.50") and opus["p90"] == D("18.55")


def test_top_spenders_link_to_the_developer_page_keeping_the_range(client, team, admin_user):
    html = get(client, admin_user, team["range"] | {"model": "sonnet"}).content.decode()
    link = reverse("dashboard:developer", args=[team["bo"].pk])
    assert f'href="{link}?since={team["range"]["since"]}&amp;until={team["range"]["until"]}&amp;model=sonnet"' in html


def test_money_is_formatted(client, usage, admin_user):
    html = get(client, admin_user).content.decode()
    assert "$1,234.56" in html and "$31.00" in html


def test_reference_figures_show_their_source(client, usage, admin_user):
    html = get(client, admin_user).content.decode()
    assert "$13.00 per developer per active day" in html
    assert "90% of users stay below $30.00 per active day" in html
    assert "code.claude.com/docs/en/costs" in html and "2026" in html


def test_unpriced_models_are_warned_about_not_counted_as_zero(client, usage, admin_user):
    html = get(client, admin_user).content.decode()
    assert "mystery-model" in html and "3 requests" in html
    assert "<em>not</em> counted as $0" in html


def test_the_page_says_which_source_each_figure_came_from(client, developer_user, admin_user, today):
    DailyCostFactory(developer=developer_user.developer, day=today, cost=D("2.00"), source="otel")
    DailyCostFactory(developer=developer_user.developer, day=today - timedelta(days=1), cost=D("5.00"),
                     source="anthropic_usage", requests=0, input_tokens=10)
    html = get(client, admin_user, {"since": (today - timedelta(days=1)).isoformat()}).content.decode()
    sources = html[html.index('id="sources"'):]
    # Most spend first: the Admin API report's $5.00 day, then the telemetry's $2.00.
    assert sources.index("Anthropic usage report") < sources.index("Claude Code OpenTelemetry")
    assert "$5.00" in sources and "$2.00" in sources


@pytest.mark.parametrize(
    "params, message",
    [
        ({"since": "not-a-date"}, "Enter a valid date."),
        ({"until": "2026-02-30"}, "Enter a valid date."),
        ({"since": "2026-03-10", "until": "2026-03-01"}, "is after the end date"),
        ({"since": "2024-01-01", "until": "2026-01-01"}, "at most 366 days"),
        ({"developer": "999999"}, "Select a valid choice"),
    ],
)
def test_invalid_filters_show_an_error_not_a_500(client, usage, admin_user, params, message, today):
    response = get(client, admin_user, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "the page shows its defaults for them" in html
    assert (response.context["scope"].since, response.context["scope"].until) == (today.replace(day=1), today)


def test_nav_shows_the_django_admin_link_only_to_superusers(client, admin_user, developer_user, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    root_html = get(client, root).content.decode()
    assert f'href="{reverse("admin:index")}"' in root_html
    client.logout()
    admin_html = get(client, admin_user).content.decode()  # the admin role: its own pages, not the Django admin
    assert f'href="{reverse("admin:index")}"' not in admin_html
    assert f'href="{reverse("org_settings")}"' in admin_html and f'href="{reverse("pricing:list")}"' in admin_html
    assert f'href="{URL}" aria-current="page">Overview' in admin_html
    assert f'href="{reverse("dashboard:developers")}"' in admin_html
    client.logout()
    dev_html = get(client, developer_user).content.decode()
    assert f'href="{reverse("admin:index")}"' not in dev_html and f'href="{reverse("pricing:list")}"' not in dev_html
    assert f'action="{reverse("logout")}"' in dev_html and "csrfmiddlewaretoken" in dev_html


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_login_then_lands_on_the_overview(client, developer_user):
    response = client.post(reverse("login"), {"username": "ana", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and response["Location"] == URL


def _queries(client, user, params) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_developers(client, team, admin_user, django_assert_max_num_queries):
    few = _queries(client, admin_user, team["range"])
    for n in range(8):
        dev = DeveloperFactory(email=f"more{n}@example.com", name=f"More {n}")
        for offset in range(5):
            DailyCostFactory(developer=dev, day=team["day"](offset), model=f"model-{n % 3}", cost=D(n + 1))
    assert _queries(client, admin_user, team["range"]) == few
    # 15; the open alerts, the filter bar's projects and the hour x weekday heatmap: one each (issue 13);
    # the developer-days folded in the database (issue 16): totals, the half-dollar bins and the bins around
    # the P90 for the team's P90 and histogram, developer-days per source, the top spenders' P90s and worst
    # days, in place of one read of every developer-day: 21
    with django_assert_max_num_queries(21):
        client.get(URL, team["range"])
