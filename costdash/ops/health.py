"""Readiness: is this install doing its work? One function per check, each a dict with its status and figure.

Checks (settings COSTDASH_HEALTH_*):
- database: a SELECT 1 answers.
- broker: the Celery broker answers (costdash.ops.broker), with its queue's depth.
- beat, worker: their heartbeats (costdash.ops.heartbeats) are younger than COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS.
- rollup_lag: the oldest dirty developer-day (rollups.DirtyDay.marked_at) waits less than
  COSTDASH_HEALTH_ROLLUP_LAG_SECONDS. A day marked again by newer data counts from its newest mark.
- import_lag: the oldest pending or running import (ingest.ImportBatch.created_at) is younger than
  COSTDASH_HEALTH_IMPORT_LAG_SECONDS.
- received_lag: the oldest live body stored and not yet made into events (ingest.ReceivedBody pending or
  claimed) was received less than COSTDASH_HEALTH_RECEIVED_LAG_SECONDS ago.

The answer names checks and figures only: never an address, a host name or an exception's text (which may hold a
URL with its password); a failure gives the exception's class. The whole answer is kept COSTDASH_HEALTH_CACHE_SECONDS
in this process, so a load balancer probing every second costs a handful of queries every few seconds.
"""
from __future__ import annotations

from collections.abc import Callable
import logging
import threading
import time

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone

from .broker import broker_state
from .heartbeats import BEAT, WORKER, heartbeat_ages

OK, FAIL = "ok", "fail"
log = logging.getLogger(__name__)

_lock = threading.Lock()
_held: tuple[float, dict] | None = None  # (monotonic time, answer)


def _status(ok: bool) -> str:
    return OK if ok else FAIL


def check_database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": OK, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def check_broker() -> dict:
    state = broker_state()
    answer = {"status": _status(state.reachable), "kind": state.kind, "queue_depth": state.queue_depth}
    if state.error:
        answer["error"] = state.error
    return answer


def _heartbeat(name: str) -> Callable[[], dict]:
    def check() -> dict:
        age, limit = heartbeat_ages()[name], settings.COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS
        answer = {"status": _status(age is not None and age <= limit), "age_seconds": _seconds(age),
                  "threshold_seconds": limit}
        if age is None:
            answer["error"] = "no heartbeat yet"
        return answer

    check.__name__ = f"check_{name}"
    return check


def check_rollup_lag() -> dict:
    from costdash.rollups.models import DirtyDay

    found = DirtyDay.objects.aggregate(oldest=Min("marked_at"), days=Count("pk"))
    lag = (timezone.now() - found["oldest"]).total_seconds() if found["oldest"] else 0.0
    limit = settings.COSTDASH_HEALTH_ROLLUP_LAG_SECONDS
    return {"status": _status(lag <= limit), "lag_seconds": _seconds(lag), "dirty_days": found["days"],
            "threshold_seconds": limit}


def check_import_lag() -> dict:
    from costdash.ingest.models import ImportBatch

    found = ImportBatch.objects.filter(status__in=[ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING]).aggregate(
        oldest=Min("created_at"), batches=Count("pk"))
    lag = (timezone.now() - found["oldest"]).total_seconds() if found["oldest"] else 0.0
    limit = settings.COSTDASH_HEALTH_IMPORT_LAG_SECONDS
    return {"status": _status(lag <= limit), "lag_seconds": _seconds(lag), "in_progress": found["batches"],
            "threshold_seconds": limit}


def check_received_lag() -> dict:
    from costdash.ingest.models import ReceivedBody

    waiting = ReceivedBody.objects.filter(state__in=[ReceivedBody.State.PENDING, ReceivedBody.State.CLAIMED])
    found = waiting.aggregate(oldest=Min("received_at"), bodies=Count("pk"))
    lag = (timezone.now() - found["oldest"]).total_seconds() if found["oldest"] else 0.0
    limit = settings.COSTDASH_HEALTH_RECEIVED_LAG_SECONDS
    return {"status": _status(lag <= limit), "lag_seconds": _seconds(lag), "waiting": found["bodies"],
            "threshold_seconds": limit}


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(max(value, 0.0), 1)


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "broker": check_broker,
    BEAT: _heartbeat(BEAT),
    WORKER: _heartbeat(WORKER),
    "rollup_lag": check_rollup_lag,
    "import_lag": check_import_lag,
    "received_lag": check_received_lag,
}


def health_run() -> dict:
    """Every check, each guarded: one that raises fails with the exception's class, the others still run."""
    checks = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = {"status": FAIL, "error": type(exc).__name__}
    return checks


def health_checks() -> dict:
    """health_run()'s checks, kept COSTDASH_HEALTH_CACHE_SECONDS (one run at a time in this process)."""
    global _held
    with _lock:
        now, held = time.monotonic(), _held
        if held is None or now - held[0] >= settings.COSTDASH_HEALTH_CACHE_SECONDS:
            checks = health_run()
            _log_change(held[1]["checks"] if held else None, checks)
            held = _held = (now, {"checked_at": timezone.now().isoformat(timespec="seconds"), "checks": checks})
    return held[1]


def _log_change(before: dict | None, after: dict) -> None:
    """One line when the failing checks change (a probe every second must not log every second)."""
    failing = sorted(name for name, result in after.items() if result["status"] != OK)
    was = sorted(name for name, result in (before or {}).items() if result["status"] != OK)
    if failing != was and (failing or before is not None):
        if failing:
            log.warning("readiness: failing %s", ", ".join(f"{n} ({after[n].get('error', 'over threshold')})"
                                                           for n in failing))
        else:
            log.info("readiness: every check passes again")


def health_answer(only: list[str] | None = None) -> tuple[dict, bool]:
    """(the JSON answer, every check named in ``only`` (default: all) is ok). Unknown names are refused by the view."""
    held = health_checks()
    checks = {name: held["checks"][name] for name in (only or CHECKS)}
    failing = [name for name, result in checks.items() if result["status"] != OK]
    answer = {"status": _status(not failing), "failing": failing, "checked_at": held["checked_at"], "checks": checks}
    return answer, not failing


def health_forget() -> None:
    """Drop the kept answer (tests, and after a setting changes)."""
    global _held
    with _lock:
        _held = None
