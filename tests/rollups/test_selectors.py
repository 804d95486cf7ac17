"""The developer-day selectors every page, report and the API build on, over DailyCost rows whose
figures are worked out by hand below.

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
from costdash.accounts.models import Developer
from costdash.rollups import selectors
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.developer_days import developer_days, developer_rows, summary
from costdash.rollups.selectors.spend import developer_day_rows, developer_day_totals, sources_of
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


def scope(developers=None, since=SINCE, until=UNTIL) -> Scope:
    return Scope(everyone() if developers is None else developers, since, until)


def day_rows(s: Scope, average=AVERAGE, ceiling=CEILING) -> list[dict]:
    """The API's developer-day rows, by developer name then day."""
    rows = developer_day_rows(developer_day_totals(s), average=average, ceiling=ceiling)
    return sorted(rows, key=lambda r: (r["developer"], r["day"]))


def overview(s: Scope) -> dict:
    return selectors.overview(s, UNTIL, average=AVERAGE, ceiling=CEILING)


def test_developer_day_rows_sum_models_and_classify(usage, ana, bo):
    rows = day_rows(scope())
    got = [(r["developer"], r["day"].day, r["cost"], r["requests"], r["unpriced_requests"], r["class"], r["active"])
           for r in rows]
    assert got == [
        ("Ana", 2, D("15.50"), 13, 0, "over_average", True),
        ("Ana", 3, D("31.00"), 20, 0, "over_ceiling", True),
        ("Ana", 4, D("13.00"), 10, 0, "under_average", True),
        ("Ana", 5, D("0"), 4, 4, "under_average", True),
        ("Bo", 2, D("30.00"), 7, 2, "over_average", True),
        ("Bo", 3, D("0"), 0, 0, "under_average", False),
    ]
    assert {r["developer_id"] for r in rows} == {ana.id, bo.id}
    assert rows[0]["team"] == "Alpha"


def test_the_older_editions_figures_classify_more_days_over(usage):
    rows = day_rows(scope(), average=D("6"), ceiling=D("12"))  # the older edition's figures
    assert [r["class"] for r in rows if r["developer"] == "Ana"] == [
        "over_ceiling", "over_ceiling", "over_ceiling", "under_average"
    ]


def test_team_p90_interpolates_over_active_developer_days(usage):
    assert overview(scope())["p90"] == D("30.6")


def test_team_p90_is_none_without_active_days(usage):
    assert overview(scope(since=date(2026, 4, 1), until=date(2026, 4, 30)))["p90"] is None


def test_per_developer_figures(usage, ana, bo):
    rows = developer_rows(developer_days(scope(), CEILING))
    assert [r["developer"] for r in rows] == ["Ana", "Bo"]  # by spend, descending
    first, second = rows
    assert {k: first[k] for k in ("developer_id", "developer", "team", "spend", "active_days",
                                  "average_per_active_day", "worst_day", "worst_day_cost", "days_over_ceiling")} == {
        "developer_id": ana.id, "developer": "Ana", "team": "Alpha", "spend": D("59.50"), "active_days": 4,
        "average_per_active_day": D("14.875"), "worst_day": date(2026, 3, 3), "worst_day_cost": D("31.00"),
        "days_over_ceiling": 1,
    }
    assert second["spend"] == D("30.00")
    assert second["active_days"] == 1  # the 0-request day is not active
    assert second["average_per_active_day"] == D("30.00")
    assert (second["worst_day"], second["worst_day_cost"]) == (date(2026, 3, 2), D("30.00"))
    assert second["days_over_ceiling"] == 0  # exactly $30 is not over


def test_worst_day_tie_keeps_the_earliest(bo):
    DailyCostFactory(developer=bo, day=date(2026, 3, 4), cost=D("8"))
    DailyCostFactory(developer=bo, day=date(2026, 3, 2), cost=D("8"))
    (row,) = developer_rows(developer_days(scope(), CEILING))
    assert row["worst_day"] == date(2026, 3, 2)


def test_sources_name_where_each_figure_came_from(usage, ana, bo):
    found = sources_of(scope().daily_costs())
    assert found["sources"] == [
        # 10 + 31 + 13 + 0 (Ana) + 30 + 0 + 0 (Bo); 20+10+10+4 + 5+2+0 requests; Ana 4 days + Bo 2 days
        {"source": "claude_code_jsonl", "label": "Claude Code transcripts (JSONL)", "spend": D("84.00"),
         "requests": 51, "developer_days": 6},
        {"source": "otel", "label": "Claude Code OpenTelemetry", "spend": D("5.50"), "requests": 3,
         "developer_days": 1},
    ]
    assert found["by_developer"][ana.pk] == ["Claude Code transcripts (JSONL)", "Claude Code OpenTelemetry"]
    assert found["by_developer"][bo.pk] == ["Claude Code transcripts (JSONL)"]
    assert overview(scope())["sources"] == [dict(row, errors=0) for row in found["sources"]]  # no failed calls


def test_a_day_counted_from_a_daily_report_is_active_without_request_counts(bo):
    # The Admin API usage report counts tokens, not requests.
    DailyCostFactory(developer=bo, day=date(2026, 3, 6), source="anthropic_usage", requests=0, sessions=0,
                     input_tokens=1000, cost=D("0.003"))
    totals = summary(developer_days(scope(), CEILING))
    assert (totals["active_days"], totals["spend"]) == (1, D("0.003"))
    assert [r["active"] for r in day_rows(scope())] == [True]


def test_summary(usage):
    data = overview(scope())
    assert {k: data["summary"][k] for k in ("spend", "requests", "developers", "active_days",
                                            "average_per_active_day", "days_over_ceiling")} == {
        "spend": D("89.50"), "requests": 54, "developers": 2, "active_days": 5,
        "average_per_active_day": D("17.90"), "days_over_ceiling": 1,
    }


def test_summary_of_nothing(db):
    totals = summary(developer_days(scope(), CEILING))
    assert totals["spend"] == 0 and totals["active_days"] == 0
    assert totals["average_per_active_day"] is None


def test_unpriced_models_lists_models_without_a_price(usage):
    assert overview(scope())["unpriced_models"] == [
        {"model": "mystery-model", "requests": 4},
        {"model": "claude-new", "requests": 2},
    ]


def test_a_developer_sees_only_their_own(usage, developer_user):
    mine = scope(roles.developers_visible_to(developer_user))
    assert {r["developer"] for r in day_rows(mine)} == {"Ana"}
    assert [r["developer"] for r in developer_rows(developer_days(mine, CEILING))] == ["Ana"]
    data = overview(mine)
    assert data["unpriced_models"] == [{"model": "mystery-model", "requests": 4}]
    # Ana's active days: 0, 13, 15.50, 31 -> h = 2.7 -> 15.50 + 0.7 * 15.50 = 26.35
    assert data["p90"] == D("26.35")
    assert data["summary"]["spend"] == D("59.50")


def test_an_outsider_sees_nothing(usage, outsider_user):
    nobody = scope(roles.developers_visible_to(outsider_user))
    data = overview(nobody)
    assert data["top_spenders"] == [] and data["unpriced_models"] == [] and data["sources"] == []
    assert data["p90"] is None and day_rows(nobody) == []
