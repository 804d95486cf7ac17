"""Celery tasks: thin wrappers over reports.services."""
from datetime import date
import logging

from django.db import transaction

from costdash.celery import shared_task
from costdash.lib.queue import enqueue

from . import services

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=300, max_retries=5)
def reports_monthly_send(month: str = "") -> str:
    """Beat, on the 1st and 2nd of each month: e-mail last month's report to billing, once
    (``month``: YYYY-MM-DD of any day of another month). Returns the run's status, or "not due"."""
    run = services.monthly_report_send(date.fromisoformat(month) if month else None)
    return run.status if run else "not due"


@shared_task(acks_late=True)
def report_build(report_id: int) -> str:
    """Build one pending report (asked for on the Reports page or the API). Returns its status; a
    failed build is recorded on the report, not raised (a retry would fail the same way)."""
    return services.report_build(report_id).status


def report_build_soon(report_id: int) -> None:
    """Queue the report's build once the current transaction commits. With the broker unreachable the
    report stays pending and the beat's sweep (reports_build_sweep) queues it later. With tasks
    in-process (the embedded default, no REDIS_URL) the build runs here, in the request."""

    transaction.on_commit(lambda: enqueue(report_build, report_id, what=f"report {report_id}'s build"))


@shared_task(acks_late=True)
def reports_build_sweep() -> int:
    """Beat: queue again the builds whose enqueue was lost or whose worker died (services.reports_build_stuck).
    Returns how many were queued."""
    report_ids, gave_up = services.reports_build_stuck()
    if gave_up:
        log.warning("%s report build(s) failed: their worker stopped %s times", gave_up, services.MAX_ATTEMPTS)
    for report_id in report_ids:
        report_build.delay(report_id)
    return len(report_ids)
