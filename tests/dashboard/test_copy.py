"""What the dashboard's words say (issue 13): counts next to their figures, labels that name the
scope shown, an empty state that says why, and the Overview's open alerts."""
from decimal import Decimal as D
import re

from django.urls import reverse
import pytest

from costdash.alerts.models import AlertEvent, AlertRule
from costdash.dashboard.filters import org_today
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory


@pytest.fixture
def teams(developer_user):
    today = org_today()
    alpha, beta = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    ana = developer_user.developer
    ana.team = alpha
    ana.save()
    bo = DeveloperFactory(email="bo@example.com", name="Bo Brannigan", team=beta)
    DailyCostFactory(developer=ana, day=today, cost=D("40.00"), requests=7)
    DailyCostFactory(developer=bo, day=today, cost=D("309.04"), requests=1234)
    return {"ana": ana, "bo": bo, "alpha": alpha, "beta": beta}


def html_of(client, user, name, params=None, args=()):
    client.force_login(user)
    response = client.get(reverse(name, args=args), params or {})
    assert response.status_code == 200
    return response.content.decode()


def card(html: str, kpi: str) -> str:
    start = html.index(f'id="{kpi}"')
    return re.sub(r"\s+", " ", html[start:html.index("</div>", start)])


def test_a_developer_pages_spend_card_counts_its_requests(client, admin_user, teams):
    html = html_of(client, admin_user, "dashboard:developer", args=[teams["bo"].pk])
    assert "$309.04" in card(html, "kpi-spend") and "1,234 requests" in card(html, "kpi-spend")


@pytest.mark.parametrize("name", ["dashboard:overview", "dashboard:developers"])
def test_one_developer_chosen_is_their_p90_not_the_teams(client, admin_user, teams, name):
    html = html_of(client, admin_user, name, {"developer": teams["bo"].pk})
    assert "Team P90" not in html and "Their P90" in html
    assert "Team P90" in html_of(client, admin_user, name)


def test_a_team_and_a_developer_not_in_it_say_so(client, admin_user, teams):
    for name in ("dashboard:overview", "dashboard:developers", "dashboard:cache", "dashboard:models"):
        html = html_of(client, admin_user, name, {"team": teams["alpha"].pk, "developer": teams["bo"].pk})
        assert "Bo Brannigan is not in the team Alpha" in html, name
        assert "No usage between" not in html, name
    html = html_of(client, admin_user, "dashboard:overview", {"team": teams["beta"].pk, "developer": teams["bo"].pk})
    assert "not in the team" not in html and "$309.04" in html


def test_the_subtitle_names_the_team_or_developer_chosen(client, admin_user, developer_user, teams):
    assert "Every developer," in html_of(client, admin_user, "dashboard:overview")
    team = html_of(client, admin_user, "dashboard:overview", {"team": teams["beta"].pk})
    assert "Team Beta," in team and "Every developer," not in team
    assert "Bo Brannigan," in html_of(client, admin_user, "dashboard:cache", {"developer": teams["bo"].pk})


def test_the_overview_shows_the_open_alerts_with_a_link(client, admin_user, developer_user, teams):
    assert "No open alerts" in html_of(client, admin_user, "dashboard:overview")
    rule = AlertRule.objects.create(kind="daily_ceiling", name="Ceiling", threshold=30)
    for dev, day in ((teams["bo"], org_today()), (teams["ana"], org_today())):
        AlertEvent.objects.create(rule=rule, subject_key=f"developer:{dev.pk}", day=day, developer=dev,
                                  summary="over", link="/")
    AlertEvent.objects.filter(developer=teams["ana"]).update(state=AlertEvent.State.ACKNOWLEDGED)
    html = html_of(client, admin_user, "dashboard:overview")
    assert re.search(r"1 open alert</strong>.*?href=\"/alerts/\?state=open\"", html, re.S)
