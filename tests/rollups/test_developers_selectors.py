"""Developers selectors over tests/team_usage.py (figures worked out by hand in its docstring), plus
Cy, whose only usage is unpriced, to pin the tie-breaks and the "no value" cases:

Cy (no team), day 4: "zeta" 5 unpriced requests + "alpha" 5 unpriced requests, $0, no tokens, no
sessions. Main model: equal spend ($0) and requests (5), so the name that sorts first, "alpha".
"""
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from costdash.accounts.models import Developer
from costdash.rollups import selectors
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.developers import SESSIONS_FROM_ACTIVITY, SESSIONS_FROM_SESSION_DAYS, sort_rows
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.team_usage import team_usage

BASE, TODAY = date(2026, 3, 1), date(2026, 3, 20)
CEILING = D("30.00")


@pytest.fixture
def team(developer_user):
    found = team_usage(developer_user.developer, BASE)
    cy = DeveloperFactory(email="cy@example.com", name="Cy", team=None)
    for model in ("zeta", "alpha"):
        DailyCostFactory(developer=cy, day=date(2026, 3, 5), model=model, requests=5, unpriced_requests=5, cost=D(0))
    return found | {"cy": cy}


def scope(**changes) -> Scope:
    return replace(Scope(Developer.objects.all(), BASE, TODAY), **changes)


def table(sort="spend", descending=True, **changes) -> list[dict]:
    return selectors.developer_table(scope(**changes), ceiling=CEILING, sort=sort, descending=descending)["developers"]


def by_name(rows):
    return {row["developer"]: row for row in rows}


def test_each_developers_figures(team):
    rows = by_name(table())
    ana, bo, cy = rows["Ana"], rows["Bo Brannigan"], rows["Cy"]
    assert (ana["spend"], ana["active_days"], ana["average_per_active_day"]) == (D("59.50"), 4, D("14.875"))
    assert (bo["spend"], bo["active_days"], bo["average_per_active_day"]) == (D("60.00"), 4, D("15"))
    assert (ana["p90"], bo["p90"], cy["p90"]) == (D("26.35"), D("27.0"), D(0))
    assert (ana["worst_day"], ana["worst_day_cost"]) == (team["day"](2), D("31.00"))
    assert (bo["worst_day"], bo["worst_day_cost"]) == (team["day"](1), D("30.00"))
    assert (ana["days_over_ceiling"], bo["days_over_ceiling"]) == (1, 0)
    assert (ana["cache_hit_rate"], bo["cache_hit_rate"], cy["cache_hit_rate"]) == (D("0.775"), D("0.25"), None)
    assert (ana["main_model"], bo["main_model"], cy["main_model"]) == ("sonnet", "sonnet", "alpha")
    assert (ana["sessions"], ana["sessions_from"]) == (2, SESSIONS_FROM_SESSION_DAYS)
    assert (bo["sessions"], bo["sessions_from"]) == (3, SESSIONS_FROM_ACTIVITY)
    assert (cy["sessions"], cy["sessions_from"]) == (None, None)


@pytest.mark.parametrize(
    ("sort", "descending", "order"),
    [
        ("spend", True, ["Bo Brannigan", "Ana", "Cy"]),
        ("spend", False, ["Cy", "Ana", "Bo Brannigan"]),
        ("developer", False, ["Ana", "Bo Brannigan", "Cy"]),
        ("developer", True, ["Cy", "Bo Brannigan", "Ana"]),
        ("cache_hit_rate", True, ["Ana", "Bo Brannigan", "Cy"]),  # Cy has none: last either way
        ("cache_hit_rate", False, ["Bo Brannigan", "Ana", "Cy"]),
        ("main_model", False, ["Cy", "Ana", "Bo Brannigan"]),  # alpha, then sonnet x2 by name
        ("main_model", True, ["Ana", "Bo Brannigan", "Cy"]),  # equal values keep the name order
        ("sessions", True, ["Bo Brannigan", "Ana", "Cy"]),
        ("team", False, ["Ana", "Bo Brannigan", "Cy"]),  # Alpha, Beta, no team last
        ("p90", True, ["Bo Brannigan", "Ana", "Cy"]),
        ("worst_day", False, ["Cy", "Bo Brannigan", "Ana"]),
        ("days_over_ceiling", True, ["Ana", "Bo Brannigan", "Cy"]),
        ("average", True, ["Bo Brannigan", "Ana", "Cy"]),
        ("active_days", True, ["Ana", "Bo Brannigan", "Cy"]),  # 4, 4, 1: ties by name
        ("nonsense", False, ["Cy", "Ana", "Bo Brannigan"]),  # an unknown column sorts by spend
    ],
)
def test_sort_order(team, sort, descending, order):
    assert [row["developer"] for row in table(sort, descending)] == order


def test_sort_rows_puts_missing_values_last_both_ways():
    rows = [{"developer": n, "developer_id": i, "sessions": s} for i, (n, s) in enumerate([("a", None), ("b", 1),
                                                                                        ("c", 2)])]
    assert [r["developer"] for r in sort_rows(rows, "sessions", True)] == ["c", "b", "a"]
    assert [r["developer"] for r in sort_rows(rows, "sessions", False)] == ["b", "c", "a"]


def test_filters_change_the_table(team):
    (bo,) = table(developers=Developer.objects.filter(team__name="Beta"))
    assert bo["developer"] == "Bo Brannigan"
    opus = by_name(table(model="opus"))
    assert set(opus) == {"Ana", "Bo Brannigan"}
    assert (opus["Ana"]["spend"], opus["Ana"]["cache_hit_rate"], opus["Ana"]["main_model"]) == (D("5.50"), D("0.5"),
                                                                                                "opus")
    assert opus["Ana"]["sessions"] == 2  # sessions are not per model: the filter does not apply
    early = by_name(table(until=date(2026, 3, 2)))  # days 0 and 1
    assert early["Ana"]["spend"] == D("15.50") and early["Ana"]["sessions"] == 1


def test_detail_of_one_developer(team):
    ana = team["ana"]
    detail = selectors.developer_detail(scope(developers=Developer.objects.filter(pk=ana.pk)), ceiling=CEILING)
    s = detail["summary"]
    assert (s["spend"], s["p90"], s["cache_hit_rate"], s["main_model"], s["sessions"]) == (
        D("59.50"), D("26.35"), D("0.775"), "sonnet", 2)
    assert [(d["day"], d["cost"]) for d in detail["days"]] == [
        (team["day"](1), D("15.50")), (team["day"](2), D("31.00")), (team["day"](12), D("13.00")),
        (team["day"](15), D(0))]
    # Day 1: (600 + 500) / (1000 + 1000); day 2: 2000 / 2000; days 12 and 15 have no tokens.
    assert [(c["day"], c["hit_rate"], c["all_input"]) for c in detail["cache_by_day"]] == [
        (team["day"](1), D("0.55"), 2000), (team["day"](2), D(1), 2000), (team["day"](12), None, 0),
        (team["day"](15), None, 0)]
    mix = [(m["model"], m["cost"], m["share"], m["requests"], m["tokens"]) for m in detail["model_mix"]]
    assert mix == [("sonnet", D("54.00"), D("54.00") / D("59.50"), 40, 3000),
                   ("opus", D("5.50"), D("5.50") / D("59.50"), 3, 1000),
                   ("mystery-model", D(0), D(0), 4, 0)]
    assert detail["unpriced_models"] == [{"model": "mystery-model", "requests": 4}]
    activity = detail["activity"]
    assert (activity["days"], activity["lines_added"], activity["commits"], activity["pull_requests"]) == (1, 120, 2, 1)


def test_sessions_sum_their_days_latest_first(team):
    rows = list(selectors.developer_sessions(scope(developers=Developer.objects.filter(pk=team["ana"].pk))))
    assert [r["session_id"] for r in rows] == ["s2", "s1"]
    s2, s1 = rows
    # s1: day 1 09:00 to day 2 01:00 = 16 h; 8 + 20 requests; $9 + $31; 50 + 20 + 300 + 100 + 2000 tokens.
    assert (selectors.session_minutes(s1), s1["requests"], s1["cost"], s1["tokens"]) == (960, 28, D("40.00"), 2470)
    assert (selectors.session_minutes(s2), s2["requests"], s2["unpriced_requests"], s2["tokens"]) == (45, 10, 1, 0)


def test_detail_without_usage(team):
    nobody = scope(developers=Developer.objects.filter(pk=team["cy"].pk), since=date(2026, 1, 1),
                   until=date(2026, 1, 31))
    detail = selectors.developer_detail(nobody, ceiling=CEILING)
    assert detail["summary"] is None and detail["days"] == [] and detail["activity"] is None
    assert detail["model_mix"] == [] and detail["unpriced_models"] == []
