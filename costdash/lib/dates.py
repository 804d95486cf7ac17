"""The one definition of "day": a UTC timestamp's calendar date in the org's time zone."""
import calendar
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# The earliest day a page, filter or month picker takes: long before any usage, and far from date.min,
# where a month's or a range's arithmetic would overflow.
EARLIEST_DAY = date(2000, 1, 1)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def reporting_day(ts: datetime, tz: ZoneInfo | str) -> date:
    """The org-local calendar day of an aware timestamp."""
    if isinstance(tz, str):
        tz = zone(tz)
    if ts.tzinfo is None:
        raise ValueError("reporting_day needs an aware datetime")
    try:
        return ts.astimezone(tz).date()
    except OverflowError:  # a time at the calendar's edge (stored before records were checked)
        return date.max if ts.year == datetime.max.year else date.min


def day_bounds(day: date, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
    """[start, end) of an org-local day as aware datetimes (23 or 25 hours across DST)."""
    if isinstance(tz, str):
        tz = zone(tz)
    # The calendar's last day has no next day: its end is the last representable time.
    end = datetime.combine(day + timedelta(days=1), time.min, tz) if day < date.max else datetime.max.replace(tzinfo=tz)
    return datetime.combine(day, time.min, tz), end


def bucket_day(start: datetime, width: str, tz: ZoneInfo | str) -> date:
    """The day a source's bucket is counted on. A daily bucket is a UTC day, which cannot be split
    into org-local days, so it keeps its own calendar date; hours, minutes and metric points fall
    on the org-local day of their start."""
    if width == "1d":
        return start.astimezone(ZoneInfo("UTC")).date()
    return reporting_day(start, tz)


def month_after(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month (December 9999's too, where ``month_after`` has no answer)."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
