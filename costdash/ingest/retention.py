"""Raw-event retention: usage events (ingest.UsageEvent) older than COSTDASH_RAW_EVENT_RETENTION_MONTHS are removed;
their rollups, monthly reports and closed months stay as they are.

- The horizon is the first of a UTC month: with N months, the current month and the N before it are kept
  (N = 12 in December 2026 keeps December 2025 onwards). Unset or 0: events are kept forever.
- ``retention_apply`` (beat task ``usage_partitions_maintain``, ``manage.py usage_partitions``) first recomputes the
  dirty developer-days, and removes nothing while a day before the horizon is still dirty (one whose recompute
  fails): a month goes only once its rollups are up to date. On PostgreSQL it drops whole month partitions
  (ingest.partitions), and deletes the default partition's rows before the horizon; elsewhere (SQLite) it
  deletes the rows in batches of DELETE_BATCH. The horizon removed is recorded (RawEventRetention), before the
  rows go, in the same transaction.
- A rollup is per org-local day, and the horizon is a UTC instant: a day that starts before the horizon is
  "frozen" (its events may be partly gone). From the moment retention is configured, and for good once events
  were removed (whatever the setting says later), a frozen day is never marked dirty and never recomputed (a
  recompute would rebuild it from missing events and change closed figures), and a request on a frozen day is
  not stored: an import counts it as skipped "older than raw-event retention" (ImportBatch.skipped_retention),
  a live receiver refuses it with that reason. Days already dirty when retention is configured are still
  recomputed, from their events, before anything is removed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from costdash.lib.dates import day_bounds, month_after, reporting_day, zone

from . import partitions
from .models import RawEventRetention, UsageEvent

REASON = "older than raw-event retention"
DELETE_BATCH = 5000
CACHE_SECONDS = 30.0
_removed: tuple[float, datetime | None] | None = None


def configured_horizon(now: datetime | None = None) -> datetime | None:
    """The first instant whose events the setting keeps (first of a UTC month), or None when retention is off."""
    months = settings.COSTDASH_RAW_EVENT_RETENTION_MONTHS
    if not months:
        return None
    month = (now or timezone.now()).astimezone(UTC).date().replace(day=1)
    for _ in range(months):
        month = (month - timedelta(days=1)).replace(day=1)
    return partitions.utc(month)


def removed_before() -> datetime | None:
    """Before when events were removed (RawEventRetention), read at most every CACHE_SECONDS in this process."""
    global _removed
    now = time.monotonic()
    if _removed is None or now - _removed[0] >= CACHE_SECONDS:
        row = RawEventRetention.objects.filter(pk=1).values_list("removed_before", flat=True).first()
        _removed = (now, row)
    return _removed[1]


def removed_before_invalidate() -> None:
    global _removed
    _removed = None


def horizon(now: datetime | None = None) -> datetime | None:
    """Events before this are not kept: the later of the configured horizon and the one already removed."""
    found = [at for at in (configured_horizon(now), removed_before()) if at is not None]
    return max(found) if found else None


def first_kept_day(at: datetime | None, tz) -> date | None:
    """The first org-local day that starts at or after ``at``: the days before it are frozen."""
    if at is None:
        return None
    day = reporting_day(at, tz)
    return day if day_bounds(day, tz)[0] >= at else day + timedelta(days=1)


def _org_zone():
    from costdash.accounts.models import OrgSettings

    return zone(OrgSettings.get().time_zone)


def frozen_before(tz=None) -> date | None:
    """Days before this are frozen for writes and dirty marks (None: none is)."""
    at = horizon()
    return first_kept_day(at, tz or _org_zone()) if at is not None else None


def recompute_frozen_before(tz=None) -> date | None:
    """Days before this lost events to retention and are never recomputed (None: none did)."""
    at = removed_before()
    return first_kept_day(at, tz or _org_zone()) if at is not None else None


def unfrozen(developer_days: Iterable[tuple[int, date]]) -> list[tuple[int, date]]:
    """The (developer id, day) pairs that may be marked dirty."""
    pairs = list(developer_days)
    before = frozen_before() if pairs else None
    return pairs if before is None else [(dev, day) for dev, day in pairs if day >= before]


@dataclass
class RetentionReport:
    horizon: datetime | None = None
    first_kept_day: date | None = None
    dry_run: bool = False
    recomputed: int = 0
    waiting: int = 0  # dirty developer-days before the horizon that did not recompute: nothing removed
    partitions: list[partitions.Partition] = field(default_factory=list)  # dropped, or to drop
    rows_deleted: int = 0  # deleted row by row (the default partition; every row on SQLite)

    def lines(self) -> list[str]:
        if self.horizon is None:
            return ["retention: off (COSTDASH_RAW_EVENT_RETENTION_MONTHS unset): raw events are kept"]
        verb = "would drop" if self.dry_run else "dropped"
        out = [f"retention: raw events before {self.horizon:%Y-%m-%d} (UTC) go; days before "
               f"{self.first_kept_day} are frozen (rollups kept, never recomputed)"]
        if self.recomputed:
            out.append(f"  recomputed {self.recomputed} dirty developer-days first")
        if self.waiting:
            out.append(f"  nothing removed: {self.waiting} developer-days before the horizon wait for their rollup "
                       "recompute (see the rollup failures)")
            return out
        for p in self.partitions:
            out.append(f"  {verb} {p.name} (~{p.rows:,} rows)")
        noun = "would delete" if self.dry_run else "deleted"
        out.append(f"  {noun} {self.rows_deleted:,} rows one by one" if self.rows_deleted else
                   f"  {len(self.partitions)} partitions, no row deleted one by one")
        return out


def retention_apply(*, dry_run: bool = False, now: datetime | None = None) -> RetentionReport:
    """Remove the raw events before the configured horizon (see the module docstring)."""
    from costdash.rollups.models import DirtyDay
    from costdash.rollups.services import daily_cost_recompute_dirty

    at = configured_horizon(now)
    report = RetentionReport(horizon=at, dry_run=dry_run)
    if at is None:
        return report
    report.first_kept_day = first_kept_day(at, _org_zone())
    if partitions.partitioned():
        report.partitions = [p for p in partitions.partitions_list() if month_after(p.month) <= at.date()]
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM {partitions.DEFAULT} WHERE "timestamp" < %s', [at])
            report.rows_deleted = cursor.fetchone()[0]
    else:
        report.rows_deleted = UsageEvent.objects.filter(timestamp__lt=at).count()
    frozen_dirty = DirtyDay.objects.filter(day__lt=report.first_kept_day)
    if not dry_run and (report.partitions or report.rows_deleted or frozen_dirty.exists()):
        report.recomputed = daily_cost_recompute_dirty()
    report.waiting = frozen_dirty.count()
    if report.waiting or dry_run:
        return report
    with transaction.atomic():
        _horizon_record(at, dry_run)
        if partitions.partitioned():
            for p in report.partitions:
                partitions.partition_drop(p)
            with connection.cursor() as cursor:
                cursor.execute(f'DELETE FROM {partitions.DEFAULT} WHERE "timestamp" < %s', [at])
    if not partitions.partitioned():
        report.rows_deleted = _delete_in_batches(at)
    removed_before_invalidate()
    return report


def _horizon_record(at: datetime, dry_run: bool) -> None:
    """Record that events before ``at`` are removed (or absent): from then on, whatever the setting says."""
    if dry_run:
        return
    with transaction.atomic():
        record = RawEventRetention.objects.select_for_update().get_or_create(pk=1)[0]
        if record.removed_before is None or record.removed_before < at:
            record.removed_before = at
            record.save()
    removed_before_invalidate()


def _delete_in_batches(at: datetime) -> int:
    """SQLite: delete the events before ``at`` DELETE_BATCH at a time (short write transactions)."""
    deleted = 0
    while True:
        with transaction.atomic():
            keys = list(UsageEvent.objects.filter(timestamp__lt=at).values_list("pk", flat=True)[:DELETE_BATCH])
            if not keys:
                return deleted
            deleted += UsageEvent.objects.filter(pk__in=keys).delete()[0]

