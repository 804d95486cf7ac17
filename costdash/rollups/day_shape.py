"""The shape of a developer's day: how much of a day's spend is usually done by a given local time.

Pure functions over hourly spend (HourlyCost's org-local wall-clock hours); the database read is
rollups.selectors.day_shapes. Used by the "on pace" alert (alerts.kinds.developer_day.ProjectedCeiling)
and meant for any other projection of a day (budgets).

The rules:
- A shape is built from the HISTORY_DAYS calendar days before the day projected (never that day
  itself): each hour's spend over those days, divided by their whole spend. Spend is pooled, not
  averaged per day: a $60 day weighs six times a $10 one, as it does against a ceiling.
- The developer's own shape when they have at least MIN_OWN_DAYS days with hourly spend in that
  window; else their team's (every member's hours pooled) with at least MIN_POOLED_DAYS
  developer-days; else the org's with as many; else a straight line from midnight (1/24 an hour).
- The share done by a time is the whole hours before it plus the elapsed part of its hour (spend
  within an hour taken as even).
- The projection with a shape: spend so far plus the rest of the day (1 - share done) at a day's
  rate that counts today so far together with one usual day of the history (their average day):
  rate = (spent + average) / (share done + 1), projected = spent + (1 - share done) x rate.
  Today's pace alone (spent / share done) swings wildly on a day's first sessions: on the benchmark
  data it made 2.5 times the straight line's false alarms (benchmarks/README.md, "On pace"). Made once
  there is spend today and the share done reaches MIN_SHARE.
- The straight line (no history): spent / the share of the clock's day passed, not before 02:00
  (LINEAR_MIN_SHARE).
- Weekdays and weekends share one shape; a day the clocks change has the hours it has.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal

HOURS = 24
HISTORY_DAYS = 56
MIN_OWN_DAYS = 14
MIN_POOLED_DAYS = 28
MIN_SHARE = Decimal("0.10")
LINEAR_MIN_SHARE = Decimal(2) / Decimal(HOURS)
DEVELOPER, TEAM, ORG, LINEAR = "developer", "team", "org", "linear"
ZERO = Decimal(0)


@dataclass
class HourTotals:
    """Spend per org-local hour (0-23) over some developer-days, and how many days with spend."""

    costs: list[Decimal] = field(default_factory=lambda: [ZERO] * HOURS)
    days: int = 0

    def add(self, other: HourTotals, sign: int = 1) -> None:
        """Add (sign 1) or take away (sign -1) another's hours and days."""
        for hour in range(HOURS):
            self.costs[hour] += sign * other.costs[hour]
        self.days += sign * other.days

    @property
    def total(self) -> Decimal:
        return sum(self.costs, ZERO)


@dataclass(frozen=True)
class DayShape:
    """``hourly``: the share of a day's spend in each hour (summing to 1). ``basis``: whose history it
    is (DEVELOPER, TEAM, ORG or LINEAR); ``days``: the developer-days it was built from (0 for LINEAR)."""

    basis: str
    days: int
    hourly: tuple[Decimal, ...]
    average: Decimal | None = None  # a usual day's spend: the history's spend / its days (None: LINEAR)

    def share_done(self, at: time) -> Decimal:
        """The share of the day usually done by the local time ``at``."""
        if self.basis == LINEAR:  # exactly the clock's share (summing 24ths would round)
            return Decimal(at.hour * 3600 + at.minute * 60 + at.second) / Decimal(HOURS * 3600)
        elapsed = Decimal(at.minute * 60 + at.second) / Decimal(3600)
        return sum(self.hourly[: at.hour], ZERO) + self.hourly[at.hour] * elapsed

    @property
    def min_share(self) -> Decimal:
        return LINEAR_MIN_SHARE if self.basis == LINEAR else MIN_SHARE


LINEAR_SHAPE = DayShape(LINEAR, 0, tuple(Decimal(1) / Decimal(HOURS) for _ in range(HOURS)))


def shape_of(totals: HourTotals, basis: str) -> DayShape | None:
    """The shape of ``totals``' hours; None when they hold no spend."""
    total = totals.total
    if total <= 0:
        return None
    return DayShape(basis, totals.days, tuple(cost / total for cost in totals.costs), total / totals.days)


def shape_choose(own: HourTotals | None, team: HourTotals | None, org: HourTotals | None) -> DayShape:
    """The developer's own shape, else their team's, else the org's, else the straight line (the rules above)."""
    for basis, totals, minimum in ((DEVELOPER, own, MIN_OWN_DAYS), (TEAM, team, MIN_POOLED_DAYS),
                                   (ORG, org, MIN_POOLED_DAYS)):
        if totals is not None and totals.days >= max(minimum, 1):
            shape = shape_of(totals, basis)
            if shape is not None:
                return shape
    return LINEAR_SHAPE


def projected_day(spent: Decimal, share: Decimal, shape: DayShape) -> Decimal | None:
    """Where a day with ``spent`` so far ends when ``share`` of it is usually done (the rules above);
    None when too little of the day is done to say, or the day is over."""
    if not shape.min_share <= share < 1:
        return None
    if shape.basis == LINEAR:
        return spent / share
    if spent <= 0:
        return None
    return spent + (1 - share) * ((spent + shape.average) / (share + 1))


def paced_day(spent: Decimal, share: Decimal, shape: DayShape) -> Decimal | None:
    """Today's pace alone, spent / share done (with the same floors): what projected_day is measured
    against (benchmarks/projection_accuracy.py), not what the alert uses."""
    if share <= 0 or not shape.min_share <= share < 1:
        return None
    return spent / share


@dataclass
class DayShapes:
    """Every developer's hour totals (by team) over one history window, and the shape each gets."""

    own: dict[int, HourTotals]
    teams: dict[int, HourTotals]
    org: HourTotals

    def shape(self, developer_id: int, team_id: int | None) -> DayShape:
        team = self.teams.get(team_id) if team_id is not None else None
        return shape_choose(self.own.get(developer_id), team, self.org)


def day_shapes_build(hour_costs: Iterable[tuple[int, int, Decimal]], active_days: Mapping[int, int],
                     teams: Mapping[int, int | None]) -> DayShapes:
    """DayShapes from (developer id, hour, spend) rows over a window, each developer's days with
    hourly spend in it, and each developer's team (None: no team)."""
    own: dict[int, HourTotals] = {}
    for developer_id, hour, cost in hour_costs:
        own.setdefault(developer_id, HourTotals()).costs[hour] += cost
    for developer_id, days in active_days.items():
        own.setdefault(developer_id, HourTotals()).days = days
    by_team: dict[int, HourTotals] = {}
    org = HourTotals()
    for developer_id, totals in own.items():
        org.add(totals)
        team_id = teams.get(developer_id)
        if team_id is not None:
            by_team.setdefault(team_id, HourTotals()).add(totals)
    return DayShapes(own=own, teams=by_team, org=org)
