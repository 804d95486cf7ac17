"""A budget's period around an org-local day: the day itself, its ISO week (Monday to Sunday), or its
calendar month. Days are org-local (lib.dates.reporting_day), so a week starts at Monday 00:00 in
the org's time zone."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

DAY, WEEK, MONTH = "day", "week", "month"


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """(first day, last day) of the ``period`` ("day", "week", "month") that holds ``day``."""
    if period == DAY:
        return day, day
    if period == WEEK:
        start = day - timedelta(days=day.weekday())  # ISO: Monday is weekday 0
        return start, start + timedelta(days=6)
    if period == MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    raise ValueError(f"unknown budget period {period!r}")


def period_label(start: date, period: str) -> str:
    """The period for people: "2026-03-04", "week 2026-W10 (Mar 2 – Mar 8)", "March 2026"."""
    if period == DAY:
        return f"{start:%Y-%m-%d}"
    if period == WEEK:
        year, week, _ = start.isocalendar()
        return f"week {year}-W{week:02d} ({start:%b %-d} – {start + timedelta(days=6):%b %-d})"
    return f"{start:%B %Y}"
