"""What a CUMULATIVE OpenTelemetry metric point adds, from its series' stored state.

A cumulative point is a running total since its series' ``startTimeUnixNano`` (shared/formats/
claude-code-otel.md, "Temporality"). Against the series' last stored point (MetricSeries):

- a point no later than the last one (re-sent, or arriving late) adds nothing;
- the first point ever seen of a series adds its whole value (its start is the process start);
- a new start time, or a smaller value, is a restart: the point adds its whole value;
- otherwise it adds its value minus the last one.

The state is read and written in the caller's transaction, together with the records, with each
series row locked: two bodies of the same series counted at once queue on the lock, and the
second sees what the first stored, so an increase is never counted twice.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .models import MetricSeries
from .parsers.base import Record
from .parsers.otel_metrics import CumulativePoint

CHUNK = 1000
NEVER = -1  # start and time of a series row created before its first point is counted


def increases(records: Iterable[tuple[str, object]]) -> list[tuple[str, Record]]:
    """(source, record) pairs with each CumulativePoint replaced by the record of what it adds,
    or dropped when it adds nothing; other records pass through. Must run inside a transaction
    (PostgreSQL: it locks the series rows until the caller commits).

    The points of a series are taken in time order; their series state moves to the last.
    """
    out, points = [], []
    for source, item in records:
        (points if isinstance(item, CumulativePoint) else out).append((source, item))
    if not points:
        return out
    state = _locked({point.series for _, point in points})
    changed = set()
    for source, point in sorted(points, key=lambda pair: (pair[1].series, pair[1].time_nanos)):
        row = state[point.series]
        increase = _increase(row, point)
        if increase is None:
            continue
        row.start_time_unix_nano, row.last_time_unix_nano, row.last_value = (
            point.start_nanos, point.time_nanos, point.value,
        )
        changed.add(point.series)
        if increase:
            out.append((source, point.record_of(increase)))
    MetricSeries.objects.bulk_update(
        [state[key] for key in sorted(changed)],
        ["start_time_unix_nano", "last_time_unix_nano", "last_value"], batch_size=CHUNK,
    )
    return out


def _increase(row: MetricSeries, point: CumulativePoint) -> Decimal | None:
    """What the point adds to its series, or None when it is no later than the last point."""
    if point.time_nanos <= row.last_time_unix_nano:
        return None
    if point.start_nanos != row.start_time_unix_nano or point.value < row.last_value:
        return point.value
    return point.value - row.last_value


def _locked(keys: set[str]) -> dict[str, MetricSeries]:
    """The series rows of ``keys``, created if new, locked until the transaction ends.

    Rows are created (insert-or-ignore) and locked in key order, so writers that share series
    cannot deadlock; a row another transaction is creating is waited for, then locked.
    """
    keys = sorted(keys)
    state = {}
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        MetricSeries.objects.bulk_create(
            [MetricSeries(series=key, start_time_unix_nano=NEVER, last_time_unix_nano=NEVER, last_value=0)
             for key in chunk],
            ignore_conflicts=True,
        )
        rows = MetricSeries.objects.select_for_update().filter(series__in=chunk).order_by("series")
        state.update((row.series, row) for row in rows)
    return state
