"""Daily costs, developers, a developer's page and sessions: the pages' selectors' figures for the same
filters (tests/team_usage.py's hand-worked team), the pages' filters and defaults, who sees whom,
money as exact decimal strings, pagination."""
from dataclasses import replace
from decimal import Decimal as D

import pytest

from costdash.accounts.models import Developer, OrgSettings, Team
from costdash.api.fields import money_str
from costdash.dashboard.filters import LAST_30_DAYS, DashboardFilterForm, org_today
from costdash.rollups import selectors

pytestmark = pytest.mark.django_db
DAILY, DEVELOPERS = "/api/v1/daily-costs/", "/api/v1/developers/"


def page_scope(user, **params):
    """The scope the dashboard pages build for these query parameters, over the API's default range (the
    last 30 days; the pages' own default is the month to date)."""
    form = DashboardFilterForm({k: str(v) for k, v in params.items()}, user=user, today=org_today(), default=LAST_30_DAYS)
    return form.scope()


def all_results(client, url, params=None) -> list[dict]:
    """Every row of a paged list, following its next links."""
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        rows += response.json()["results"]
    return rows


# Daily costs


def test_daily_costs_are_the_developer_pages_days_with_their_class(team, billing_user, api_as):
    rows = all_results(api_as(billing_user), DAILY, {"page_size": 4})
    ceiling = OrgSettings.get().daily_ceiling
    expected = []
    for developer in (team["ana"], team["bo"]):
        scope = replace(page_scope(billing_user), developers=Developer.objects.filter(pk=developer.pk))
        expected += [(developer.pk, str(day["day"]), money_str(day["cost"]))
                     for day in selectors.developer_detail(scope, ceiling=ceiling)["days"]]
    assert sorted((r["developer_id"], r["day"], r["cost"]) for r in rows) == sorted(expected)
    assert len(rows) == 9 and [r["day"] for r in rows] == sorted(r["day"] for r in rows)  # by day
    day = team["day"]
    by_key = {(r["developer"], r["day"]): r for r in rows}
    assert by_key[("Ana", str(day(2)))]["class"] == "over_ceiling"          # $31.00
    assert by_key[("Ana", str(day(12)))]["class"] == "under_average"        # exactly $13.00
    assert by_key[("Bo Brannigan", str(day(1)))]["class"] == "over_average"  # exactly $30.00: not over
    ana_1 = by_key[("Ana", str(day(1)))]
    assert ana_1["cost"] == "15.50" and ana_1["requests"] == 13 and ana_1["team"] == "Alpha"
    assert ana_1["tokens"] == {"input": 600, "output": 0, "cache_write_5m": 200, "cache_write_1h": 100,
                               "cache_read": 1100, "web_search": 0, "total": 2000}
    unpriced = by_key[("Ana", str(day(15)))]
    assert unpriced["cost"] == "0.00" and unpriced["unpriced_requests"] == 4 and unpriced["active"] is True
    table = selectors.developer_table(page_scope(billing_user), ceiling=ceiling)
    assert sum(D(r["cost"]) for r in rows) == sum(r["spend"] for r in table["developers"]) == D("126.50")


def test_daily_costs_filters_mean_what_they_mean_on_the_pages(team, billing_user, api_as):
    client, day = api_as(billing_user), team["day"]
    opus = all_results(client, DAILY, {"model": "opus"})
    assert [(r["developer"], r["cost"], r["requests"]) for r in opus] == [("Ana", "5.50", 3), ("Bo Brannigan", "20.00", 4)]
    beta = Team.objects.get(name="Beta").pk
    assert {r["developer"] for r in all_results(client, DAILY, {"team": beta})} == {"Bo Brannigan"}
    assert {r["developer"] for r in all_results(client, DAILY, {"developer": team["ana"].pk})} == {"Ana"}
    two_days = all_results(client, DAILY, {"since": day(1), "until": day(2)})
    assert [(r["developer"], r["day"], r["cost"]) for r in two_days] == [
        ("Ana", str(day(1)), "15.50"), ("Bo Brannigan", str(day(1)), "30.00"), ("Ana", str(day(2)), "31.00")]
    # The default is the 30 days to today: Ana's day -2 is in; 30 days to day 1 start at day -28.
    assert str(day(-2)) in {r["day"] for r in all_results(client, DAILY)}
    assert {r["day"] for r in all_results(client, DAILY, {"until": day(1)})} == {str(day(-2)), str(day(1))}


@pytest.mark.parametrize("params, field", [
    ({"since": "2026-13-01"}, "since"),
    ({"since": "2026-03-10", "until": "2026-03-01"}, "filters"),
    ({"since": "2024-01-01", "until": "2026-01-01"}, "filters"),  # over 366 days
    ({"model": "no-such-model"}, "model"),
    ({"team": "x"}, "team"),
])
def test_a_bad_filter_is_400_with_its_reason(team, billing_user, api_as, params, field):
    response = api_as(billing_user).get(DAILY, params)
    assert response.status_code == 400 and field in response.json(), response.json()


def test_a_developer_sees_only_their_own_days_and_cannot_ask_for_anothers(team, developer_user, api_as):
    client = api_as(developer_user)
    assert {r["developer"] for r in all_results(client, DAILY)} == {"Ana"}
    refused = client.get(DAILY, {"developer": team["bo"].pk})
    assert refused.status_code == 400 and "developer" in refused.json()
    assert client.get(DAILY, {"team": Team.objects.get(name="Beta").pk}).status_code == 400


def test_pages_are_numbered_and_sized(team, billing_user, api_as):
    client = api_as(billing_user)
    first = client.get(DAILY, {"page_size": 4}).json()
    assert first["count"] == 9 and len(first["results"]) == 4 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=4" in first["next"]
    last = client.get(DAILY, {"page_size": 4, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert client.get(DAILY, {"page": 4, "page_size": 4}).status_code == 404
    assert len(client.get(DAILY).json()["results"]) == 9  # 50 a page by default


# Developers


def test_the_developers_list_is_the_developers_table(team, billing_user, api_as):
    rows = all_results(api_as(billing_user), DEVELOPERS)
    assert [r["developer"] for r in rows] == ["Ana", "Bo Brannigan"]  # most spend first
    ana, bo = rows
    # The default range holds Ana's day -2 ($7) too: 59.50 + 7 over 5 active days.
    assert (ana["spend"], ana["active_days"], ana["average_per_active_day"]) == ("66.50", 5, "13.30")
    assert (bo["spend"], bo["p90"], bo["worst_day_cost"], bo["days_over_ceiling"]) == ("60.00", "27.00", "30.00", 0)
    assert (ana["cache_hit_rate"], bo["cache_hit_rate"], ana["main_model"]) == ("0.775", "0.25", "sonnet")
    assert (ana["sessions"], ana["sessions_from"], bo["sessions"], bo["sessions_from"]) == (2, "session_days", 3, "activity")
    table = selectors.developer_table(page_scope(billing_user), ceiling=OrgSettings.get().daily_ceiling)
    assert [(r["developer_id"], money_str(r["spend"]), money_str(r["p90"]), r["worst_day"].isoformat())
            for r in table["developers"]] == [(r["developer_id"], r["spend"], r["p90"], r["worst_day"]) for r in rows]


@pytest.mark.parametrize("params, order", [
    ({"sort": "developer"}, ["Ana", "Bo Brannigan"]),
    ({"sort": "developer", "dir": "desc"}, ["Bo Brannigan", "Ana"]),
    ({"sort": "average"}, ["Bo Brannigan", "Ana"]),  # 15.00 over 13.30
    ({"sort": "p90", "dir": "asc"}, ["Ana", "Bo Brannigan"]),
    ({"sort": "nonsense"}, ["Ana", "Bo Brannigan"]),  # the default: spend, highest first
])
def test_the_developers_list_sorts_like_the_page(team, billing_user, api_as, params, order):
    assert [r["developer"] for r in all_results(api_as(billing_user), DEVELOPERS, params)] == order


def test_a_developer_lists_only_themself(team, developer_user, api_as):
    assert [r["developer"] for r in all_results(api_as(developer_user), DEVELOPERS)] == ["Ana"]


# One developer


def test_a_developers_page_is_their_developer_detail(team, billing_user, api_as):
    bo = team["bo"]
    body = api_as(billing_user).get(f"{DEVELOPERS}{bo.pk}/", {"team": 999}).json()  # team: ignored, as on the page
    assert body["developer"] == {"id": bo.pk, "name": "Bo Brannigan", "email": "bo@example.com", "team": "Beta"}
    assert (body["since"], body["until"], body["model"]) == (str(team["day"](-10)), str(team["day"](19)), "")
    scope = replace(page_scope(billing_user), developers=Developer.objects.filter(pk=bo.pk))
    detail = selectors.developer_detail(scope, ceiling=OrgSettings.get().daily_ceiling)
    assert body["summary"]["spend"] == money_str(detail["summary"]["spend"]) == "60.00"
    assert [(d["day"], d["cost"], d["class"]) for d in body["days"]] == [
        (str(team["day"](n)), cost, cls) for n, cost, cls in
        ((1, "30.00", "over_average"), (13, "20.00", "over_average"), (18, "6.00", "under_average"),
         (19, "4.00", "under_average"))]
    assert [(m["model"], m["cost"], m["share"]) for m in body["model_mix"]] == [
        ("sonnet", "40.00", "0.666667"), ("opus", "20.00", "0.333333"),  # six places, never the 28-digit quotient
        ("claude-new", "0.00", "0")]
    assert body["unpriced_models"] == [{"model": "claude-new", "requests": 2}]
    assert body["activity"]["sessions"] == 3 and body["activity"]["days"] == 2


def test_a_developers_page_takes_the_date_range_and_model(team, developer_user, api_as):
    body = api_as(developer_user).get(f"{DEVELOPERS}{team['ana'].pk}/", {"model": "opus"}).json()
    assert [(d["day"], d["cost"]) for d in body["days"]] == [(str(team["day"](1)), "5.50")]
    assert body["summary"]["spend"] == "5.50" and body["model"] == "opus"


def test_a_developer_cannot_open_anothers_page_or_sessions(team, developer_user, api_as):
    client = api_as(developer_user)
    for url in (f"{DEVELOPERS}{team['bo'].pk}/", f"{DEVELOPERS}{team['bo'].pk}/sessions/", f"{DEVELOPERS}999999/"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"{DEVELOPERS}{team['ana'].pk}/").status_code == 200


def test_sessions_are_paged_latest_first(team, developer_user, api_as):
    client = api_as(developer_user)
    first = client.get(f"{DEVELOPERS}{team['ana'].pk}/sessions/", {"page_size": 1}).json()
    assert first["count"] == 2 and first["next"]
    s2 = first["results"][0]
    assert (s2["session_id"], s2["minutes"], s2["requests"], s2["unpriced_requests"], s2["cost"]) == ("s2", 45, 10, 1, "13.00")
    s1 = client.get(first["next"]).json()["results"][0]
    # Days 1 and 2: 09:00 to 01:00 the next day, 8 + 20 requests, $9 + $31, tokens 470 + 2000.
    assert (s1["session_id"], s1["minutes"], s1["requests"], s1["cost"], s1["tokens"]) == ("s1", 960, 28, "40.00", 2470)


@pytest.mark.parametrize("amount, text", [
    (D("5.000000000000"), "5.00"), (D("0.341400000000"), "0.3414"), (D(0), "0.00"), (D("-2.5"), "-2.50"),
    (D("1E+1"), "10.00"), (D("14.6388888888889"), "14.6388888888889"), (D("30.30"), "30.30"),
])
def test_money_is_a_decimal_string_with_at_least_two_decimals(amount, text):
    assert money_str(amount) == text
