"""A developer-day whose rollup cannot be computed is set aside, never allowed to stop the others.

The recompute (services.daily_cost_recompute_dirty) runs each developer's dirty days through
recompute_guarded: all of them in one transaction, and if that raises, one day per transaction,
so the days that compute are written and only the ones that raise are reported. A failing day
keeps its DirtyDay row with the error, an attempt count and a retry time that doubles each attempt
(RETRY_FIRST_SECONDS up to RETRY_MAX_SECONDS); marking it dirty again (new data) makes it due at
once. The "Rollup failed" alert (alerts.kinds.operational.RollupFailed) reads these rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
import logging
import sys

from .models import DirtyDay

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 60
RETRY_MAX_SECONDS = 3600
ERROR_STORED = 1000  # characters of an error kept on the row


def recompute_guarded(recompute: Callable[[int, set[date]], int], developer_id: int, days: set[date]) -> dict:
    """Run ``recompute(developer_id, days)``; if it raises, each day alone. Returns
    ``{day: error text}`` of the days that still raised (their writes rolled back, nothing else's)."""
    try:
        recompute(developer_id, days)
        return {}
    except Exception:  # noqa: BLE001 - any error of one developer's days is isolated to them
        if len(days) == 1:
            return {next(iter(days)): _error_text(developer_id, days)}
    failed = {}
    for day in sorted(days):
        try:
            recompute(developer_id, {day})
        except Exception:  # noqa: BLE001 - as above, for one day
            failed[day] = _error_text(developer_id, {day})
    return failed


def _error_text(developer_id: int, days: set[date]) -> str:
    exc = sys.exc_info()[1]
    log.exception("rollup of developer %s for %s failed", developer_id, ", ".join(map(str, sorted(days))))
    return f"{type(exc).__name__}: {exc}"[:ERROR_STORED]


def retry_delay(attempts: int) -> timedelta:
    """How long a day that has failed ``attempts`` times waits before it is tried again."""
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def failures_record(failed: dict[int, str], at: datetime) -> None:
    """Record the errors of these DirtyDay rows (pk -> error text) failed at ``at``."""
    if not failed:
        return
    rows = list(DirtyDay.objects.filter(pk__in=list(failed)).only("pk", "attempts"))
    for row in rows:
        row.error = failed[row.pk]
        row.attempts += 1
        row.failed_at = at
        row.retry_at = at + retry_delay(row.attempts)
    DirtyDay.objects.bulk_update(rows, ["error", "attempts", "failed_at", "retry_at"], batch_size=1000)


def failures_clear(pks: Iterable[int]) -> None:
    """Clear the error of the DirtyDay rows that computed but were marked again meanwhile."""
    pks = list(pks)
    for i in range(0, len(pks), 1000):
        DirtyDay.objects.filter(pk__in=pks[i : i + 1000], failed_at__isnull=False).update(
            error="", attempts=0, failed_at=None, retry_at=None
        )
