"""The developer-days folded in PostgreSQL (selectors.developer_days_sql) give what the Python fold
(selectors.developer_days.fold) gives, to the cent, on random teams: every developer's spend, active
days, days over the ceiling, worst day and P90, the team's P90 and the histogram; over every model, under
a model filter (DailyCost grouped per developer-day) and at the edges (ties, $0 active days, days with
no usage, a cost exactly on a bin edge, one developer-day, none)."""
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
import random

from django.db import connection
from django.test.utils import CaptureQueriesContext
import pytest

from costdash.accounts.models import Developer
from costdash.rollups.scope import Scope
from costdash.rollups.selectors import developer_days_sql as in_sql
from costdash.rollups.selectors.developer_days import active_costs, day_rows, fold
from costdash.rollups.selectors.developers import developer_table
from costdash.rollups.selectors.overview import cost_distribution, cost_distribution_of_halves
from costdash.rollups.selectors.spend import P90
from costdash.rollups.thresholds import percentile
from tests.factories import DailyCostFactory, DeveloperFactory

START = date(2026, 5, 1)
CEILING = D("30.00")
MODELS = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")


def _team(seed: int, developers: int, days: int) -> None:
    rng = random.Random(seed)
    for n in range(developers):
        dev = DeveloperFactory(email=f"d{seed}-{n}@example.com", name=f"Dev {n}")
        for offset in rng.sample(range(days), rng.randint(0, days)):
            for model in rng.sample(MODELS, rng.randint(1, 2)):
                kind = rng.random()
                if kind < 0.08:  # a day with no usage at all: not active, $0
                    fields = {"requests": 0, "sessions": 0, "cost": D(0)}
                elif kind < 0.15:  # unpriced requests only: active at $0
                    fields = {"requests": 3, "unpriced_requests": 3, "cost": D(0)}
                elif kind < 0.25:  # on a bin edge, and ties
                    fields = {"cost": D(rng.choice(("0.50", "2.00", "30.00", "30.50", "12.00")))}
                else:
                    fields = {"cost": D(rng.randint(1, 9_000_000)) / D(100_000), "input_tokens": rng.randint(0, 10**6)}
                DailyCostFactory(developer=dev, day=START + timedelta(days=offset), model=model, **fields)


def _scope(days: int, **changes) -> Scope:
    return replace(Scope(Developer.objects.all(), START, START + timedelta(days=days - 1)), **changes)


def _assert_same(scope: Scope) -> None:
    python = fold(day_rows(scope, by_project=True), CEILING)
    database = in_sql.developer_totals(scope, CEILING, by_project=True)
    assert set(database) == set(python)
    worst = in_sql.worst_days(scope, list(python), by_project=True)
    # Told each developer's worst cost (as the pages are), the day is found by a join, not a sort: the same days.
    worst_costs = {dev: found.worst_day_cost for dev, found in database.items()}
    with CaptureQueriesContext(connection) as joined:
        assert in_sql.worst_days(scope, list(python), by_project=True, worst_costs=worst_costs) == worst
    if worst_costs:  # found by the join alone: no developer left to sort for
        assert len(joined.captured_queries) == 1 and "DISTINCT ON" not in joined.captured_queries[0]["sql"]
    assert in_sql.worst_days(scope, None, by_project=True, worst_costs=worst_costs) == worst
    p90s = in_sql.p90s(scope, None, P90, by_project=True)
    assert in_sql.p90s(scope, list(python)[:3], P90, by_project=True) == {
        dev: p90s[dev] for dev in list(python)[:3] if dev in p90s}
    for dev, expected in python.items():
        found = database[dev]
        assert (found.spend, found.active_days, found.days_over_ceiling, found.worst_day_cost) == (
            expected.spend, expected.active_days, expected.days_over_ceiling, expected.worst_day_cost)
        assert worst.get(dev) == expected.worst_day
        assert p90s.get(dev) == percentile(expected.costs, P90)
    costs = active_costs(python)
    counted = in_sql.active_costs(scope, by_project=True)
    assert counted.count == len(costs)
    assert in_sql.percentile_of(scope, counted, P90, by_project=True) == percentile(costs, P90)
    assert cost_distribution_of_halves(counted) == cost_distribution(costs)


@pytest.mark.parametrize("seed", range(6))
def test_the_database_fold_equals_the_python_fold(db, seed):
    _team(seed, developers=7, days=20)
    _assert_same(_scope(20))
    _assert_same(_scope(20, model="claude-opus-4-6"))
    _assert_same(_scope(5))  # a shorter range: fewer rows, the same rules


@pytest.mark.parametrize("seed", range(3))
def test_whole_months_read_from_developer_month_give_the_same_totals(db, seed):
    """A range holding whole months reads them from DeveloperMonth and the days around from DeveloperDay:
    the same totals as folding every day, for ranges starting and ending mid-month or on a month's edge."""
    _team(100 + seed, developers=5, days=75)  # 2026-05-01 .. 2026-07-14
    for since, until in ((date(2026, 5, 1), date(2026, 7, 14)), (date(2026, 5, 9), date(2026, 7, 2)),
                         (date(2026, 5, 1), date(2026, 6, 30)), (date(2026, 4, 20), date(2026, 6, 3))):
        scope = Scope(Developer.objects.all(), since, until)
        assert in_sql._whole_months(scope) is not None
        _assert_same(scope)
        _assert_same(replace(scope, developers=Developer.objects.filter(email__startswith=f"d{100 + seed}-1")))


def test_one_developer_day_and_none(db):
    _assert_same(_scope(10))  # nothing at all
    assert in_sql.percentile_of(_scope(10), in_sql.active_costs(_scope(10)), P90) is None
    dev = DeveloperFactory(email="one@example.com")
    DailyCostFactory(developer=dev, day=START, cost=D("31.25"))
    _assert_same(_scope(10))
    assert in_sql.p90s(_scope(10), [dev.pk], P90) == {dev.pk: D("31.25")}


def test_a_worst_cost_no_day_has_any_more_falls_back_to_sorting_the_days(db):
    """The worst cost a page read first and the days read after it disagree (a recompute in between): the
    developer's worst day is then found by sorting their days, never left out."""
    dev, other = DeveloperFactory(email="a@example.com"), DeveloperFactory(email="b@example.com")
    for offset, cost in ((0, "4.00"), (1, "9.50"), (2, "9.50"), (3, "1.00")):
        DailyCostFactory(developer=dev, day=START + timedelta(days=offset), cost=D(cost))
    DailyCostFactory(developer=other, day=START + timedelta(days=5), cost=D("2.00"))
    scope = _scope(10)
    stale = {dev.pk: D("7.00"), other.pk: D("2.00")}
    assert in_sql.worst_days(scope, [dev.pk, other.pk], worst_costs=stale) == {
        dev.pk: START + timedelta(days=1), other.pk: START + timedelta(days=5)}


def test_the_lazy_table_fills_what_the_full_table_has(db):
    _team(11, developers=9, days=15)
    scope = _scope(15)
    full = developer_table(scope, ceiling=CEILING)
    lazy = developer_table(scope, ceiling=CEILING, lazy=True)
    in_python = developer_table(scope, ceiling=CEILING, with_costs=True)
    assert [row["developer_id"] for row in lazy["developers"]] == [row["developer_id"] for row in full["developers"]]
    assert lazy["developers"][0]["p90"] is None or lazy["developers"][0]["p90"] == full["developers"][0]["p90"]
    shown = lazy["developers"][:4]
    lazy["fill"](shown)
    assert shown == full["developers"][:4]
    assert full["developers"] == in_python["developers"]
    assert (full["p90"], full["chart_days"], full["charted"]) == (
        in_python["p90"], in_python["chart_days"], in_python["charted"])


@pytest.mark.parametrize("seed", range(2))
def test_cache_and_main_model_from_whole_months_equal_the_daily_rows(db, seed, monkeypatch):
    """The Developers table's cache hit rate and main model read whole months from chargeback.MonthlyCost and
    the days around from DailyCost, and a partial month with fewer days outside the range than in it as the
    month less those days: the same as grouping every DailyCost row, with and without a model. A developer
    or model of the subtracted days alone is left out, as the daily rows leave them out."""
    from costdash.rollups.selectors import developers

    _team(200 + seed, developers=5, days=75)
    only_outside = DeveloperFactory(email="outside@example.com", name="Outside")  # 2 May and 30 June only
    DailyCostFactory(developer=only_outside, day=date(2026, 5, 2), model=MODELS[0], cost=D("3.00"), requests=2)
    DailyCostFactory(developer=only_outside, day=date(2026, 6, 30), model=MODELS[1], cost=D("4.00"), requests=2)
    scopes = [Scope(Developer.objects.all(), since, until) for since, until in (
        (date(2026, 5, 1), date(2026, 7, 14)), (date(2026, 5, 9), date(2026, 7, 2)), (date(2026, 4, 20), date(2026, 6, 3)),
        (date(2026, 5, 5), date(2026, 6, 25)), (date(2026, 5, 3), date(2026, 6, 29)))]
    scopes += [replace(scopes[0], model="claude-opus-4-6"), replace(scopes[3], model="claude-opus-4-6")]
    with CaptureQueriesContext(connection) as queries:
        found = [developers._model_figures(scope) for scope in scopes]
    assert sum("HAVING SUM(n) > 0" in q["sql"] for q in queries.captured_queries) == 4  # May 5 / May 3 on
    assert only_outside.pk in found[0] and not any(only_outside.pk in f for f in found[3:5])
    some = [developers._model_figures(scope, developer_ids=list(Developer.objects.values_list("pk", flat=True)[:2]))
            for scope in scopes]
    monkeypatch.setattr(developers, "_by_model_with_months", lambda scope, developer_ids: None)
    assert found == [developers._model_figures(scope) for scope in scopes]
    assert some == [developers._model_figures(scope, developer_ids=list(Developer.objects.values_list("pk", flat=True)[:2]))
                    for scope in scopes]
    assert all(found) and any(f["main_model"] for f in found[0].values())


@pytest.mark.parametrize("wanted", [3, 250])
def test_developer_names_by_id_or_from_the_whole_table_are_the_same(db, wanted):
    """spend._names reads a few developers by id and many (an org's Developers table) from the whole table:
    either way exactly the developers asked for, named by name or else email, with their team's name."""
    from costdash.accounts.models import Team
    from costdash.rollups.selectors.spend import NAMES_BY_ID, _names

    team = Team.objects.create(name="Payments")
    developers = Developer.objects.bulk_create(
        Developer(email=f"n{n}@example.com", name="" if n % 7 == 0 else f"Name {n}", team=team if n % 2 else None)
        for n in range(260))
    asked = {dev.pk for dev in developers[:wanted]} | {max(dev.pk for dev in developers) + 1000}  # one unknown id
    assert (len(asked) > NAMES_BY_ID) == (wanted > NAMES_BY_ID)
    expected = {dev.pk: (dev.name or dev.email, "Payments" if n % 2 else "") for n, dev in enumerate(developers[:wanted])}
    assert _names(asked) == expected
