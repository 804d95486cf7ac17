"""Overview selectors over tests/team_usage.py (figures worked out by hand in its docstring).

base 2026-03-01, today 2026-03-20, default range: the month to date (Mar 1 - Mar 20).
"""
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from costdash.accounts.models import Developer
from costdash.rollups import selectors
from costdash.rollups.scope import Scope
from tests.team_usage import team_usage

BASE, TODAY = date(2026, 3, 1), date(2026, 3, 20)
AVERAGE, CEILING = D("13.00"), D("30.00")


@pytest.fixture
def team(developer_user):
    return team_usage(developer_user.developer, BASE)


def scope(**changes) -> Scope:
    return replace(Scope(Developer.objects.all(), BASE, TODAY), **changes)


def overview(s: Scope) -> dict:
    return selectors.overview(s, TODAY, average=AVERAGE, ceiling=CEILING)


def test_month_to_date_and_its_projection(team):
    month = overview(scope())["month"]
    assert month.spend_to_date == D("119.50")
    assert month.burn_rate == D(39) / 7
    assert month.projected == D("119.50") + D(39) / 7 * 11
    assert round(month.projected, 4) == D("180.7857")
    assert (month.month_start, month.month_end, month.days_left) == (date(2026, 3, 1), date(2026, 3, 31), 11)


def test_the_month_is_todays_whatever_the_range(team):
    """A range of last year still shows this month so far (the card says so)."""
    month = overview(scope(since=date(2025, 3, 1), until=date(2025, 3, 31)))["month"]
    assert month.spend_to_date == D("119.50")


def test_summary_p90_and_active_developers(team):
    data = overview(scope())
    summary = data["summary"]
    assert summary["spend"] == D("119.50")
    assert (summary["developers"], summary["active_days"]) == (2, 8)
    assert summary["average_per_active_day"] == D("14.9375")
    assert summary["days_over_ceiling"] == 1
    assert data["p90"] == D("30.30")
    assert (data["average"], data["ceiling"]) == (AVERAGE, CEILING)


def test_daily_spend_by_model_leaves_out_models_with_no_price(team):
    rows = overview(scope())["by_model"]
    day = team["day"]
    assert [(r["day"], r["model"], r["cost"]) for r in rows] == [
        (day(1), "opus", D("5.50")),
        (day(1), "sonnet", D("40.00")),
        (day(2), "sonnet", D("31.00")),
        (day(12), "sonnet", D("13.00")),
        (day(13), "opus", D("20.00")),
        (day(18), "sonnet", D("6.00")),
        (day(19), "sonnet", D("4.00")),
    ]


def test_distribution_of_active_developer_days(team):
    dist = overview(scope())["distribution"]
    # Max $31: $0.50 bins would need 63 > 40, so $1 bins, 0..31 (32 bins).
    assert dist["width"] == D(1)
    assert len(dist["bins"]) == 32
    assert (dist["bins"][0]["low"], dist["bins"][-1]["high"]) == (D(0), D(32))
    counts = {b["low"]: b["count"] for b in dist["bins"] if b["count"]}
    assert counts == {D(0): 1, D(4): 1, D(6): 1, D(13): 1, D(15): 1, D(20): 1, D(30): 1, D(31): 1}


def test_top_spenders_sources_and_unpriced(team):
    data = overview(scope())
    assert [(d["developer"], d["spend"]) for d in data["top_spenders"]] == [("Bo Brannigan", D("60.00")),
                                                                            ("Ana", D("59.50"))]
    assert [(s["source"], s["spend"]) for s in data["sources"]] == [("claude_code_jsonl", D("114.00")),
                                                                     ("otel", D("5.50"))]
    assert data["unpriced_models"] == [{"model": "mystery-model", "requests": 4},
                                       {"model": "claude-new", "requests": 2}]
    assert len(overview(scope())["top_spenders"]) == 2
    assert len(selectors.overview(scope(), TODAY, average=AVERAGE, ceiling=CEILING, top=1)["top_spenders"]) == 1


def test_the_model_filter_narrows_every_figure(team):
    data = overview(scope(model="opus"))
    assert data["summary"]["spend"] == D("25.50")
    assert data["summary"]["active_days"] == 2
    assert data["summary"]["average_per_active_day"] == D("12.75")
    assert data["p90"] == D("18.55")  # 5.50 + 0.9 * (20 - 5.50)
    assert data["month"].spend_to_date == D("25.50")
    assert data["month"].burn_rate == D(20) / 7
    assert {r["model"] for r in data["by_model"]} == {"opus"}
    assert data["unpriced_models"] == []


def test_the_developer_scope_narrows_every_figure(team):
    data = overview(scope(developers=Developer.objects.filter(pk=team["bo"].pk)))
    assert data["summary"]["spend"] == D("60.00")
    assert data["month"].spend_to_date == D("60.00")
    assert [d["developer"] for d in data["top_spenders"]] == ["Bo Brannigan"]
    assert data["p90"] == D("27.0")


def test_nothing_in_scope(db):
    data = overview(scope())
    assert data["summary"]["active_days"] == 0
    assert data["p90"] is None
    assert data["distribution"] == {"width": None, "bins": []}
    assert data["month"].spend_to_date == 0 and data["month"].projected == 0
    assert data["top_spenders"] == [] and data["by_model"] == []


@pytest.mark.parametrize(
    ("costs", "width", "bins"),
    [
        ([D("2")], D("0.5"), 5),  # 0, 0.5, 1, 1.5, 2: a cost on a bin's edge opens that bin
        ([D("19.99")], D("0.5"), 40),  # bins 0..39: exactly 40
        ([D("20")], D("1"), 21),  # $0.50 bins would need 41
        ([D("99999")], D("1000"), 100),  # past the widest width: more bins than MAX_BINS
        ([D("-3"), D("1")], D("0.5"), 9),  # a credit: bins start below zero (-3 .. 1)
    ],
)
def test_distribution_bins(costs, width, bins):
    dist = selectors.cost_distribution(costs)
    assert dist["width"] == width
    assert len(dist["bins"]) == bins
    assert sum(b["count"] for b in dist["bins"]) == len(costs)
    assert all(b["high"] - b["low"] == width for b in dist["bins"])
    for cost in costs:
        (holder,) = [b for b in dist["bins"] if b["low"] <= cost < b["high"]]
        assert holder["count"] >= 1


def test_sources_count_each_developer_day_once_per_source_with_or_without_a_model_filter(team):
    """Ana's day 2 also holds a row counted from LiteLLM: both sources count that developer-day,
    the spend and requests split by source, and the figures equal spend.sources_of's (the distinct
    count over DailyCost), which the Overview no longer runs unless a model filter applies."""
    from costdash.rollups.selectors.spend import sources_of
    from tests.factories import DailyCostFactory

    ana = Developer.objects.get(email="ana@example.com")
    DailyCostFactory(developer=ana, day=team["day"](2), model="opus", source="litellm_spendlogs", requests=3,
                     cost=D("4.25"))
    got = {row["source"]: row for row in overview(scope())["sources"]}
    assert got["litellm_spendlogs"]["developer_days"] == 1
    assert (got["litellm_spendlogs"]["spend"], got["litellm_spendlogs"]["requests"]) == (D("4.25"), 3)
    no_errors = [dict(row, errors=0) for row in sources_of(scope().daily_costs())["sources"]]  # no failed calls
    assert overview(scope())["sources"] == no_errors
    for model in ("opus", "sonnet"):
        expected = [dict(row, errors=0) for row in sources_of(scope(model=model).daily_costs())["sources"]]
        assert overview(scope(model=model))["sources"] == expected


def test_the_model_list_is_every_model_in_the_rollups_or_the_developers(team):
    from costdash.rollups.models import DailyCost
    from costdash.rollups.selectors.spend import models_in_rollups

    everyone = sorted(set(DailyCost.objects.values_list("model", flat=True)))
    assert len(everyone) >= 2 and models_in_rollups() == everyone
    ana = Developer.objects.filter(email="ana@example.com")
    assert models_in_rollups(ana) == sorted(set(DailyCost.objects.filter(developer__in=ana)
                                                .values_list("model", flat=True)))
    assert models_in_rollups(Developer.objects.none()) == []
