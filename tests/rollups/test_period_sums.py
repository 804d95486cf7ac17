"""Whole months from the per-developer-month rollups (chargeback.MonthlyCost, MonthlyDimensionCost)
give the Cache page's savings and the Models page's what-if exactly what the daily rows give.

Rates (USD per MTok, standard tier 0):
  sonnet: 3 / 3.75 / 6 / 0.30 / 15 until 15 March 2026, then 2 / 2.50 / 4 / 0.20 / 10 (a mid-month change);
  opus:   5 / 6.25 / 10 / 0.50 / 25 until 1 April, then 4 / 5 / 8 / 0.40 / 20 (a change on a month's first day);
  haiku:  1 / 1.25 / 2 / 0.10 / 5 throughout.
Usage on days at every month edge from 20 January to 10 May (31 Jan, 1 Feb, 28 Feb, 1 and 14-16 Mar,
31 Mar, 1 Apr, 30 Apr, 1 May), two developers, two sources, the three models and an unpriced one.
"""
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from costdash.accounts.models import Developer
from costdash.chargeback import projects
from costdash.chargeback.models import MonthlyCost
from costdash.chargeback.projects import whole_months
from costdash.pricing.rates import RateTable
from costdash.rollups.scope import Scope
from costdash.rollups.selectors import cache_overview, what_if
from costdash.rollups.selectors.repricing import _month_split, period_sums
from tests.factories import DailyCostFactory, DeveloperFactory

SONNET, OPUS, HAIKU, MYSTERY = "claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5", "mystery-model"
PRICES = {
    SONNET: [("3", "3.75", "6", "0.30", "15", None, "2026-03-15"), ("2", "2.50", "4", "0.20", "10", "2026-03-15", None)],
    OPUS: [("5", "6.25", "10", "0.50", "25", None, "2026-04-01"), ("4", "5", "8", "0.40", "20", "2026-04-01", None)],
    HAIKU: [("1", "1.25", "2", "0.10", "5", None, None)],
}
DAYS = [date(2026, 1, 20), date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 10), date(2026, 2, 28),
        date(2026, 3, 1), date(2026, 3, 14), date(2026, 3, 15), date(2026, 3, 16), date(2026, 3, 31),
        date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 10)]
RANGES = [
    (date(2026, 1, 20), date(2026, 5, 10)),  # whole February, March (cut mid-month) and April
    (date(2026, 2, 1), date(2026, 4, 30)),  # whole months only
    (date(2026, 1, 31), date(2026, 3, 1)),  # one whole month and a day either side
    (date(2026, 3, 1), date(2026, 3, 31)),  # March alone: sonnet's change inside it
    (date(2026, 4, 1), date(2026, 4, 30)),  # April alone: opus's change on its first day
    (date(2026, 2, 2), date(2026, 3, 30)),  # no whole month
]


@pytest.fixture
def table():
    rows = [
        {"model": model, "input": p[0], "cache_write_5m": p[1], "cache_write_1h": p[2], "cache_read": p[3],
         "output": p[4], "effective_from": p[5], "effective_until": p[6]}
        for model, prices in PRICES.items() for p in prices
    ]
    return RateTable.from_rows(rows)


@pytest.fixture
def usage(db):
    ana = DeveloperFactory(name="Ana", email="ana@example.com")
    bo = DeveloperFactory(name="Bo", email="bo@example.com")
    for n, day in enumerate(DAYS):
        for developer, models in ((ana, (SONNET, OPUS)), (bo, (SONNET, HAIKU, MYSTERY))):
            for m, model in enumerate(models):
                k = 1000 * (n + 1) + 100 * m + developer.pk % 7
                DailyCostFactory(developer=developer, day=day, model=model, input_tokens=k * 3,
                                 output_tokens=k, cache_write_5m_tokens=k * 5, cache_write_1h_tokens=k * 2,
                                 cache_read_tokens=k * 40 + 7, web_search_requests=n % 3, requests=n + 1,
                                 cost=Decimal("1.234567890123") * (n + m + 1))
        # A second source of Bo's sonnet on some days.
        if n % 2:
            DailyCostFactory(developer=bo, day=day, model=SONNET, source="otel", input_tokens=777, cache_read_tokens=9999,
                             cost=Decimal("0.000000000001"))
    return {"ana": ana, "bo": bo}


def daily_only(monkeypatch):
    """Force the daily path (no month is read monthly, whole or less its days outside the range)."""
    monkeypatch.setattr(projects, "whole_months", lambda since, until: None)
    monkeypatch.setattr(projects, "months_by_difference", lambda since, until: None)


def scopes(usage, since, until):
    everyone = Developer.objects.all()
    return [Scope(everyone, since, until), Scope(everyone, since, until, model=SONNET),
            Scope(Developer.objects.filter(pk=usage["bo"].pk), since, until)]


def key(rows):
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


@pytest.mark.parametrize("since, until", RANGES)
def test_sums_from_whole_months_equal_the_daily_sums(usage, table, monkeypatch, since, until):
    results = []
    for scope in scopes(usage, since, until):
        results.append((
            key(period_sums(scope, table, ("developer_id", "model"))),
            key(period_sums(scope, table, ("developer_id",), model=SONNET, priced_as=[OPUS], extra=("cost",))),
            cache_overview(scope, table), what_if(scope, table, SONNET, OPUS), what_if(scope, table, OPUS, HAIKU),
        ))
    daily_only(monkeypatch)
    for scope, found in zip(scopes(usage, since, until), results, strict=True):
        assert found == (
            key(period_sums(scope, table, ("developer_id", "model"))),
            key(period_sums(scope, table, ("developer_id",), model=SONNET, priced_as=[OPUS], extra=("cost",))),
            cache_overview(scope, table), what_if(scope, table, SONNET, OPUS), what_if(scope, table, OPUS, HAIKU),
        )


def test_the_month_rows_are_read_except_where_a_price_changes_inside_a_month(usage, table):
    since, until = RANGES[0]
    assert whole_months(since, until) == (date(2026, 2, 1), date(2026, 4, 1))
    scope = Scope(Developer.objects.all(), since, until)
    with CaptureQueriesContext(connection) as queries:
        rows = period_sums(scope, table, ("developer_id", "model"))
    assert len(queries) == 1 and "chargeback_monthlycost" in queries[0]["sql"]
    # Sonnet's periods split at 15 March (its March from the days); opus's at 1 April (April from the month).
    periods = {(r["model"], r["period"]) for r in rows}
    assert periods == {(SONNET, since), (SONNET, date(2026, 3, 15)), (OPUS, since), (OPUS, date(2026, 4, 1)),
                       (HAIKU, since), (MYSTERY, since)}
    monthly, daily, minus = _month_split(table, since, until, ())
    assert minus is None
    months = MonthlyCost.objects.filter(monthly)
    assert sorted(set(months.values_list("month", "model"))) == [
        (date(2026, m, 1), model) for m in (2, 3, 4) for model in sorted((SONNET, OPUS, HAIKU, MYSTERY))
        if not (m == 3 and model == SONNET)]
    # Priced as sonnet (the what-if's target): March's rows of every model come from the days.
    monthly, daily, minus = _month_split(table, since, until, (SONNET,))
    assert {m for m, in MonthlyCost.objects.filter(monthly).values_list("month").distinct()} == {
        date(2026, 2, 1), date(2026, 4, 1)}


def test_month_rows_are_their_days_summed_and_follow_the_recompute(client, db, tmp_path):
    """Through the real path: events imported, the recompute builds MonthlyCost beside DailyCost; a
    later import into a month rebuilds it; deleting the developer deletes them."""
    from django.db.models import Sum

    from costdash.ingest.services import usage_import
    from costdash.lib.dates import month_after
    from costdash.rollups.models import DailyCost
    from costdash.rollups.services import daily_cost_recompute_dirty
    from tests.ingest.transcripts import assistant_line, write_jsonl

    developer = DeveloperFactory(email="cy@example.com", name="Cy")

    def imported(name, stamps):
        lines = [assistant_line(msg=f"{name}{i}", req=f"req_{name}{i}", ts=ts, model=model, session=name,
                                input_tokens=1000 + i, output=500, read=20_000)
                 for i, (ts, model) in enumerate(stamps)]
        assert usage_import([write_jsonl(tmp_path / name / "s.jsonl", lines)],
                            developer_email="cy@example.com").status == "done"
        daily_cost_recompute_dirty()

    def months_of_days():
        sums = {}
        for row in DailyCost.objects.filter(developer=developer).values("day", "model").annotate(
                c=Sum("cost"), i=Sum("input_tokens"), r=Sum("cache_read_tokens"), n=Sum("requests")):
            month = sums.setdefault((row["day"].replace(day=1), row["model"]), [Decimal(0), 0, 0, 0])
            for k, v in enumerate((row["c"], row["i"], row["r"], row["n"])):
                month[k] += v
        return {k: tuple(v) for k, v in sums.items()}

    def month_rows():
        return {(r.month, r.model): (r.cost, r.input_tokens, r.cache_read_tokens, r.requests)
                for r in MonthlyCost.objects.filter(developer=developer)}

    def rows_counted():  # MonthlyCost.daily_rows: the DailyCost rows of its month and model
        counted = {(r.month, r.model): r.daily_rows for r in MonthlyCost.objects.filter(developer=developer)}
        days = DailyCost.objects.filter(developer=developer)
        assert counted == {key: days.filter(day__gte=key[0], day__lt=month_after(key[0]), model=key[1]).count()
                           for key in counted}
        return counted

    imported("a", [("2026-03-31T12:00:00Z", SONNET), ("2026-04-01T12:00:00Z", SONNET),
                   ("2026-04-20T12:00:00Z", OPUS)])
    assert month_rows() == months_of_days() and len(month_rows()) == 3
    assert rows_counted()[(date(2026, 4, 1), SONNET)] == 1
    imported("b", [("2026-04-21T12:00:00Z", SONNET)])
    assert month_rows() == months_of_days() and month_rows()[(date(2026, 4, 1), SONNET)][3] == 2
    assert rows_counted()[(date(2026, 4, 1), SONNET)] == 2
    developer.delete()
    assert not MonthlyCost.objects.exists()


def test_a_year_reads_a_tenth_of_the_rows(usage, table):
    """Not a timing: the daily part of a year ending mid-month is the days around its whole months."""
    until = date(2026, 5, 10)
    monthly, daily, minus = _month_split(table, until - timedelta(days=364), until, ())
    assert monthly is not None and minus is None
    from costdash.rollups.models import DailyCost

    days = set(DailyCost.objects.filter(daily).values_list("day", flat=True))
    assert days == {date(2026, 3, 14), date(2026, 3, 15), date(2026, 3, 16), date(2026, 3, 31), date(2026, 3, 1),
                    date(2026, 5, 1), date(2026, 5, 10)}


@pytest.mark.parametrize("since, until", RANGES[:3])
def test_the_cache_fold_in_postgresql_equals_the_python_fold(usage, table, since, until):
    from costdash.rollups.selectors import cache

    for scope in scopes(usage, since, until):
        in_database, in_python = {}, {}
        assert cache._developers_in_database(scope, table, in_database) == \
            cache._developers_in_python(scope, table, in_python)
        assert in_database == in_python
    assert list(in_database) == [MYSTERY]  # the last scope is Bo alone, every model: his unpriced model
    everyone = {}
    cache._developers_in_database(Scope(Developer.objects.all(), since, until), table, everyone)
    assert list(everyone) == [MYSTERY] and everyone[MYSTERY] > 0


def test_tokens_add_every_field():
    from dataclasses import fields

    from costdash.rollups.selectors.repricing import Tokens

    n = len(fields(Tokens))
    assert Tokens(*range(1, n + 1)) + Tokens(*range(10, 10 * (n + 1), 10)) == Tokens(*(11 * i for i in range(1, n + 1)))


# Ranges whose partial months at either end are read as the whole month less its days outside the range,
# or, where a price changes inside the month (sonnet on 15 March), from their days in range.
PARTIAL = [
    (date(2026, 1, 10), date(2026, 4, 26)),  # January less 1-9, April less 27-30
    (date(2026, 1, 10), date(2026, 3, 20)),  # January less 1-9; March's 1-20 from the days (sonnet's change)
    (date(2026, 2, 5), date(2026, 3, 28)),  # no whole month: February less 1-4; March from the days
    (date(2026, 3, 10), date(2026, 4, 20)),  # March from the days (cut), April less 21-30
    (date(2026, 3, 16), date(2026, 4, 26)),  # March less 1-15 (sonnet's change falls before the range), April less 27-30
]


@pytest.fixture
def outside_only(usage):
    """Rows on days PARTIAL ranges leave out of their first or last month: Cy only there (5 Jan, 30 Apr), Ana's
    haiku on 3 Feb and 28 Apr, Bo's opus on 1 Mar. A range without them may not show them, even as zeros."""
    cy = DeveloperFactory(name="Cy", email="cy@example.com")
    for developer, day, model in ((cy, date(2026, 1, 5), SONNET), (cy, date(2026, 4, 30), OPUS),
                                  (usage["ana"], date(2026, 2, 3), HAIKU), (usage["ana"], date(2026, 4, 28), HAIKU),
                                  (usage["bo"], date(2026, 3, 1), OPUS)):
        DailyCostFactory(developer=developer, day=day, model=model, input_tokens=5000, output_tokens=700,
                         cache_read_tokens=90_000, cache_write_5m_tokens=3000, requests=4, cost=Decimal("0.5"))
    return {**usage, "cy": cy}


@pytest.mark.parametrize("since, until", PARTIAL)
def test_a_partial_month_read_whole_less_its_days_outside_equals_the_daily_sums(outside_only, table, monkeypatch,
                                                                               since, until):
    usage = outside_only
    every = [*scopes(usage, since, until), Scope(Developer.objects.filter(pk=usage["cy"].pk), since, until)]

    def everything(scope):
        return (key(period_sums(scope, table, ("developer_id", "model"))),
                key(period_sums(scope, table, ("developer_id",), model=SONNET, priced_as=[OPUS], extra=("cost",))),
                key(period_sums(scope, table, ("developer_id",), model=HAIKU, priced_as=[SONNET], extra=("cost",))),
                cache_overview(scope, table), what_if(scope, table, SONNET, OPUS), what_if(scope, table, OPUS, HAIKU))

    with CaptureQueriesContext(connection) as queries:
        found = [everything(scope) for scope in every]
    assert any("HAVING SUM" in q["sql"] for q in queries.captured_queries)  # something was subtracted
    by_pair = {(r["developer_id"], r["model"]) for r in found[0][0]}
    assert not {pair for pair in by_pair if pair[0] == usage["cy"].pk}
    assert ((usage["bo"].pk, OPUS) in by_pair) == (since <= date(2026, 3, 1))
    assert found[-1][0] == [] and found[-1][3]["developers"] == []
    daily_only(monkeypatch)
    assert found == [everything(scope) for scope in every]


def test_which_partial_months_are_subtracted(usage, table):
    """January less 1-9 and April less 27-30; March (sonnet's change on the 15th, in range) from its days;
    under a project filter (MonthlyDimensionCost has no row counts) nothing is subtracted."""
    from costdash.rollups.models import DailyCost

    monthly, daily, minus = _month_split(table, date(2026, 1, 10), date(2026, 4, 26), (), subtract=True)
    assert {m for m, in MonthlyCost.objects.filter(monthly).values_list("month").distinct()} == {
        date(2026, m, 1) for m in (1, 2, 3, 4)}
    assert set(DailyCost.objects.filter(minus).values_list("day", flat=True)) == {date(2026, 4, 30)}
    monthly, daily, minus = _month_split(table, date(2026, 3, 10), date(2026, 4, 20), (), subtract=True)
    assert {m for m, in MonthlyCost.objects.filter(monthly).values_list("month").distinct()} == {date(2026, 4, 1)}
    assert set(DailyCost.objects.filter(daily).values_list("day", flat=True)) == {
        date(2026, 3, 14), date(2026, 3, 15), date(2026, 3, 16), date(2026, 3, 31)}
    assert set(DailyCost.objects.filter(minus).values_list("day", flat=True)) == {date(2026, 4, 30)}
    assert _month_split(table, date(2026, 1, 10), date(2026, 4, 26), (), subtract=False)[2] is None


def test_the_migration_counts_the_daily_rows_of_each_monthly_row(usage):
    """chargeback 0008 fills MonthlyCost.daily_rows from the rows already there."""
    import importlib

    from django.apps import apps

    from costdash.rollups.models import DailyCost

    MonthlyCost.objects.update(daily_rows=0)
    fill = importlib.import_module("costdash.chargeback.migrations.0008_monthly_cost_daily_rows").fill
    with connection.schema_editor() as editor:
        fill(apps, editor)
    counted = dict(((r.developer_id, r.month, r.model), r.daily_rows) for r in MonthlyCost.objects.all())
    assert sum(counted.values()) == DailyCost.objects.count() and len(counted) > 10
    bo_sonnet_march = (usage["bo"].pk, date(2026, 3, 1), SONNET)
    assert counted[bo_sonnet_march] == 5 + 3  # five days, three of them (1, 15 and 31 March) with otel too


@settings(max_examples=400, deadline=None)
@given(since=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)), length=st.integers(0, 420))
def test_months_by_difference_covers_the_range_exactly(since, length):
    """The months read monthly, plus the days around them, less the subtracted days, are the range's days,
    each once; a subtracted month has fewer days outside the range than in it; whole months always read."""
    from costdash.lib.dates import month_after

    def days(a, b):  # inclusive
        return {a + timedelta(days=i) for i in range((b - a).days + 1)}

    until = since + timedelta(days=length)
    span = projects.months_by_difference(since, until)
    whole = whole_months(since, until)
    if span is None:
        assert whole is None
        return
    first, last, outside = span
    in_range = days(since, until)
    monthly = days(first, month_after(last) - timedelta(days=1))
    around = {day for day in in_range if day < first or day >= month_after(last)}
    minus = set().union(*(days(a, b) for a, b in outside)) if outside else set()
    assert monthly | around == in_range | minus and not monthly & around
    assert minus <= monthly and not minus & in_range and monthly - minus <= in_range
    for a, b in outside:  # each subtracted stretch: fewer days than its month has in range
        assert len(days(a, b)) < len(days(a.replace(day=1), month_after(a) - timedelta(days=1)) & in_range)
    if whole:
        assert first <= whole[0] and whole[1] <= last
