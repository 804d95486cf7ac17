"""The spend page: access matrix, date range handling, money formatting, warnings, empty states."""
from datetime import timedelta
from decimal import Decimal as D
import json

from django.urls import reverse
from django.utils import timezone
import pytest

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import reporting_day
from tests.factories import DailyCostFactory, DeveloperFactory

URL = reverse("dashboard:spend")


@pytest.fixture
def today(db):
    return reporting_day(timezone.now(), OrgSettings.get().time_zone)


@pytest.fixture
def usage(developer_user, today):
    """Ana (the developer persona) and Bo, each with spend today."""
    DailyCostFactory(developer=developer_user.developer, day=today, cost=D("1234.56"), requests=40)
    bo = DeveloperFactory(email="bo@example.com", name="Bo Brannigan")
    DailyCostFactory(developer=bo, day=today, cost=D("31.00"), requests=9)
    DailyCostFactory(developer=bo, day=today, model="mystery-model", requests=3, unpriced_requests=3, cost=D(0))


def get(client, user, params=None):
    client.force_login(user)
    return client.get(URL, params or {})


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admin_and_billing_see_every_developer(client, usage, persona, request):
    response = get(client, request.getfixturevalue(persona))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ana" in html and "Bo Brannigan" in html
    assert "Team P90" in html
    names = [trace["name"] for trace in response.context["figure"]["data"]]
    assert names == ["Ana", "Bo Brannigan"]


def test_developer_sees_only_their_own(client, usage, developer_user):
    response = get(client, developer_user)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ana" in html
    assert "Bo Brannigan" not in html
    assert "mystery-model" not in html  # Bo's unpriced model is not Ana's business
    assert [trace["name"] for trace in response.context["figure"]["data"]] == ["Ana"]
    assert "Your P90" in html


def test_outsider_sees_an_empty_state(client, usage, outsider_user):
    response = get(client, outsider_user)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ana" not in html and "Bo Brannigan" not in html
    assert "No developer is linked to your login" in html
    assert reverse("ingest:upload") in html
    assert 'data-chart="spend-chart"' not in html and "plotly.min.js" not in html


def test_empty_state_asks_for_an_import(client, admin_user):
    html = get(client, admin_user).content.decode()
    assert "Import Claude Code transcripts" in html
    assert f'href="{reverse("ingest:upload")}"' in html


def test_money_is_formatted(client, usage, admin_user):
    html = get(client, admin_user).content.decode()
    assert "$1,234.56" in html
    assert "$31.00" in html


def test_chart_is_embedded_with_json_script(client, usage, admin_user):
    html = get(client, admin_user).content.decode()
    assert 'data-chart="spend-chart"' in html
    assert '<script id="spend-chart" type="application/json">' in html
    start = html.index('<script id="spend-chart" type="application/json">') + len(
        '<script id="spend-chart" type="application/json">'
    )
    figure = json.loads(html[start : html.index("</script>", start)])
    assert [s["y0"] for s in figure["layout"]["shapes"]][:2] == [13.0, 30.0]
    assert "/static/vendor/plotly.min.js" in html and "/static/js/charts.js" in html
    assert "cdn" not in html.lower()


def test_reference_figures_show_their_source(client, usage, admin_user):
    html = get(client, admin_user).content.decode()
    assert "$13.00 per developer per active day" in html
    assert "90% of users stay below $30.00 per active day" in html
    assert "code.claude.com/docs/en/costs" in html and "2026" in html


def test_unpriced_models_are_warned_about_not_counted_as_zero(client, usage, admin_user):
    html = get(client, admin_user).content.decode()
    assert "mystery-model" in html
    assert "3 requests" in html
    assert "<em>not</em> counted as $0" in html


def test_default_range_is_the_last_30_days(client, developer_user, admin_user, today):
    dev = developer_user.developer
    DailyCostFactory(developer=dev, day=today - timedelta(days=29), model="in-range", cost=D("2"))
    DailyCostFactory(developer=dev, day=today - timedelta(days=30), model="too-old", cost=D("500"))
    response = get(client, admin_user)
    assert (response.context["since"], response.context["until"]) == (today - timedelta(days=29), today)
    assert response.context["overview"]["summary"]["spend"] == D("2")


def test_range_from_the_query_string(client, usage, admin_user, today):
    old = today - timedelta(days=100)
    DailyCostFactory(developer=DeveloperFactory(name="Old Timer"), day=old, cost=D("3"))
    response = get(client, admin_user, {"since": old.isoformat(), "until": old.isoformat()})
    html = response.content.decode()
    assert "Old Timer" in html and "Bo Brannigan" not in html


@pytest.mark.parametrize(
    "params, message",
    [
        ({"since": "not-a-date"}, "Enter a valid date."),
        ({"until": "2026-02-30"}, "Enter a valid date."),
        ({"since": "2026-03-10", "until": "2026-03-01"}, "is after the end date"),
        ({"since": "2024-01-01", "until": "2026-01-01"}, "at most 366 days"),
    ],
)
def test_invalid_dates_show_an_error_not_a_500(client, usage, admin_user, params, message, today):
    response = get(client, admin_user, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Showing the last 30 days instead" in html
    assert response.context["until"] == today  # falls back to the default range


def test_nav_shows_admin_link_only_to_admins(client, admin_user, developer_user):
    admin_html = get(client, admin_user).content.decode()
    assert f'href="{reverse("admin:index")}"' in admin_html
    client.logout()
    dev_html = get(client, developer_user).content.decode()
    assert f'href="{reverse("admin:index")}"' not in dev_html
    assert f'action="{reverse("logout")}"' in dev_html and "csrfmiddlewaretoken" in dev_html


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_login_then_lands_on_spend(client, developer_user):
    response = client.post(reverse("login"), {"username": "ana", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and response["Location"] == URL


def test_date_inputs_show_the_range_in_use(client, admin_user, today):
    html = get(client, admin_user).content.decode()
    assert f'name="since" value="{(today - timedelta(days=29)).isoformat()}"' in html
    assert f'name="until" value="{today.isoformat()}"' in html


def test_the_page_says_which_source_each_figure_came_from(client, developer_user, admin_user, today):
    DailyCostFactory(developer=developer_user.developer, day=today, cost=D("2.00"), source="otel")
    DailyCostFactory(developer=developer_user.developer, day=today - timedelta(days=1), cost=D("5.00"),
                     source="anthropic_usage", requests=0, input_tokens=10)
    html = get(client, admin_user).content.decode()
    sources = html[html.index('id="sources"'):]
    # Most spend first: the Admin API report's $5.00 day, then the telemetry's $2.00.
    assert sources.index("Anthropic usage report") < sources.index("Claude Code OpenTelemetry")
    assert "$5.00" in sources and "$2.00" in sources
    assert "Anthropic usage report (Admin API or Console CSV), Claude Code OpenTelemetry" in html
