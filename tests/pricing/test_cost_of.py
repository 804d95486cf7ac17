"""cost_of against hand-computed figures. cost = tokens x rate / 1,000,000, exact Decimal.

Rates are USD per MTok from ../shared/formats/pricing.md; the arithmetic is written out in each
test as (tokens x rate) summed in "micro-dollars" (USD x 1e6), then divided by 1e6.
"""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
import json

import pytest

from costdash.pricing.rates import RateTable, Usage, cost_of

TABLE = RateTable.from_file()
UTC = timezone.utc
D = Decimal


def at(y, m, d, hh=12, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def price(model, when, **tokens):
    return cost_of(Usage(model=model, **tokens), when, TABLE)


# Pricing.md example A's tokens.
A = dict(input_tokens=45_000, output_tokens=13_000, cache_read_tokens=38_000)
# Pricing.md example B's tokens.
B = dict(input_tokens=6, cache_write_5m_tokens=2_000, cache_write_1h_tokens=8_000, cache_read_tokens=64_000, output_tokens=1_200)
# A small request for fast-mode tests: total input 35,000 (<200K).
SMALL = dict(input_tokens=10_000, output_tokens=2_000, cache_write_5m_tokens=4_000, cache_write_1h_tokens=1_000, cache_read_tokens=20_000)
# SMALL at Opus $5 standard: 10,000x5 + 2,000x25 + 4,000x6.25 + 1,000x10 + 20,000x0.5
#   = 50,000 + 50,000 + 25,000 + 10,000 + 10,000 = 145,000 -> 0.145
SMALL_OPUS_STANDARD = D("0.145")


# ------------------------------------------------------------------ pricing.md worked examples


def test_example_a_sonnet_4_6():
    # 45,000x3 + 13,000x15 + 38,000x0.30 = 135,000 + 195,000 + 11,400 = 341,400 -> 0.3414
    cost = price("claude-sonnet-4-6", at(2026, 5, 4), **A)
    assert cost == D("0.3414")
    assert isinstance(cost, Decimal)


def test_example_b_opus_4_6():
    # 6x5 + 2,000x6.25 + 8,000x10 + 64,000x0.50 + 1,200x25 = 30 + 12,500 + 80,000 + 32,000 + 30,000 = 154,530
    assert price("claude-opus-4-6", at(2026, 5, 4), **B) == D("0.154530")


def test_example_b_never_prices_1h_writes_at_5m_rate():
    # The ccusage #899 bug: 8,000 x 6.25 = 50,000 instead of 80,000 -> 0.124530.
    assert price("claude-opus-4-6", at(2026, 5, 4), **B) != D("0.124530")


def test_example_b_us_inference_geo():
    # 0.154530 x 1.1 = 0.169983
    assert price("claude-opus-4-6", at(2026, 5, 4), inference_geo="us", **B) == D("0.169983")


def test_us_geo_on_sonnet_4_6_but_not_on_older_models():
    # Sonnet 4.6 counts as "Opus 4.6 and newer": 0.3414 x 1.1 = 0.37554.
    assert price("claude-sonnet-4-6", at(2026, 5, 4), inference_geo="us", **A) == D("0.37554")
    # Sonnet 4.5 predates it: x1.0.
    assert price("claude-sonnet-4-5", at(2026, 5, 4), inference_geo="us", **A) == D("0.3414")
    # "global" is x1.0 everywhere.
    assert price("claude-sonnet-4-6", at(2026, 5, 4), inference_geo="global", **A) == D("0.3414")


# ------------------------------------------------------------------ long context (>200K)


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4"])
def test_sonnet_4_x_long_context_boundary(model):
    when = at(2025, 11, 1)
    # 200,000 exactly is NOT over: 200,000x3 + 1,000x15 = 600,000 + 15,000 = 615,000 -> 0.615
    assert price(model, when, input_tokens=200_000, output_tokens=1_000) == D("0.615")
    # 200,001 is: every token at $6/$22.50: 200,001x6 + 1,000x22.5 = 1,200,006 + 22,500 -> 1.222506
    assert price(model, when, input_tokens=200_001, output_tokens=1_000) == D("1.222506")


def test_long_context_counts_cache_and_reprices_every_category():
    # Total input 1 + 100,000 + 50,000 + 50,000 = 200,001: the whole request at the tier.
    # 1x6 + 100,000x7.50 + 50,000x12 + 50,000x0.60 + 2,000x22.50
    #   = 6 + 750,000 + 600,000 + 30,000 + 45,000 = 1,425,006 -> 1.425006
    tokens = dict(input_tokens=1, cache_write_5m_tokens=100_000, cache_write_1h_tokens=50_000,
                  cache_read_tokens=50_000, output_tokens=2_000)
    assert price("claude-sonnet-4-5", at(2025, 11, 1), **tokens) == D("1.425006")


def test_sonnet_4_5_tier_kept_after_page_dropped_it():
    row = TABLE.lookup("claude-sonnet-4-5", date(2026, 4, 15), "standard", 200_001)
    assert row.input == 6 and row.confidence == "unverified"
    assert price("claude-sonnet-4-5", at(2026, 4, 15), input_tokens=200_001, output_tokens=1_000) == D("1.222506")


def test_opus_4_6_long_context_until_2026_03_13():
    last_day = at(2026, 3, 13, 23, 59, 59)
    # 200,000 exactly: 200,000x5 + 1,000x25 = 1,000,000 + 25,000 -> 1.025
    assert price("claude-opus-4-6", last_day, input_tokens=200_000, output_tokens=1_000) == D("1.025")
    # 200,001: 200,001x10 + 1,000x37.50 = 2,000,010 + 37,500 = 2,037,510 -> 2.03751
    assert price("claude-opus-4-6", last_day, input_tokens=200_001, output_tokens=1_000) == D("2.03751")


def test_opus_4_6_standard_at_all_sizes_from_2026_03_14():
    # 200,001x5 + 1,000x25 = 1,000,005 + 25,000 -> 1.025005
    assert price("claude-opus-4-6", at(2026, 3, 14, 0, 0, 0), input_tokens=200_001, output_tokens=1_000) == D("1.025005")


def test_effective_date_is_the_utc_day():
    # 01:00 at UTC+2 on the 14th is 23:00 UTC on the 13th: still the long-context tier.
    plus_two = datetime(2026, 3, 14, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert cost_of(Usage("claude-opus-4-6", input_tokens=200_001, output_tokens=1_000), plus_two, TABLE) == D("2.03751")


def test_sonnet_4_6_long_context_window():
    # 250,000 input: 250,000x6 = 1,500,000 -> 1.5 before 2026-03-14; 250,000x3 -> 0.75 after.
    assert price("claude-sonnet-4-6", at(2026, 3, 10), input_tokens=250_000) == D("1.5")
    assert price("claude-sonnet-4-6", at(2026, 3, 20), input_tokens=250_000) == D("0.75")


def test_haiku_5_5_tier_at_100k():
    when = at(2026, 10, 8)
    # 100,000 exactly (50,000 + 50,000): 50,000x0.10 + 10,000x0.50 + 50,000x0.01 = 5,000 + 5,000 + 500 -> 0.0105
    assert price("claude-haiku-5-5", when, input_tokens=50_000, output_tokens=10_000, cache_read_tokens=50_000) == D("0.0105")
    # 100,001: 50,000x0.50 + 10,000x2.50 + 50,001x0.05 = 25,000 + 25,000 + 2,500.05 -> 0.05250005
    assert price("claude-haiku-5-5", when, input_tokens=50_000, output_tokens=10_000, cache_read_tokens=50_001) == D("0.05250005")


# ------------------------------------------------------------------ fast mode


def test_fast_opus_4_6_six_times():
    # 10,000x30 + 2,000x150 + 4,000x37.50 + 1,000x60 + 20,000x3
    #   = 300,000 + 300,000 + 150,000 + 60,000 + 60,000 = 870,000 -> 0.87 (= 6 x 0.145)
    assert price("claude-opus-4-6", at(2026, 2, 10), speed="fast", **SMALL) == D("0.87")
    # Fast stacks with the US multiplier: 0.87 x 1.1 = 0.957
    assert price("claude-opus-4-6", at(2026, 2, 10), speed="fast", inference_geo="us", **SMALL) == D("0.957")


def test_fast_opus_4_6_long_context_fast_tier_feb_8_to_20():
    big = dict(input_tokens=150_000, cache_read_tokens=60_000, output_tokens=1_000)  # total 210,000
    # 150,000x60 + 60,000x6 + 1,000x225 = 9,000,000 + 360,000 + 225,000 = 9,585,000 -> 9.585
    assert price("claude-opus-4-6", at(2026, 2, 10), speed="fast", **big) == D("9.585")
    assert price("claude-opus-4-6", at(2026, 2, 20), speed="fast", **big) == D("9.585")  # decided: tier to Feb 20
    # From 2026-02-21 the fast price covers the whole context:
    # 150,000x30 + 60,000x3 + 1,000x150 = 4,500,000 + 180,000 + 150,000 = 4,830,000 -> 4.83
    assert price("claude-opus-4-6", at(2026, 2, 21), speed="fast", **big) == D("4.83")


def test_fast_opus_4_6_outside_its_6x_window_is_standard():
    assert price("claude-opus-4-6", at(2026, 2, 7), speed="fast", **SMALL) == SMALL_OPUS_STANDARD
    assert price("claude-opus-4-6", at(2026, 7, 31), speed="fast", **SMALL) == D("0.87")  # last 6x day (decided)
    assert price("claude-opus-4-6", at(2026, 8, 1), speed="fast", **SMALL) == SMALL_OPUS_STANDARD


def test_fast_on_opus_4_7_is_standard():
    assert price("claude-opus-4-7", at(2026, 6, 1), speed="fast", **SMALL) == SMALL_OPUS_STANDARD


@pytest.mark.parametrize("model", ["claude-opus-5", "claude-opus-4-8"])
def test_fast_opus_5_and_4_8_two_times(model):
    # 10,000x10 + 2,000x50 + 4,000x12.50 + 1,000x20 + 20,000x1
    #   = 100,000 + 100,000 + 50,000 + 20,000 + 20,000 = 290,000 -> 0.29 (= 2 x 0.145)
    assert price(model, at(2026, 9, 1), speed="fast", **SMALL) == D("0.29")
    assert price(model, at(2026, 9, 1), speed="normal", **SMALL) == SMALL_OPUS_STANDARD


# ------------------------------------------------------------------ batch, web search


def test_batch_halves_every_category():
    # Example A on Sonnet 4.5: 0.3414 x 0.5 = 0.1707
    assert price("claude-sonnet-4-5", at(2025, 12, 1), is_batch=True, **A) == D("0.1707")
    # Example B, cache included: 0.154530 x 0.5 = 0.077265
    assert price("claude-opus-4-6", at(2026, 5, 4), is_batch=True, **B) == D("0.077265")
    # Stacks with US: 0.154530 x 1.1 x 0.5 = 0.0849915
    assert price("claude-opus-4-6", at(2026, 5, 4), is_batch=True, inference_geo="us", **B) == D("0.0849915")


def test_batch_ignores_fast():
    # Batch cannot run fast: Opus 5 at standard, halved: 0.145 x 0.5 = 0.0725
    assert price("claude-opus-5", at(2026, 9, 1), is_batch=True, speed="fast", **SMALL) == D("0.0725")


def test_web_search_ten_dollars_per_thousand():
    # 0.3414 + 3 x 0.01 = 0.3714
    assert price("claude-sonnet-4-6", at(2026, 5, 4), web_search_requests=3, **A) == D("0.3714")
    # Searches alone: 5 x 0.01 = 0.05
    assert price("claude-sonnet-4-6", at(2026, 5, 4), web_search_requests=5) == D("0.05")
    # Not halved by Batch nor raised by US geo (they apply to tokens): 0.1707 + 0.03; 0.37554 + 0.03
    assert price("claude-sonnet-4-5", at(2025, 12, 1), web_search_requests=3, is_batch=True, **A) == D("0.2007")
    assert price("claude-sonnet-4-6", at(2026, 5, 4), web_search_requests=3, inference_geo="us", **A) == D("0.40554")


# ------------------------------------------------------------------ sample files


def test_otel_sample_haiku_5_5():
    # 2x0.10 + 4x0.50 + 9,179x0.01 + 13,356x0.20 (writes taken as 1h)
    #   = 0.2 + 2 + 91.79 + 2,671.2 = 2,765.19 -> 0.00276519
    tokens = dict(input_tokens=2, output_tokens=4, cache_read_tokens=9_179, cache_write_1h_tokens=13_356)
    when = datetime(2026, 10, 8, 8, 15, 18, 137000, tzinfo=UTC)
    assert price("claude-haiku-5-5", when, speed="normal", **tokens) == D("0.00276519")


def test_otel_sample_matches_claude_codes_own_cost(samples):
    body = json.loads((samples / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    record = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    attrs = {a["key"]: next(iter(a["value"].values())) for a in record["attributes"]}
    usage = Usage(
        model=attrs["model"], input_tokens=int(attrs["input_tokens"]), output_tokens=int(attrs["output_tokens"]),
        cache_read_tokens=int(attrs["cache_read_tokens"]), cache_write_1h_tokens=int(attrs["cache_creation_tokens"]),
        speed=attrs["speed"],
    )
    ours = cost_of(usage, datetime.fromisoformat(attrs["event.timestamp"].replace("Z", "+00:00")), TABLE)
    # Claude Code sends a float (0.0027651900000000003); ours is the exact value it approximates.
    assert ours == D("0.00276519")
    assert ours == Decimal(repr(round(attrs["cost_usd"], 12)))


def _split(tokens: dict, parts: int) -> list[dict]:
    """Spread summed tokens over `parts` requests, each under 200K input, so no tier applies."""
    out = [{k: v // parts for k, v in tokens.items()} for _ in range(parts)]
    for key, value in tokens.items():
        out[0][key] += value % parts
    return out


@pytest.mark.parametrize(
    "day, tokens, expected",
    [
        # claude-code-viewer 2025-09-03: 1,111x3 + 52,906x15 + 150,674x3.75 + 3,751,073x0.30
        #   = 3,333 + 793,590 + 565,027.5 + 1,125,321.9 = 2,487,272.4 -> 2.4872724
        (date(2025, 9, 3), dict(input_tokens=1_111, output_tokens=52_906, cache_write_5m_tokens=150_674,
                                cache_read_tokens=3_751_073), D("2.4872724")),
        # claude-code-viewer 2025-09-07: 129x3 + 3,629x15 + 47,747x3.75 + 324,259x0.30
        #   = 387 + 54,435 + 179,051.25 + 97,277.7 = 331,150.95 -> 0.33115095
        (date(2025, 9, 7), dict(input_tokens=129, output_tokens=3_629, cache_write_5m_tokens=47_747,
                                cache_read_tokens=324_259), D("0.33115095")),
        # sniffly 2025-06-08: 205x3 + 19,035x15 + 190,624x3.75 + 4,257,841x0.30
        #   = 615 + 285,525 + 714,840 + 1,277,352.3 = 2,278,332.3 -> 2.2783323
        (date(2025, 6, 8), dict(input_tokens=205, output_tokens=19_035, cache_write_5m_tokens=190_624,
                                cache_read_tokens=4_257_841), D("2.2783323")),
        # sniffly 2025-06-10: 88x3 + 278x15 + 16,000x3.75 + 44,544x0.30
        #   = 264 + 4,170 + 60,000 + 13,363.2 = 77,797.2 -> 0.0777972
        (date(2025, 6, 10), dict(input_tokens=88, output_tokens=278, cache_write_5m_tokens=16_000,
                                 cache_read_tokens=44_544), D("0.0777972")),
    ],
)
def test_sample_readme_sonnet_4_day_totals(day, tokens, expected):
    # Cost is linear below the 200K tier, so the day's summed tokens, spread over requests, price the same.
    when = datetime.combine(day, datetime.min.time(), UTC)
    requests = _split(tokens, 25)
    assert all(sum(v for k, v in r.items() if k != "output_tokens") < 200_000 for r in requests)
    assert sum(price("claude-sonnet-4-20250514", when, **r) for r in requests) == expected


# ------------------------------------------------------------------ dated changes, ids, unpriced


def test_sonnet_5_5_cache_read_cut_on_2026_10_07():
    tokens = dict(input_tokens=1_000, output_tokens=500, cache_read_tokens=100_000)
    # Before: 1,000x2 + 500x10 + 100,000x0.20 = 2,000 + 5,000 + 20,000 = 27,000 -> 0.027
    assert price("claude-sonnet-5-5", at(2026, 10, 6, 23, 59, 59), **tokens) == D("0.027")
    # From 2026-10-07: 100,000x0.10 = 10,000 -> 17,000 -> 0.017
    assert price("claude-sonnet-5-5", at(2026, 10, 7, 0, 0, 0), **tokens) == D("0.017")
    assert TABLE.lookup("claude-sonnet-5-5", date(2026, 10, 7), "standard", 0).confidence == "unverified"


def test_opus_5_5_reads_at_0_20():
    # 100,000 x 0.20 = 20,000 -> 0.02
    assert price("claude-opus-5-5", at(2026, 11, 1), cache_read_tokens=100_000) == D("0.02")


def test_dated_id_resolves():
    # claude-haiku-4-5-20251001: 1,000x1 + 1,000x5 = 6,000 -> 0.006
    assert price("claude-haiku-4-5-20251001", at(2025, 11, 1), input_tokens=1_000, output_tokens=1_000) == D("0.006")


def test_sonnet_5_not_priced_as_sonnet_4_5():
    # Sonnet 5: 45,000x2 + 13,000x10 + 38,000x0.20 = 90,000 + 130,000 + 7,600 = 227,600 -> 0.2276
    assert price("claude-sonnet-5", at(2026, 9, 1), **A) == D("0.2276")
    assert price("claude-sonnet-4-5", at(2026, 9, 1), **A) == D("0.3414")


def test_retired_model_still_priced():
    # Opus 3 retired 2026-01-05; Bedrock/Vertex and history still need its price: 1,000x15 + 1,000x75 -> 0.09
    assert price("claude-3-opus-20240229", at(2026, 6, 1), input_tokens=1_000, output_tokens=1_000) == D("0.09")


@pytest.mark.parametrize("model", ["claude-sonnet-4-7", "gpt-4o", "claude-opus-6", "", "<synthetic>"])
def test_unknown_or_synthetic_model_is_unpriced_not_zero(model):
    assert price(model, at(2026, 5, 4), **A) is None


def test_no_row_in_force_is_unpriced():
    table = RateTable.from_rows([dict(model="claude-new", effective_from="2026-01-01", input=1,
                                      cache_write_5m="1.25", cache_write_1h=2, cache_read="0.1", output=5)])
    assert cost_of(Usage("claude-new", input_tokens=1_000), at(2025, 12, 31), table) is None
    assert cost_of(Usage("claude-new", input_tokens=1_000), at(2026, 1, 1), table) == D("0.001")


def test_known_model_with_no_tokens_costs_zero_not_none():
    assert price("claude-sonnet-4-6", at(2026, 5, 4)) == 0


def test_exact_at_large_volumes():
    # 1,234,567,891 reads x 0.30 = 370,370,367.3 -> 370.3703673 (the request is >200K: Sonnet 4.6 after
    # 2026-03-14 has no tier). No float anywhere, so no drift.
    assert price("claude-sonnet-4-6", at(2026, 5, 4), cache_read_tokens=1_234_567_891) == D("370.3703673")


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        cost_of(Usage("claude-sonnet-4-6", **A), datetime(2026, 5, 4, 12), TABLE)


def test_floats_are_refused_in_rows():
    with pytest.raises(TypeError):
        RateTable.from_rows([dict(model="x", input=3.0, cache_write_5m=3.75, cache_write_1h=6, cache_read=0.3, output=15)])


def test_default_table_comes_from_the_database(db):
    from costdash.pricing.services import rate_table_invalidate

    rate_table_invalidate()
    assert cost_of(Usage("claude-opus-4-6", inference_geo="us", **B), at(2026, 5, 4)) == D("0.169983")
    rate_table_invalidate()
