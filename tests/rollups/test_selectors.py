"""Spend selectors over DailyCost rows whose figures are worked out by hand below.

Range 2026-03-01 .. 2026-03-09, average $13, ceiling $30.

Ana (team Alpha)                              day total   requests  class
  03-02  sonnet $10.00 (10 req) + opus $5.50 (3)   15.50      13      over_average
  03-03  sonnet $31.00 (20)                        31.00      20      over_ceiling
  03-04  sonnet $13.00 (10)                        13.00      10      under_average (exactly $13)
  03-05  mystery-model 4 req, all unpriced          0.00       4      under_average (active, unknown cost)
Bo (team Beta)
  03-02  sonnet $30.00 (5) + claude-new 2 unpriced 30.00       7      over_average (exactly $30)
  03-03  sonnet, 0 requests, $0                     0.00       0      not active
  03-10  sonnet $2.00                               outside the range

Active developer-day costs: 0, 13, 15.50, 30, 31 -> P90: h = 4 * 0.9 = 3.6 -> 30 + 0.6 * 1 = 30.60
"""
from datetime import date
from decimal import Decimal as D

import pytest

from costdash.accounts import roles
from costdash.accounts.models import Developer, OrgSettings
from costdash.rollups import selectors
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory

SINCE, UNTIL = date(2026, 3, 1), date(2026, 3, 9)
AVERAGE, CEILING = D("13.00"), D("30.00")


@pytest.fixture
def ana(developer_user):
    dev = developer_user.developer
    dev.team = TeamFactory(name="Alpha")
    dev.save()
    return dev


@pytest.fixture
def bo(db):
    return DeveloperFactory(email="bo@example.com", name="Bo", team=TeamFactory(name="Beta"))


@pytest.fixture
def usage(ana, bo):
    row = DailyCostFactory
    row(developer=ana, day=date(2026, 3, 2), model="sonnet", requests=10, cost=D("10.00"))
    row(developer=ana, day=date(2026, 3, 2), model="opus", requests=3, cost=D("5.50"), source="otel")
    row(developer=ana, day=date(2026, 3, 3), model="sonnet", requests=20, cost=D("31.00"))
    row(developer=ana, day=date(2026, 3, 4), model="sonnet", requests=10, cost=D("13.00"))
    row(developer=ana, day=date(2026, 3, 5), model="mystery-model", requests=4, unpriced_requests=4, cost=D(0))
    row(developer=bo, day=date(2026, 3, 2), model="sonnet", requests=5, cost=D("30.00"))
    row(developer=bo, day=date(2026, 3, 2), model="claude-new", requests=2, unpriced_requests=2, cost=D(0))
    row(developer=bo, day=date(2026, 3, 3), model="sonnet", requests=0, sessions=0, cost=D(0))
    row(developer=bo, day=date(2026, 3, 10), model="sonnet", requests=1, cost=D("2.00"))


def everyone():
    return Developer.objects.all()


def test_developer_day_costs_sums_models_and_classifies(usage, ana, bo):
    rows = selectors.developer_day_costs(everyone(), SINCE, UNTIL, average=AVERAGE, ceiling=CEILING)
    got = [(r["developer"], r["day"].day, r["cost"], r["requests"], r["unpriced_requests"], r["class"]) for r in rows]
    assert got == [
        ("Ana", 2, D("15.50"), 13, 0, "over_average"),
        ("Ana", 3, D("31.00"), 20, 0, "over_ceiling"),
        ("Ana", 4, D("13.00"), 10, 0, "under_average"),
        ("Ana", 5, D("0"), 4, 4, "under_average"),
        ("Bo", 2, D("30.00"), 7, 2, "over_average"),
        ("Bo", 3, D("0"), 0, 0, "under_average"),
    ]
    assert {r["developer_id"] for r in rows} == {ana.id, bo.id}
    assert rows[0]["team"] == "Alpha"


def test_developer_day_costs_reads_figures_from_org_settings(usage):
    org = OrgSettings.get()
    org.average_daily_cost, org.daily_ceiling = D("6"), D("12")  # the older edition's figures
    org.save()
    rows = selectors.developer_day_costs(everyone(), SINCE, UNTIL)
    assert [r["class"] for r in rows if r["developer"] == "Ana"] == [
        "over_ceiling", "over_ceiling", "over_ceiling", "under_average"
    ]


def test_team_p90_interpolates_over_active_developer_days(usage):
    assert selectors.team_p90(everyone(), SINCE, UNTIL) == D("30.6")


def test_team_p90_is_none_without_active_days(usage):
    assert selectors.team_p90(everyone(), date(2026, 4, 1), date(2026, 4, 30)) is None


def test_spend_by_developer(usage, ana, bo):
    rows = selectors.spend_by_developer(everyone(), SINCE, UNTIL, ceiling=CEILING)
    assert [r["developer"] for r in rows] == ["Ana", "Bo"]  # by spend, descending
    first, second = rows
    assert first == {
        "developer_id": ana.id,
        "developer": "Ana",
        "team": "Alpha",
        "spend": D("59.50"),
        "requests": 47,
        "active_days": 4,
        "average_per_active_day": D("14.875"),
        "worst_day": date(2026, 3, 3),
        "worst_day_cost": D("31.00"),
        "days_over_ceiling": 1,
        "unpriced_requests": 4,
        "sources": ["Claude Code transcripts (JSONL)", "Claude Code OpenTelemetry"],  # $54 then $5.50
    }
    assert second["spend"] == D("30.00")
    assert second["active_days"] == 1  # the 0-request day is not active
    assert second["average_per_active_day"] == D("30.00")
    assert (second["worst_day"], second["worst_day_cost"]) == (date(2026, 3, 2), D("30.00"))
    assert second["days_over_ceiling"] == 0  # exactly $30 is not over
    assert second["unpriced_requests"] == 2


def test_spend_by_developer_worst_day_tie_keeps_the_earliest(bo):
    DailyCostFactory(developer=bo, day=date(2026, 3, 4), cost=D("8"))
    DailyCostFactory(developer=bo, day=date(2026, 3, 2), cost=D("8"))
    (row,) = selectors.spend_by_developer(everyone(), SINCE, UNTIL, ceiling=CEILING)
    assert row["worst_day"] == date(2026, 3, 2)


def test_spend_by_source_names_where_each_figure_came_from(usage, ana, bo):
    found = selectors.spend_by_source(everyone(), SINCE, UNTIL)
    assert found["sources"] == [
        # 10 + 31 + 13 + 0 (Ana) + 30 + 0 + 0 (Bo); 20+10+10+4 + 5+2+0 requests; Ana 4 days + Bo 2 days
        {"source": "claude_code_jsonl", "label": "Claude Code transcripts (JSONL)", "spend": D("84.00"),
         "requests": 51, "developer_days": 6},
        {"source": "otel", "label": "Claude Code OpenTelemetry", "spend": D("5.50"), "requests": 3,
         "developer_days": 1},
    ]
    assert found["by_developer"][bo.pk] == ["Claude Code transcripts (JSONL)"]


def test_a_day_counted_from_a_daily_report_is_active_without_request_counts(bo):
    # The Admin API usage report counts tokens, not requests.
    DailyCostFactory(developer=bo, day=date(2026, 3, 6), source="anthropic_usage", requests=0, sessions=0,
                     input_tokens=1000, cost=D("0.003"))
    summary = selectors.spend_summary(everyone(), SINCE, UNTIL, ceiling=CEILING)
    assert (summary["active_days"], summary["spend"]) == (1, D("0.003"))


def test_spend_summary(usage):
    summary = selectors.spend_summary(everyone(), SINCE, UNTIL, ceiling=CEILING)
    assert summary == {
        "spend": D("89.50"),
        "requests": 54,
        "unpriced_requests": 6,
        "developers": 2,
        "active_days": 5,
        "average_per_active_day": D("17.90"),
        "days_over_ceiling": 1,
    }


def test_spend_summary_of_nothing(db):
    summary = selectors.spend_summary(everyone(), SINCE, UNTIL, ceiling=CEILING)
    assert summary["spend"] == 0 and summary["active_days"] == 0
    assert summary["average_per_active_day"] is None


def test_unpriced_models_lists_models_without_a_price(usage):
    assert selectors.unpriced_models(everyone(), SINCE, UNTIL) == [
        {"model": "mystery-model", "requests": 4},
        {"model": "claude-new", "requests": 2},
    ]


def test_a_developer_sees_only_their_own(usage, developer_user):
    mine = roles.developers_visible_to(developer_user)
    assert {r["developer"] for r in selectors.developer_day_costs(mine, SINCE, UNTIL)} == {"Ana"}
    assert [r["developer"] for r in selectors.spend_by_developer(mine, SINCE, UNTIL)] == ["Ana"]
    assert selectors.unpriced_models(mine, SINCE, UNTIL) == [{"model": "mystery-model", "requests": 4}]
    # Ana's active days: 0, 13, 15.50, 31 -> h = 2.7 -> 15.50 + 0.7 * 15.50 = 26.35
    assert selectors.team_p90(mine, SINCE, UNTIL) == D("26.35")
    assert selectors.spend_summary(mine, SINCE, UNTIL)["spend"] == D("59.50")


def test_an_outsider_sees_nothing(usage, outsider_user):
    nobody = roles.developers_visible_to(outsider_user)
    overview = selectors.spend_overview(nobody, SINCE, UNTIL)
    assert overview["days"] == [] and overview["developers"] == [] and overview["unpriced_models"] == []
    assert overview["p90"] is None


def test_spend_overview_matches_the_single_selectors(usage):
    overview = selectors.spend_overview(everyone(), SINCE, UNTIL, average=AVERAGE, ceiling=CEILING)
    assert overview["days"] == selectors.developer_day_costs(everyone(), SINCE, UNTIL, average=AVERAGE, ceiling=CEILING)
    assert overview["developers"] == selectors.spend_by_developer(everyone(), SINCE, UNTIL, ceiling=CEILING)
    assert overview["summary"] == selectors.spend_summary(everyone(), SINCE, UNTIL, ceiling=CEILING)
    assert overview["p90"] == D("30.6")
    assert (overview["average"], overview["ceiling"]) == (AVERAGE, CEILING)


def test_spend_overview_query_count_does_not_grow_with_developers(db, django_assert_num_queries):
    for n in range(30):
        dev = DeveloperFactory()
        for day in (2, 3, 4):
            DailyCostFactory(developer=dev, day=date(2026, 3, day), cost=D(n))
    with django_assert_num_queries(4):  # developer-day aggregate, developer names, sources, unpriced models
        overview = selectors.spend_overview(everyone(), SINCE, UNTIL, average=AVERAGE, ceiling=CEILING)
    assert len(overview["developers"]) == 30
