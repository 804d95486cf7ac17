"""percentile (numpy's linear method, exact Decimal) and the day classification boundaries."""
from decimal import Decimal as D

import pytest

from costdash.rollups.thresholds import OVER_AVERAGE, OVER_CEILING, UNDER_AVERAGE, classify_day, percentile


def test_percentile_of_nothing_is_none():
    assert percentile([], 0.9) is None


def test_percentile_of_one_value_is_that_value():
    assert percentile([D("7.25")], 0.9) == D("7.25")


def test_percentile_interpolates_between_closest_ranks():
    # sorted 1,2,3,4: h = 3 * 0.9 = 2.7 -> v[2] + 0.7 * (v[3] - v[2]) = 3 + 0.7 = 3.7
    assert percentile([D(4), D(1), D(3), D(2)], 0.9) == D("3.7")


def test_percentile_hits_a_rank_exactly():
    # 11 values 0..10: h = 10 * 0.9 = 9 -> v[9] = 9
    assert percentile([D(n) for n in range(11)], D("0.9")) == D(9)


def test_percentile_is_exact_decimal():
    # h = 0.5 -> 0.1 + 0.5 * 0.1 = 0.15 exactly (floats would give 0.15000000000000002)
    assert percentile([D("0.2"), D("0.1")], 0.5) == D("0.15")
    # h = 2 * 0.9 = 1.8 -> 0.000000000001 + 0.8 * (12.345678901234 - 0.000000000001)
    values = [D("0.000000000001"), D("0.000000000001"), D("12.345678901234")]
    assert percentile(values, 0.9) == D("9.8765431209874")


def test_percentile_ends_are_min_and_max():
    values = [D("5"), D("2"), D("9")]
    assert percentile(values, 0) == D(2)
    assert percentile(values, 1) == D(9)


def test_percentile_median_of_even_count():
    assert percentile([D(10), D(20), D(30), D(40)], D("0.5")) == D(25)


@pytest.mark.parametrize("q", [90, -0.1, 1.01])
def test_percentile_rejects_q_outside_zero_to_one(q):
    with pytest.raises(ValueError):
        percentile([D(1)], q)


@pytest.mark.parametrize(
    "cost, expected",
    [
        (D("0"), UNDER_AVERAGE),
        (D("12.99"), UNDER_AVERAGE),
        (D("13"), UNDER_AVERAGE),  # exactly the average is not over it
        (D("13.000000000001"), OVER_AVERAGE),
        (D("13.01"), OVER_AVERAGE),
        (D("29.99"), OVER_AVERAGE),
        (D("30.00"), OVER_AVERAGE),  # exactly the ceiling is not over it
        (D("30.000000000001"), OVER_CEILING),
        (D("30.01"), OVER_CEILING),
        (D("250"), OVER_CEILING),
    ],
)
def test_classify_day_boundaries(cost, expected):
    assert classify_day(cost, D("13.00"), D("30.00")) == expected


def test_classify_day_ceiling_wins_when_set_below_average():
    assert classify_day(D("12"), D("13"), D("10")) == OVER_CEILING
