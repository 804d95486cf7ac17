"""How often the "on pace" projection is wrong about the end of the day: a straight line from midnight
against the developer's hour-of-day shape (costdash.rollups.day_shape), replayed on real rollups.

Four methods: ``linear`` (before: spent / the share of the clock's day passed), ``shape pace``
(spent / the share of their day usually done by then), ``shape + usual day`` (what the alert uses:
spent plus the rest of the day at a rate counting today so far with one usual day) and, to show
what the hours add, ``line + usual day`` (the same with the clock's share instead of their hours).

    python benchmarks/projection_accuracy.py --db postgres://postgres@127.0.0.1:5432/costdash_bench5m
    python benchmarks/projection_accuracy.py --db ... --checkpoints 6,9,12,15 --ceiling 30

Fill the database first: ``benchmarks/dashboard_pages.py --db ...`` (200 developers x 365 days) or
``DATABASE_URL=... manage.py demo_load --days 120`` (the demo team). Nothing is written.

For every active developer-day with HISTORY_DAYS days of history before it (up to the day before the
last, which may be partial) and every checkpoint hour, the projection is replayed with only what it
could have seen: the day's HourlyCost before the checkpoint, and for the shape the hours of the
HISTORY_DAYS days before the day (the same rules and code as the alert: day_shape.shape_choose,
share_done, projected_day). It is compared with the day's real total (DeveloperDay.cost) against the
ceiling. Days already over the ceiling at the checkpoint are left out (the daily ceiling rule speaks
for them, not the projection). A false alarm: projected over, ended at or under; a miss: projected
under (or too early to project), ended over. The "day" rows count each developer-day
once, as the alert does (raised once a day): alarmed if any checkpoint before it crossed the ceiling
projected over; a miss if it ended over and none did.
"""
from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, time, timedelta
from decimal import Decimal
import os
from pathlib import Path
import statistics
import sys
import time as clock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_bench5m"


def django_setup(database_url: str) -> None:
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="costdash.settings", DJANGO_DEBUG="false")
    os.environ.pop("REDIS_URL", None)
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ["COSTDASH_ALLOW_INSECURE_KEY"] = "true"
    import django

    django.setup()


def history_read():
    """(hours, totals, teams): {developer: {day: [24 costs]}} from HourlyCost, {(developer, day): cost}
    of active DeveloperDays, {developer: team id}."""
    from costdash.accounts.models import Developer
    from costdash.rollups.day_shape import HOURS, ZERO
    from costdash.rollups.models import DeveloperDay, HourlyCost

    hours: dict[int, dict[date, list[Decimal]]] = defaultdict(dict)
    for developer_id, day, hour, cost in HourlyCost.objects.filter(cost__gt=0).values_list(
            "developer_id", "day", "hour", "cost").iterator(chunk_size=20_000):
        hours[developer_id].setdefault(day, [ZERO] * HOURS)[hour] += cost
    totals = {(d, day): cost for d, day, cost in DeveloperDay.objects.filter(active=True, cost__gt=0).values_list(
        "developer_id", "day", "cost").iterator(chunk_size=20_000)}
    teams = dict(Developer.objects.values_list("pk", "team_id"))
    return hours, totals, teams


class Tally:
    """One method at one checkpoint."""

    def __init__(self) -> None:
        self.days = self.ended_over = self.alarms = self.false_alarms = self.misses = self.too_early = 0
        self.errors: list[Decimal] = []

    def count(self, projected: Decimal | None, total: Decimal, ceiling: Decimal, error: bool = True) -> None:
        """One developer-day; ``error``: its projection's error counts in the median (some spend so far)."""
        over = projected is not None and projected > ceiling
        self.days += 1
        self.too_early += projected is None
        if projected is not None and error:
            self.errors.append(abs(projected - total))
        self.ended_over += total > ceiling
        self.alarms += over
        self.false_alarms += over and total <= ceiling
        self.misses += not over and total > ceiling

    def row(self, label: str) -> str:
        under = self.days - self.ended_over
        fp = self.false_alarms / under if under else 0.0
        fdr = self.false_alarms / self.alarms if self.alarms else 0.0
        miss = self.misses / self.ended_over if self.ended_over else 0.0
        error = f"${statistics.median(self.errors):.2f}" if self.errors else "-"
        return (f"{label:<26} {self.days:>7} {self.ended_over:>6} {self.alarms:>7} {self.false_alarms:>7} "
                f"{fp:>7.1%} {fdr:>8.1%} {self.misses:>6} {miss:>7.1%} {self.too_early:>7} {error:>8}")


METHODS = ("linear", "shape pace", "shape + usual day", "line + usual day")
HEADER = (f"{'checkpoint / method':<26} {'days':>7} {'ended':>6} {'alarms':>7} {'false':>7} {'FP rate':>7} "
          f"{'false/al':>8} {'missed':>6} {'miss %':>7} {'no proj':>7} {'med err':>8}")


def replay(hours, totals, teams, checkpoints: list[int], ceiling: Decimal):
    """Tallies per (checkpoint, method) and which shape basis each replayed day used."""
    from costdash.lib.money import to_cents
    from costdash.rollups.day_shape import (
        HISTORY_DAYS,
        LINEAR,
        LINEAR_SHAPE,
        HourTotals,
        paced_day,
        projected_day,
        shape_choose,
    )

    days = sorted({day for by_day in hours.values() for day in by_day} | {day for _, day in totals})
    first, last = days[0], days[-1]
    own: dict[int, HourTotals] = defaultdict(HourTotals)
    team_totals: dict[int, HourTotals] = defaultdict(HourTotals)
    org = HourTotals()
    tallies: dict[tuple[int, str], Tally] = defaultdict(Tally)
    bases: Counter = Counter()
    developers = sorted(set(hours) | {d for d, _ in totals})
    day = first
    while day < last:
        for sign, gone in ((1, day - timedelta(days=1)), (-1, day - timedelta(days=HISTORY_DAYS + 1))):
            for developer_id, by_day in hours.items():
                costs = by_day.get(gone)
                if costs is None:
                    continue
                change = HourTotals(costs=costs, days=1)
                own[developer_id].add(change, sign)
                org.add(change, sign)
                if teams.get(developer_id) is not None:
                    team_totals[teams[developer_id]].add(change, sign)
        if day >= first + timedelta(days=HISTORY_DAYS):
            for developer_id in developers:
                total = totals.get((developer_id, day))
                if total is None:
                    continue
                team_id = teams.get(developer_id)
                shape = shape_choose(own.get(developer_id), team_totals.get(team_id) if team_id else None, org)
                bases[shape.basis] += 1
                # The clock's hours with their usual day (the straight line itself when there is no history).
                line = replace(LINEAR_SHAPE, basis=shape.basis, average=shape.average)
                costs = hours.get(developer_id, {}).get(day)
                alarmed = dict.fromkeys(METHODS, False)
                for hour in checkpoints:
                    spent = sum(costs[:hour], Decimal(0)) if costs else Decimal(0)
                    if spent > ceiling:
                        break  # over already: the daily ceiling rule's alert, not a projection
                    linear_share = Decimal(hour) / 24
                    share = linear_share if shape.basis == LINEAR else shape.share_done(time(hour))
                    for method, projected in (("linear", projected_day(spent, linear_share, LINEAR_SHAPE)),
                                              ("shape pace", paced_day(spent, share, shape)),
                                              ("shape + usual day", projected_day(spent, share, shape)),
                                              ("line + usual day", projected_day(spent, linear_share, line))):
                        projected = None if projected is None else to_cents(projected)
                        tallies[(hour, method)].count(projected, total, ceiling, error=spent > 0)
                        alarmed[method] |= projected is not None and projected > ceiling
                for method, alarm in alarmed.items():
                    tallies[(None, method)].count(ceiling + 1 if alarm else Decimal(0), total, ceiling, error=False)
        day += timedelta(days=1)
    return tallies, bases, (first + timedelta(days=HISTORY_DAYS), last - timedelta(days=1))


def selector_timed(day: date) -> str:
    """The alert's read of every developer's shape, as one evaluation makes it: time and queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from costdash.rollups.selectors.day_shapes import day_shapes

    day_shapes(day)  # warm-up
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as captured:
            started = clock.perf_counter()
            shapes = day_shapes(day)
            times.append((clock.perf_counter() - started) * 1000)
    return (f"day_shapes({day}): {sorted(times)[2]:.0f} ms median of 5, {len(captured)} queries, "
            f"{len(shapes.own)} developers, {len(shapes.teams)} teams")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB, help=f"PostgreSQL URL (default {DEFAULT_DB})")
    parser.add_argument("--checkpoints", default="6,9,12,15", help="Org-local hours (default 6,9,12,15)")
    parser.add_argument("--ceiling", type=Decimal, default=Decimal("30.00"))
    parser.add_argument("--min-share", type=Decimal, default=None,
                        help="Try another day_shape.MIN_SHARE (the shape's floor), e.g. 0.05")
    args = parser.parse_args(argv)
    django_setup(args.db)
    from costdash.rollups import day_shape

    if args.min_share is not None:
        day_shape.MIN_SHARE = args.min_share
    checkpoints = [int(h) for h in args.checkpoints.split(",")]
    started = clock.perf_counter()
    hours, totals, teams = history_read()
    read_s = clock.perf_counter() - started
    started = clock.perf_counter()
    tallies, bases, (first, last) = replay(hours, totals, teams, checkpoints, args.ceiling)
    print(f"read {len(totals):,} active developer-days in {read_s:.1f} s; replayed {first} to {last} in "
          f"{clock.perf_counter() - started:.1f} s; ceiling {args.ceiling}, shape floor {day_shape.MIN_SHARE}")
    print("shapes used: " + ", ".join(f"{basis} {n:,}" for basis, n in bases.most_common()))
    print("days: not over yet at the checkpoint; ended: of them, over at the end of the day; FP rate: false "
          "alarms / days that ended under; false/al: false alarms / alarms; miss %: missed / ended over; "
          "no proj: too early to project (counted as under); med err: median |projected - real total| of the days "
          "it projects with some spend so far")
    print(HEADER)
    for hour in checkpoints:
        for method in METHODS:
            print(tallies[(hour, method)].row(f"{hour:02d}:00 {method}"))
    for method in METHODS:
        print(tallies[(None, method)].row(f"day {method}"))
    print(selector_timed(last + timedelta(days=1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
