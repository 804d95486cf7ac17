"""The day arithmetic never raises at the calendar's edges (a time stored before records were checked)."""
from datetime import UTC, date, datetime

from costdash.lib.dates import day_bounds, reporting_day


def test_the_last_representable_time_falls_on_the_last_day_in_a_zone_ahead_of_utc():
    ts = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert reporting_day(ts, "Pacific/Kiritimati") == date.max
    assert reporting_day(ts, "UTC") == date(9999, 12, 31)


def test_the_first_representable_time_falls_on_the_first_day_in_a_zone_behind_utc():
    assert reporting_day(datetime(1, 1, 1, 0, 0, tzinfo=UTC), "America/Los_Angeles") == date.min


def test_the_last_day_has_bounds():
    start, end = day_bounds(date.max, "UTC")
    assert start == datetime(9999, 12, 31, tzinfo=UTC)
    assert end.date() == date.max and end > start


def test_an_ordinary_day_keeps_its_23_hour_dst_bounds():
    start, end = day_bounds(date(2026, 3, 8), "America/New_York")
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 23 * 3600
