"""The Plans pages and API: who sees what, and the figures of tests/planning/conftest.py as shown."""
import json

from django.test import Client
import pytest

from .conftest import QUERY

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_billing_sees_every_developer_the_mix_and_the_plan_table(billing_user, spend):
    page = logged_in(billing_user).get(f"/plans/{QUERY}").content.decode()
    assert "Usage limits are not modelled." in page and "rate limits are not modelled" in page
    for text in ("$966.99", "$159.99", "$807.00", "API (pay per token): 1, Pro: 2", "Cy", "Ana", "Bo",
                 "no published price", "../shared/seeds/002_781a12584735b80b.txt", "$750.00", "$690.00"):
        assert text in page, text
    assert 'data-chart="plan-mix-chart"' in page and 'style="' not in page
    assert "By team" in page and "$216.99" in page


def test_the_chart_is_the_teams_spend_against_its_mix(billing_user, spend):
    response = logged_in(billing_user).get(f"/plans/{QUERY}")
    figure = json.loads(json.dumps(response.context["figure"]))  # JSON-able, as json_script embeds it
    assert [trace["name"] for trace in figure["data"]] == ["API spend (today)", "Cheapest mix"]
    assert figure["data"][0]["y"] == [292.0, 400.0, 274.99] and figure["data"][1]["y"] == [60.0, 40.0, 44.99]


def test_a_team_narrows_the_advice(billing_user, spend):
    team = spend["ana"].team
    page = logged_in(billing_user).get(f"/plans/{QUERY}&team={team.pk}").content.decode()
    assert "$216.99" in page and "$99.99" in page and ">Cy<" not in page


def test_a_developer_sees_only_their_own_advice(developer_user, spend):
    client = logged_in(developer_user)
    page = client.get(f"/plans/{QUERY}").content.decode()
    assert "Your plan advice" in page and "$177.00" in page and "$117.00" in page
    assert ">Bo<" not in page and ">Cy<" not in page and "By team" not in page
    assert client.get(f"/plans/developers/{spend['bo'].pk}/").status_code == 404
    own = client.get(f"/plans/developers/{spend['ana'].pk}/{QUERY}").content.decode()
    assert "passed it Jul 10" in own and "saves $2.00" in own and "costs $78.00 more" in own
    assert 'data-chart="plan-developer-chart"' in own


def test_a_bad_window_shows_the_default_and_says_why(billing_user, spend):
    page = logged_in(billing_user).get("/plans/?month=2026-13&months=99").content.decode()
    assert "That window could not be shown." in page


def test_the_api_gives_the_same_figures_as_exact_strings(billing_user, spend):
    client = logged_in(billing_user)
    body = client.get(f"/api/v1/plans/advice/{QUERY}").json()
    assert "not modelled" in body["limits_not_modelled"]
    assert (body["spend"], body["mix"], body["saving"]) == ("966.99", "159.99", "807.00")
    assert body["months"] == ["2026-07-01", "2026-08-01", "2026-09-01"]
    assert body["by_month"][2] == {"month": "2026-09-01", "spend": "274.99", "mix": "44.99", "saving": "230.00",
                                   "counts": {"api": 2, "pro": 1}}
    cy = body["developers"][0]
    assert (cy["developer"]["name"], cy["developer"]["team"], cy["best"]) == (
        "Cy", "Data", {"option": "pro", "label": "Pro", "cost": "60.00"})
    assert [team["name"] for team in body["teams"]] == ["Data", "Web"]
    detail = client.get(f"/api/v1/plans/advice/developers/{spend['ana'].pk}/{QUERY}").json()
    july = detail["advice"]["months"][0]
    pro, team = july["plans"][0], july["plans"][3]
    assert pro == {"plan": "pro", "label": "Pro", "price": "20.00", "saving": "2.00", "ratio": "1.1",
                   "passes_on": "2026-07-10"}
    assert (team["price"], team["saving"], team["ratio"]) == (None, None, None)
    assert july["cheapest"] == {"option": "pro", "label": "Pro", "cost": "20.00"}


def test_the_api_plan_table_and_roles(developer_user, spend):
    client = logged_in(developer_user)
    table = client.get("/api/v1/plans/").json()
    assert "not modelled" in table["limits_not_modelled"]
    prices = {row["plan"]: row["monthly_price"] for row in table["plans"]}
    assert prices == {"pro": "20.00", "max_5x": "100.00", "max_20x": "200.00", "team_premium": None,
                      "enterprise": None}
    mine = client.get(f"/api/v1/plans/advice/{QUERY}").json()
    assert [row["developer"]["name"] for row in mine["developers"]] == ["Ana"] and mine["teams"] == []
    assert mine["spend"] == "177.00"
    assert client.get(f"/api/v1/plans/advice/developers/{spend['cy'].pk}/").status_code == 404
    assert client.get("/api/v1/plans/advice/?months=0").status_code == 400
