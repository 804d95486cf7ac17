"""Model mix and what-if selectors over DailyCost rows whose figures are worked out by hand below.

Standard rates from costdash/pricing/rates.toml, USD per MTok:
  claude-opus-4-6    input 5, cache write 5m 6.25, 1h 10, cache read 0.50, output 25
  claude-sonnet-4-6  input 3, cache write 5m 3.75, 1h 6,  cache read 0.30, output 15

Range 2026-03-01 .. 2026-03-09.
Ana 03-02 opus:   input 1M, output 100K, cache read 2M; 10 requests; recorded $12.00
        on opus:   1x5 + 0.1x25 + 2x0.5   = 5 + 2.5 + 1   = 8.50
        on sonnet: 1x3 + 0.1x15 + 2x0.30  = 3 + 1.5 + 0.6 = 5.10   (difference -3.40)
    03-02 sonnet: input 500K, output 50K; 20 requests; recorded $2.25
Bo  03-03 opus:   input 200K, output 200K, cache write 1h 100K; 5 requests; recorded $7.00
        on opus:   0.2x5 + 0.2x25 + 0.1x10 = 1 + 5 + 1     = 7.00
        on sonnet: 0.2x3 + 0.2x15 + 0.1x6  = 0.6 + 3 + 0.6 = 4.20  (difference -2.80)
    03-03 mystery-model: input 10K; 3 requests, all unpriced
Opus -> Sonnet: recorded 19.00; on opus 15.50; on sonnet 9.30; difference -6.20.
Spend 12 + 2.25 + 7 = 21.25: opus 19.00 (19 / 21.25 = 0.894117...), sonnet 2.25, mystery unpriced.
Tokens: opus 1M + 100K + 2M + 200K + 200K + 100K = 3.6M; sonnet 550K; mystery 10K.
"""
from datetime import date
from decimal import Decimal as D

import pytest

from costdash.accounts.models import Developer
from costdash.pricing.rates import RateTable
from costdash.rollups import selectors
from costdash.rollups.scope import Scope
from tests.cache_models_usage import OPUS, SINCE, SONNET, UNTIL, K, mix_usage
from tests.factories import DailyCostFactory, DeveloperFactory


@pytest.fixture
def table():
    """The checked-in rates.toml, without the database."""
    return RateTable.from_file()


@pytest.fixture
def usage(db):
    ana = DeveloperFactory(name="Ana", email="ana@example.com")
    bo = DeveloperFactory(name="Bo", email="bo@example.com")
    mix_usage(ana, bo)
    return ana, bo


def scope(developers=None, model=""):
    return Scope(developers if developers is not None else Developer.objects.all(), SINCE, UNTIL, model)


def test_mix_per_model_with_shares_tokens_and_unpriced_flagged(usage):
    mix = selectors.model_mix(scope())
    got = [(m["model"], m["spend"], m["total_tokens"], m["requests"], m["unpriced_requests"]) for m in mix["models"]]
    assert got == [
        (OPUS, D("19.00"), 3600 * K, 15, 0),
        (SONNET, D("2.25"), 550 * K, 20, 0),
        ("mystery-model", None, 10 * K, 3, 3),  # unknown, never $0
    ]
    assert mix["spend"] == D("21.25") and mix["tokens"] == 4160 * K
    assert mix["models"][0]["share"] == D("19.00") / D("21.25")
    assert mix["models"][1]["share"] == D("2.25") / D("21.25")
    assert mix["models"][2]["share"] is None
    opus_tokens = mix["models"][0]["tokens"]
    assert (opus_tokens.input, opus_tokens.output, opus_tokens.cache_writes, opus_tokens.cache_read) == (
        1200 * K, 300 * K, 100 * K, 2000 * K)
    assert [m["model"] for m in mix["unpriced"]] == ["mystery-model"]
    assert [(d["day"].day, d["model"], d["spend"], d["tokens"]) for d in mix["days"]] == [
        (2, OPUS, D("12.00"), 3100 * K), (2, SONNET, D("2.25"), 550 * K),
        (3, OPUS, D("7.00"), 500 * K), (3, "mystery-model", D(0), 10 * K),
    ]


def test_what_if_opus_on_sonnet(usage, table):
    result = selectors.what_if(scope(), table, OPUS, SONNET)
    assert (result["recorded"], result["actual"], result["what_if"], result["difference"]) == (
        D("19.00"), D("15.50"), D("9.30"), D("-6.20"))
    assert result["unpriced_tokens"] == 0
    assert [(d["developer"], d["recorded"], d["actual"], d["what_if"], d["difference"]) for d in result["developers"]] == [
        ("Ana", D("12.00"), D("8.50"), D("5.10"), D("-3.40")),
        ("Bo", D("7.00"), D("7.00"), D("4.20"), D("-2.80")),
    ]


def test_what_if_with_an_unpriced_model_is_flagged_never_zero(usage, table):
    to_unknown = selectors.what_if(scope(), table, OPUS, "claude-imaginary-9")
    assert to_unknown["what_if"] is None and to_unknown["difference"] is None
    assert to_unknown["unpriced_tokens"] == 3600 * K  # every opus token (3.1M + 0.5M), none comparable
    from_unknown = selectors.what_if(scope(), table, "mystery-model", SONNET)
    assert from_unknown["actual"] is None and from_unknown["unpriced_tokens"] == 10 * K


def test_filters_change_the_what_if(usage, table):
    ana, bo = usage
    bo_only = selectors.what_if(scope(Developer.objects.filter(pk=bo.pk)), table, OPUS, SONNET)
    assert (bo_only["actual"], bo_only["what_if"]) == (D("7.00"), D("4.20"))
    sonnet_filter = selectors.what_if(scope(model=SONNET), table, OPUS, SONNET)
    assert sonnet_filter["developers"] == [] and sonnet_filter["difference"] is None
    assert selectors.model_mix(scope(model=SONNET))["spend"] == D("2.25")


def test_default_what_if_is_the_costliest_model_on_the_next_cheaper_family(usage, table):
    mix = selectors.model_mix(scope())
    assert selectors.default_what_if(mix["models"], table, UNTIL) == (OPUS, SONNET)
    assert selectors.default_what_if([], table, UNTIL) == (None, None)


@pytest.mark.parametrize(("model", "expected"), [
    ("claude-opus-4-6", "claude-sonnet-4-6"),  # same version exists
    ("claude-opus-4-7", "claude-sonnet-4-6"),  # newest Sonnet not newer than 4.7
    ("claude-opus-5-5", "claude-sonnet-5-5"),
    ("claude-sonnet-4-6", "claude-haiku-4-5"),
    ("claude-3-opus", "claude-3-7-sonnet"),  # no Sonnet 3 or older: the oldest newer one
    ("claude-fable-5", "claude-opus-5"),
    ("claude-haiku-4-5", None),  # nothing cheaper
    ("mystery-model", None),
])
def test_cheaper_alternative(table, model, expected):
    assert selectors.cheaper_alternative(model, table, UNTIL) == expected


def test_default_falls_back_to_the_cheapest_other_model_in_use(db, table):
    dev = DeveloperFactory()
    DailyCostFactory(developer=dev, model="claude-haiku-4-5", cost=D("9"))
    DailyCostFactory(developer=dev, model="claude-opus-4-6", cost=D("1"))
    DailyCostFactory(developer=dev, model="claude-sonnet-4-6", cost=D("1"))
    mix = selectors.model_mix(Scope(Developer.objects.all(), date(2026, 3, 1), date(2026, 3, 9)))
    assert selectors.default_what_if(mix["models"], table, UNTIL) == ("claude-haiku-4-5", "claude-sonnet-4-6")


def test_query_counts(usage, table, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.model_mix(scope())
    with django_assert_num_queries(2):  # (developer, period) sums, names
        selectors.what_if(scope(), table, OPUS, SONNET)


def test_a_price_change_of_the_target_inside_the_range_is_applied_from_its_day(db, table):
    # claude-sonnet-5-5 reads at $0.20/MTok until 2026-10-07 and $0.10 from then (input $2, output $10).
    # Opus 4.6 reads 1M on 10-06 and 1M on 10-07: $0.50 each at Opus's rate; on Sonnet 5.5
    # 0.20 + 0.10 = 0.30, not 0.40 or 0.20 as one rate for both days would give.
    dev = DeveloperFactory()
    for day in (6, 7):
        DailyCostFactory(developer=dev, day=date(2026, 10, day), model=OPUS, cache_read_tokens=1000 * K)
    october = Scope(Developer.objects.all(), date(2026, 10, 1), date(2026, 10, 31))
    result = selectors.what_if(october, table, OPUS, "claude-sonnet-5-5")
    assert (result["actual"], result["what_if"]) == (D("1.00"), D("0.30"))
