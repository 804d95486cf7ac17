"""Cache selectors over DailyCost rows whose figures are worked out by hand below.

Standard rates from costdash/pricing/rates.toml, USD per MTok:
  claude-sonnet-4-6  input 3, cache write 5m 3.75, 1h 6, cache read 0.30, output 15
  claude-opus-4-6    input 5, cache write 5m 6.25, 1h 10, cache read 0.50, output 25

Range 2026-03-01 .. 2026-03-09. all input = uncached input + cache writes + cache reads.

Ana 03-02 sonnet: input 100K, read 800K, write-5m 100K, output 50K -> all 1M, hit 80%
        saved = 0.8 x (3 - 0.30) - 0.1 x (3.75 - 3) = 2.16 - 0.075 = 2.085
        with caching: 0.1x3 + 0.1x3.75 + 0.8x0.30 + 0.05x15 = 0.3 + 0.375 + 0.24 + 0.75 = 1.665
        uncached:     1.0x3 + 0.05x15 = 3.75 (= 1.665 + 2.085)
    03-03 opus:   input 200K, read 600K, write-1h 200K, output 10K -> all 1M, hit 60%
        saved = 0.6 x (5 - 0.5) - 0.2 x (10 - 5) = 2.70 - 1.00 = 1.70
    Ana: reads 1.4M of 2M -> 70%; saved 3.785
Bo  03-02 sonnet: input 100K, write-5m 800K, read 100K -> all 1M, hit 10%
        saved = 0.1 x 2.70 - 0.8 x 0.75 = 0.27 - 0.60 = -0.33 (writes cost more than reads saved)
Cy  03-04 sonnet: input 500K, read 500K -> hit 50%, saved 0.5 x 2.70 = 1.35
    03-04 mystery-model (no price): input 1M -> no dollars; Cy: reads 0.5M of 2M -> 25%
Outside the range: Ana 03-10 sonnet read 5M.

Per day: 03-02 reads 0.9M of 2M = 45%; 03-03 60%; 03-04 0.5M of 2M = 25%.
Total: reads 2.0M of 5M = 40%; saved 2.085 + 1.70 - 0.33 + 1.35 = 4.805.
P75 of developer hit rates [10%, 25%, 70%]: h = 2 x 0.75 = 1.5 -> 0.25 + 0.5 x (0.70 - 0.25) = 0.475.
Potential at 47.5%: Bo gap 0.375 -> extra reads 375,000, 0.375 x 1M x 2.70 / 1M = 1.0125
                    Cy gap 0.225 -> extra reads 0.225 x 2M = 450,000; priced only on sonnet's 1M:
                    0.225 x 2.70 = 0.6075; Ana is above: 0.
"""
from datetime import date
from decimal import Decimal as D

import pytest

from costdash.accounts.models import Developer
from costdash.pricing.rates import RateTable
from costdash.rollups import selectors
from costdash.rollups.scope import Scope
from tests.cache_models_usage import OPUS, SINCE, UNTIL, K, cache_usage
from tests.factories import DailyCostFactory, DeveloperFactory


@pytest.fixture
def table():
    """The checked-in rates.toml, without the database."""
    return RateTable.from_file()


@pytest.fixture
def devs(db):
    return {name: DeveloperFactory(name=name, email=f"{name.lower()}@example.com") for name in ("Ana", "Bo", "Cy")}


@pytest.fixture
def usage(devs):
    cache_usage(devs["Ana"], devs["Bo"], devs["Cy"])
    DailyCostFactory(developer=devs["Ana"], day=date(2026, 3, 10), model="claude-sonnet-4-6",
                     cache_read_tokens=5000 * K)  # outside the range


def scope(developers=None, since=SINCE, until=UNTIL, model=""):
    return Scope(developers if developers is not None else Developer.objects.all(), since, until, model)


def test_hit_rate_and_savings_per_day_and_in_total(usage, table):
    overview = selectors.cache_overview(scope(), table)
    got = [(d["day"].day, d["hit_rate"], d["cache_read"], d["all_input"]) for d in overview["days"]]
    assert got == [(2, D("0.45"), 900 * K, 2000 * K), (3, D("0.6"), 600 * K, 1000 * K), (4, D("0.25"), 500 * K, 2000 * K)]
    summary = overview["summary"]
    assert summary["hit_rate"] == D("0.4")
    assert summary["saved"] == D("4.805")
    assert summary["uncached"] - summary["cached"] == D("4.805")
    assert overview["unpriced_models"] == [{"model": "mystery-model", "tokens": 1000 * K}]


def test_savings_against_uncached_prices_at_the_real_rates(usage, table, devs):
    ana = next(d for d in selectors.cache_overview(scope(), table)["developers"] if d["developer"] == "Ana")
    assert ana["hit_rate"] == D("0.7")
    assert ana["saved"] == D("3.785")
    # Sonnet day: 1.665 with caching, 3.75 without. Opus day: 0.2x5 + 0.2x10 + 0.6x0.5 + 0.01x25 = 3.55
    # with caching, 1.0x5 + 0.01x25 = 5.25 without.
    assert ana["cached"] == D("1.665") + D("3.55")
    assert ana["uncached"] == D("3.75") + D("5.25")


def test_low_reuse_shows_a_negative_saving(usage, table):
    bo = next(d for d in selectors.cache_overview(scope(), table)["developers"] if d["developer"] == "Bo")
    assert bo["hit_rate"] == D("0.1")
    assert bo["saved"] == D("-0.33")


def test_developers_by_hit_rate_and_ranking_against_the_team_p75(usage, table):
    overview = selectors.cache_overview(scope(), table)
    assert [(d["developer"], d["hit_rate"]) for d in overview["developers"]] == [
        ("Bo", D("0.1")), ("Cy", D("0.25")), ("Ana", D("0.7"))]
    assert overview["p75"] == overview["target"] == D("0.475")
    assert overview["target_is_p75"]
    assert [(d["developer"], d["extra_reads"], d["potential"]) for d in overview["ranking"]] == [
        ("Bo", 375 * K, D("1.0125")),
        ("Cy", 450 * K, D("0.6075")),
    ]
    cy = overview["developers"][1]
    assert cy["unpriced_input"] == 1000 * K and cy["saved"] == D("1.35")


def test_a_chosen_target_ranks_everyone_below_it(usage, table):
    # Target 80%: Bo gap 0.7 x 2.70 = 1.89; Cy gap 0.55 x 2.70 (sonnet's 1M only) = 1.485;
    # Ana gap 0.1: sonnet 1M x 2.70 + opus 1M x (5 - 0.5) = 0.1 x (2.70 + 4.50) = 0.72.
    overview = selectors.cache_overview(scope(), table, target=D("0.8"))
    assert not overview["target_is_p75"]
    assert [(d["developer"], d["potential"]) for d in overview["ranking"]] == [
        ("Bo", D("1.89")), ("Cy", D("1.485")), ("Ana", D("0.72"))]


def test_filters_change_the_figures(usage, table, devs):
    only_opus = selectors.cache_overview(scope(model=OPUS), table)
    assert only_opus["summary"]["hit_rate"] == D("0.6") and only_opus["summary"]["saved"] == D("1.70")
    bo_only = selectors.cache_overview(scope(Developer.objects.filter(pk=devs["Bo"].pk)), table)
    assert [d["developer"] for d in bo_only["developers"]] == ["Bo"]
    assert bo_only["summary"]["saved"] == D("-0.33")
    # One developer: the P75 is their own rate, so no one is below the target.
    assert bo_only["target"] == D("0.1") and bo_only["ranking"] == []
    later = selectors.cache_overview(scope(since=date(2026, 3, 10), until=date(2026, 3, 10)), table)
    assert later["summary"]["hit_rate"] == D(1)


def test_an_unpriced_model_is_flagged_not_zero(db, table, devs):
    DailyCostFactory(developer=devs["Ana"], day=date(2026, 3, 2), model="mystery-model", cache_read_tokens=K,
                     input_tokens=K, unpriced_requests=1, cost=D(0))
    overview = selectors.cache_overview(scope(), table)
    assert overview["summary"]["hit_rate"] == D("0.5")
    assert overview["summary"]["saved"] is None
    assert overview["developers"][0]["saved"] is None and overview["developers"][0]["potential"] is None
    assert overview["unpriced_models"] == [{"model": "mystery-model", "tokens": 2 * K}]


def test_a_rate_change_inside_the_range_prices_each_day_at_its_own_rate(db, table, devs):
    # claude-sonnet-5-5 reads at $0.20/MTok until 2026-10-07, $0.10 from then; input $2.
    # 10-06: 1M reads save 1 x (2 - 0.20) = 1.80; 10-07: 1 x (2 - 0.10) = 1.90; together 3.70.
    for day in (6, 7):
        DailyCostFactory(developer=devs["Ana"], day=date(2026, 10, day), model="claude-sonnet-5-5",
                         cache_read_tokens=1000 * K)
    overview = selectors.cache_overview(scope(since=date(2026, 10, 1), until=date(2026, 10, 9)), table)
    assert overview["developers"][0]["saved"] == overview["summary"]["saved"] == D("3.70")


def test_nothing_in_scope(db, table):
    overview = selectors.cache_overview(scope(), table)
    assert overview["days"] == [] and overview["developers"] == [] and overview["ranking"] == []
    assert overview["summary"]["hit_rate"] is None and overview["summary"]["saved"] is None
    assert overview["target"] is None


def test_query_count_does_not_grow_with_developers_or_days(db, table, django_assert_num_queries):
    for n in range(30):
        dev = DeveloperFactory()
        for day in range(1, 10):
            DailyCostFactory(developer=dev, day=date(2026, 3, day), input_tokens=n * K, cache_read_tokens=K)
    with django_assert_num_queries(3):  # hit-rate sums per day, (developer, model, period) sums, names
        overview = selectors.cache_overview(scope(), table)
    assert len(overview["developers"]) == 30
