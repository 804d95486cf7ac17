"""The cache-write split solver (pricing.split) against hand-worked figures.

Sonnet 4.6 rates (USD/MTok): input 3, 5m write 3.75, 1h write 6, read 0.30, output 15. The bucket
used throughout: 1,000 input, 2,000 output and W = 10,000 writes, of which 4,000 were 5-minute:
    truth   = 1,000x3 + 2,000x15 + 4,000x3.75 + 6,000x6 = 3,000 + 30,000 + 15,000 + 36,000 = 84,000 µ$ = 0.084
    all-5m  = 3,000 + 30,000 + 10,000x3.75 = 70,500 µ$ = 0.0705
    all-1h  = 3,000 + 30,000 + 10,000x6    = 93,000 µ$ = 0.093
    gap per write token = (6 - 3.75) / 1e6 = 0.00000225
"""
from datetime import datetime, timezone
from decimal import Decimal as D

from costdash.pricing.rates import RateTable, Usage
from costdash.pricing.split import (
    ASSUMED,
    EXACT,
    EXACT_FIGURES,
    RECOVERED,
    WHOLE_CENTS,
    Bucket,
    Split,
    cost_at,
    priced_ends,
    solve,
)

TABLE = RateTable.from_file()
W = 10_000
TODAY = (0, W)  # the parser's rule: every write 1h


def bucket(reported, writes=W, cost_5m=D("0.0705"), cost_1h=D("0.093"), records=1):
    b = Bucket()
    b.add(writes, cost_5m, cost_1h)
    for _ in range(records):
        b.add(0, D(0), D(0), reported / records)
    return b


def test_exact_recovery():
    assert solve(bucket(D("0.084")), EXACT_FIGURES, TODAY) == Split(4_000, 6_000, RECOVERED, 0)


def test_exact_recovery_through_float_noise():
    # Claude Code sums doubles: 0.084 may come as 0.08400000000000002.
    assert solve(bucket(D("0.08400000000000002")), EXACT_FIGURES, TODAY) == Split(4_000, 6_000, RECOVERED, 0)


def test_clamped_at_all_1h_and_all_5m():
    above = solve(bucket(D("0.093") + D("5e-11")), EXACT_FIGURES, TODAY)  # a hair over all-1h: x = -0.02
    assert above == Split(0, W, RECOVERED, 0)
    below = solve(bucket(D("0.0705") - D("5e-11")), EXACT_FIGURES, TODAY)
    assert below == Split(W, 0, RECOVERED, 0)


def test_reported_cost_no_split_explains():
    above = solve(bucket(D("0.1")), EXACT_FIGURES, TODAY)
    assert (above.method, above.write_5m, above.write_1h) == (ASSUMED, 0, W)
    assert "above the all-1-hour cost $0.093" in above.reason
    below = solve(bucket(D("0.05")), EXACT_FIGURES, TODAY)
    assert below.method == ASSUMED and "below the all-5-minute cost $0.0705" in below.reason
    # Inside the range but half a token off every whole split: not a price at our rates.
    half = solve(bucket(D("0.084") + D("0.000001125")), EXACT_FIGURES, TODAY)
    assert half.method == ASSUMED and "no whole-token split" in half.reason


def test_whole_cents_give_a_split_within_the_bound():
    # 8 cents for a true 0.084: x = (0.093 - 0.08) / 0.00000225 = 5,777.8 -> 5,778; ±0.005/0.00000225 = 2,222.
    split = solve(bucket(D("0.08")), WHOLE_CENTS, TODAY)
    assert split == Split(5_778, 4_222, RECOVERED, 2_222)
    assert abs(split.write_5m - 4_000) <= split.bound_tokens
    # Two rows of whole cents: twice the rounding.
    two = solve(bucket(D("0.08"), records=2), WHOLE_CENTS, TODAY)
    assert two.bound_tokens == 4_444


def test_whole_cents_wider_than_the_gap_keep_the_rule():
    # 1,000 writes: the half cent is 2,222 tokens wide, more than there are writes.
    split = solve(bucket(D("0.04"), writes=1_000, cost_5m=D("0.03675"), cost_1h=D("0.039")), WHOLE_CENTS, (0, 1_000))
    assert (split.method, split.write_5m, split.write_1h) == (ASSUMED, 0, 1_000)
    assert "spans every split of the 1,000 writes" in split.reason


def test_unpriced_model_keeps_the_rule():
    b = Bucket()
    b.add(W, None, None, D("0.084"))
    split = solve(b, EXACT_FIGURES, TODAY)
    assert (split.method, split.write_1h) == (ASSUMED, W) and "unpriced" in split.reason


def test_no_writes_nothing_to_split():
    b = Bucket()
    b.add(0, D("0.033"), D("0.033"), D("0.033"))
    assert solve(b, EXACT_FIGURES, (0, 0)) == Split(0, 0, EXACT)


def test_no_reported_cost_keeps_the_rule():
    b = Bucket()
    b.add(W, D("0.0705"), D("0.093"))
    split = solve(b, EXACT_FIGURES, (W, 0))
    assert (split.method, split.write_5m, split.write_1h) == (ASSUMED, W, 0) and "reports no cost" in split.reason


def test_writes_at_two_rates_keep_the_rule():
    b = Bucket()
    b.add(1_000, D("0.00375"), D("0.006"))  # Sonnet: gap 2.25 µ$ a token
    b.add(1_000, D("0.00625"), D("0.010"))  # Opus: gap 3.75 µ$ a token
    b.add(0, D(0), D(0), D("0.015"))
    assert b.mixed_rates
    assert "more than one rate" in solve(b, EXACT_FIGURES, (0, 2_000)).reason


def test_pricing_md_example_b_through_the_rate_table():
    # Opus 4.6 on 2026-05-04: 6 input, 2,000 5m + 8,000 1h writes, 64,000 reads, 1,200 output = 0.154530.
    at = datetime(2026, 5, 4, 12, tzinfo=timezone.utc)
    others = Usage(model="claude-opus-4-6", input_tokens=6, cache_read_tokens=64_000, output_tokens=1_200)
    ends = priced_ends(others, 10_000, at, TABLE)
    assert ends == (D("0.12453"), D("0.16203"))
    b = Bucket()
    b.add(10_000, *ends, D("0.154530"))
    split = solve(b, EXACT_FIGURES, (0, 10_000))
    assert split == Split(2_000, 8_000, RECOVERED, 0)
    assert cost_at(b, split.write_5m) == D("0.15453")


def test_cost_at_is_linear_and_exact():
    b = bucket(D("0.084"))
    assert cost_at(b, 0) == D("0.093") and cost_at(b, W) == D("0.0705") and cost_at(b, 4_000) == D("0.084")
    assert EXACT == "" and RECOVERED != ASSUMED
