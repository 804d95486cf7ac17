"""PostgreSQL: usage events (ingest_usageevent) partitioned by RANGE on ``timestamp``, a partition per UTC month.

Migration 0013 makes the table partitioned; this module keeps it so:

- A partition per calendar month (UTC), named ``ingest_usageevent_y2026m01``, holds [first of the month, first of
  the next). ``partitions_ensure`` creates the current month and the next ``months_ahead`` (beat task
  ``usage_partitions_maintain`` and ``manage.py usage_partitions``); creating one that exists does nothing.
- A DEFAULT partition (``ingest_usageevent_default``) takes every row no month partition covers (a transcript
  three years old, a clock in the future), so a write never fails for a missing partition.
  ``partitions_ensure`` moves its rows into month partitions of their own (created then), so that retention
  (ingest.retention) can drop whole months and the default stays empty in steady state.
- The primary key is (dedupe_key, timestamp): PostgreSQL requires a partitioned table's unique keys to include
  the partition key. ``dedupe_key`` stays a request's identity: writers (ingest.upsert) give a copy of a stored
  request the stored row's timestamp when it is within DEDUPE_WINDOW of it, so the copy hits the stored row
  (ON CONFLICT (dedupe_key, timestamp)) and never makes a second one. Django still sees ``dedupe_key`` alone as
  the model's primary key (lookups by pk read every partition's index).

SQLite has none of this: the table stays as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import re

from django.db import connection, transaction

from costdash.lib.dates import month_after

TABLE = "ingest_usageevent"
DEFAULT = f"{TABLE}_default"
NAME = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")
# How far apart two copies of one request may be in time and still be taken for one (see the module docstring):
# the streamed lines of one transcript message are seconds apart, two LiteLLM formats of one call at most its
# duration. Further apart, a copy is stored as a request of its own.
DEDUPE_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Partition:
    name: str
    month: date  # its first day; the default partition has none
    rows: int | None = None  # an estimate (pg_class.reltuples), when asked for


def partitioned() -> bool:
    """Whether usage events are a partitioned table here (PostgreSQL, after migration 0013)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_after(month)
    return months


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def partitions_list() -> list[Partition]:
    """The month partitions, oldest first, with their row estimates (the default partition not included)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)", [TABLE],
        )
        found = []
        for name, estimate in cursor.fetchall():
            if m := NAME.match(name):
                found.append(Partition(name, date(int(m[1]), int(m[2]), 1), max(int(estimate), 0)))
    return sorted(found, key=lambda p: p.month)


def _default_months(cursor) -> list[date]:
    cursor.execute(
        f'SELECT DISTINCT date_trunc(\'month\', "timestamp" AT TIME ZONE \'UTC\')::date FROM {DEFAULT} ORDER BY 1'
    )
    return [row[0] for row in cursor.fetchall()]


def partition_create(month: date, cursor) -> bool:
    """Create the month's partition unless it exists (inside a transaction); rows of that month waiting in the
    default partition move into it. True if created."""
    name, start, end = partition_name(month), utc(month), utc(month_after(month))
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    # Concurrent creators queue here (and the default partition's rows cannot change under the move).
    cursor.execute(f"LOCK TABLE {DEFAULT} IN ACCESS EXCLUSIVE MODE")
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    bounds = f"'{start.isoformat()}'::timestamptz AND \"timestamp\" < '{end.isoformat()}'::timestamptz"
    cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)")
    # The CHECK spares ATTACH its scan of the new table; dropped once attached.
    cursor.execute(f'ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK ("timestamp" >= {bounds})')
    cursor.execute(
        f'WITH moved AS (DELETE FROM {DEFAULT} WHERE "timestamp" >= {bounds} RETURNING *) '
        f"INSERT INTO {name} SELECT * FROM moved"
    )
    cursor.execute(
        f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )
    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_range")
    return True


def partitions_ensure(months_ahead: int, today: date | None = None) -> list[str]:
    """Create the partitions of the current month (UTC) and the ``months_ahead`` after it, and one for each month
    with rows in the default partition (moving them there). Returns the names created; PostgreSQL only."""
    today = today or datetime.now(UTC).date()
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        wanted = set(months_between(today, _months_later(today, months_ahead))) | set(_default_months(cursor))
        for month in sorted(wanted):
            if partition_create(month, cursor):
                created.append(partition_name(month))
    return created


def _months_later(day: date, n: int) -> date:
    month = month_start(day)
    for _ in range(n):
        month = month_after(month)
    return month


def default_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT}")
        return cursor.fetchone()[0]


def partition_drop(partition: Partition) -> None:
    """Drop a month's partition and its rows (ingest.retention decides which, and when)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
        cursor.execute(f"DROP TABLE {partition.name}")
