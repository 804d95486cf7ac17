"""One developer's own "today": the day so far, the week and the month, and where they stand
against the reference figures and their own usual day. Read from rollups (DeveloperDay, DailyCost).

Days are the org's days (lib.dates); a week starts on Monday. "P90": the 90th percentile of the
developer's active days in the USUAL_DAYS full days before today (today is not over yet).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from costdash.lib.money import ZERO
from costdash.rollups.models import DailyCost, DeveloperDay
from costdash.rollups.thresholds import classify_day, percentile

USUAL_DAYS = 90
P90 = Decimal("0.9")


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of days up to today: spend (priced requests only), requests (unpriced included),
    unpriced requests, active days, days over the ceiling, and the average per active day."""

    since: date
    until: date
    spend: Decimal = ZERO
    requests: int = 0
    unpriced: int = 0
    active_days: int = 0
    days_over_ceiling: int = 0

    @property
    def average(self) -> Decimal | None:
        return self.spend / self.active_days if self.active_days else None


def _period(since: date, until: date, days: dict, requests: dict, ceiling: Decimal) -> Period:
    inside = [(day, cost, active) for day, (cost, active) in days.items() if since <= day <= until]
    counts = [figures for day, figures in requests.items() if since <= day <= until]
    return Period(
        since, until,
        spend=sum((cost for _, cost, _ in inside), ZERO),
        requests=sum(n for n, _ in counts),
        unpriced=sum(u for _, u in counts),
        active_days=sum(1 for _, _, active in inside if active),
        days_over_ceiling=sum(1 for _, cost, _ in inside if cost > ceiling),
    )


def developer_today(developer_id: int, today: date, *, average: Decimal, ceiling: Decimal) -> dict:
    """The developer's home figures, in two queries.

    Keys: today, week (Monday to today), month (the 1st to today): Periods; usual (dict: p90, its
    active_days, since, until; p90 None without an active day); standing (today's cost against the
    reference figures: "none" without usage today, else thresholds.classify_day's value), and
    over_usual (today's cost is above their P90).
    """
    week_start = today - timedelta(days=today.weekday())
    first = min(week_start, today.replace(day=1), today - timedelta(days=USUAL_DAYS))
    days = {
        day: (cost, active)
        for day, cost, active in DeveloperDay.objects.filter(
            developer_id=developer_id, day__gte=first, day__lte=today
        ).values_list("day", "cost", "active")
    }
    recent = min(week_start, today.replace(day=1))
    requests = {
        day: (n or 0, unpriced or 0)
        for day, n, unpriced in DailyCost.objects.filter(developer_id=developer_id, day__gte=recent, day__lte=today)
        .values_list("day").annotate(Sum("requests"), Sum("unpriced_requests")).order_by()
    }
    usual_since, usual_until = today - timedelta(days=USUAL_DAYS), today - timedelta(days=1)
    usual_costs = [cost for day, (cost, active) in days.items() if active and usual_since <= day <= usual_until]
    p90 = percentile(usual_costs, P90)
    now = _period(today, today, days, requests, ceiling)
    return {
        "today": now,
        "week": _period(week_start, today, days, requests, ceiling),
        "month": _period(today.replace(day=1), today, days, requests, ceiling),
        "usual": {"p90": p90, "active_days": len(usual_costs), "since": usual_since, "until": usual_until},
        "standing": classify_day(now.spend, average, ceiling) if now.active_days else "none",
        "over_usual": bool(now.active_days and p90 is not None and now.spend > p90),
    }
