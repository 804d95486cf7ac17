"""A budget's period around a day: the day, its ISO week (Monday to Sunday, across a year's end), its month."""
from datetime import date

import pytest

from costdash.budgets.periods import period_bounds, period_label


@pytest.mark.parametrize(("day", "period", "expected"), [
    (date(2026, 3, 4), "day", (date(2026, 3, 4), date(2026, 3, 4))),
    (date(2026, 3, 4), "week", (date(2026, 3, 2), date(2026, 3, 8))),  # a Wednesday: Monday to Sunday
    (date(2026, 3, 2), "week", (date(2026, 3, 2), date(2026, 3, 8))),  # a Monday starts its own week
    (date(2026, 3, 1), "week", (date(2026, 2, 23), date(2026, 3, 1))),  # a Sunday ends it
    (date(2026, 1, 1), "week", (date(2025, 12, 29), date(2026, 1, 4))),  # ISO week 2026-W01 starts in 2025
    (date(2026, 3, 4), "month", (date(2026, 3, 1), date(2026, 3, 31))),
    (date(2026, 2, 28), "month", (date(2026, 2, 1), date(2026, 2, 28))),
    (date(2028, 2, 10), "month", (date(2028, 2, 1), date(2028, 2, 29))),  # a leap year
])
def test_period_bounds(day, period, expected):
    assert period_bounds(day, period) == expected


def test_period_labels_name_the_iso_week():
    assert period_label(date(2025, 12, 29), "week") == "week 2026-W01 (Dec 29 – Jan 4)"
    assert period_label(date(2026, 3, 4), "day") == "2026-03-04"
    assert period_label(date(2026, 3, 1), "month") == "March 2026"


def test_an_unknown_period_is_an_error():
    with pytest.raises(ValueError, match="fortnight"):
        period_bounds(date(2026, 3, 4), "fortnight")
