"""Month-to-date spend, its burn rate and where the month will end: one definition for every page.

Pure functions over {day: spend}. The burn rate is the average daily spend of the BURN_DAYS full
days before today (they may reach into the previous month: a month's first days have no history
of their own); today's partial spend counts in the month to date but not in the rate. The
projection adds the burn rate for each day left after today. A limit is reached on the day the
running total first exceeds it, or, at the current burn rate, on the projected day.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

BURN_DAYS = 7
ZERO = Decimal(0)


@dataclass(frozen=True)
class MonthProjection:
    month_start: date
    month_end: date
    today: date
    spend_to_date: Decimal
    burn_rate: Decimal  # per day
    projected: Decimal  # the month's total at the burn rate

    @property
    def days_left(self) -> int:
        """Days after today until the month ends."""
        return (self.month_end - self.today).days

    def limit_day(self, limit: Decimal, daily: dict[date, Decimal]) -> date | None:
        """The day the month's running spend exceeds ``limit``: already past (the day it happened), or
        projected at the burn rate; None when the month stays under it."""
        running = ZERO
        day = self.month_start
        while day <= self.today:
            running += daily.get(day, ZERO)
            if running > limit:
                return day
            day += timedelta(days=1)
        if self.burn_rate <= 0:
            return None
        days_needed = ((limit - running) / self.burn_rate).to_integral_value(rounding=ROUND_CEILING)
        # Spending exactly the limit is not over it: one more day's burn is needed.
        if running + self.burn_rate * days_needed <= limit:
            days_needed += 1
        hit = self.today + timedelta(days=int(days_needed))
        return hit if hit <= self.month_end else None


def month_projection(daily: dict[date, Decimal], today: date) -> MonthProjection:
    """The projection of ``today``'s month from daily spend (days with no spend may be missing)."""
    start = today.replace(day=1)
    end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    to_date = sum((v for d, v in daily.items() if start <= d <= today), ZERO)
    window = [today - timedelta(days=n) for n in range(1, BURN_DAYS + 1)]
    burn = sum((daily.get(d, ZERO) for d in window), ZERO) / BURN_DAYS
    return MonthProjection(start, end, today, to_date, burn, to_date + burn * (end - today).days)


def projection_window(today: date) -> tuple[date, date]:
    """The days month_projection reads: the burn window's first day through today."""
    return min(today.replace(day=1), today - timedelta(days=BURN_DAYS)), today
