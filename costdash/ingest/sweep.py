"""Imports nobody is running: found by the beat ("imports-sweep") and queued again or failed.

1. A ``pending`` upload whose run was not started COSTDASH_IMPORT_PENDING_GRACE_SECONDS after it was
   queued (its enqueue was lost, e.g. Redis was down: services.import_batch_queue) is queued again.
   ``queued_at`` is claimed by compare-and-swap first, so two sweepers queue it once; a run queued
   twice is harmless anyway (services.import_batch_run claims the batch).
2. A ``running`` batch whose heartbeat (ImportBatch.heartbeat_at, renewed at each flush and at least
   every COSTDASH_IMPORT_HEARTBEAT_SECONDS while the import reads) is older than
   COSTDASH_IMPORT_STALE_SECONDS lost its worker (killed, out of memory, the machine restarted). It is
   failed with that reason, by compare-and-swap on the heartbeat it was seen with, so a worker that
   was only slow and beats again is not failed. Rows it committed stay; importing the file again
   picks up the rest. "Import failed" (alerts.kinds.operational.ImportFailed) reports it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import logging

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import ImportBatch

log = logging.getLogger(__name__)
Status = ImportBatch.Status


@dataclass
class SweepResult:
    queued: int = 0
    failed: int = 0


def import_batches_sweep(now: datetime | None = None) -> SweepResult:
    """Queue again the pending uploads whose run was lost; fail the running imports whose worker stopped."""
    from .services import import_batch_queue

    now = now or timezone.now()
    result = SweepResult()
    grace = now - timedelta(seconds=settings.COSTDASH_IMPORT_PENDING_GRACE_SECONDS)
    waiting = (
        ImportBatch.objects.filter(status=Status.PENDING).exclude(upload="")
        .annotate(since=Coalesce("queued_at", "created_at")).filter(since__lt=grace)
    )
    for pk, queued_at in waiting.values_list("pk", "queued_at").order_by("pk"):
        if ImportBatch.objects.filter(pk=pk, status=Status.PENDING, queued_at=queued_at).update(queued_at=now):
            if import_batch_queue(pk):
                log.warning("import batch %s was pending since before %s: queued again", pk, grace)
                result.queued += 1
    stale = now - timedelta(seconds=settings.COSTDASH_IMPORT_STALE_SECONDS)
    dead = (
        ImportBatch.objects.filter(status=Status.RUNNING)
        .annotate(beat=Coalesce("heartbeat_at", "started_at", "created_at")).filter(beat__lt=stale)
    )
    for pk, beat, heartbeat_at in dead.values_list("pk", "beat", "heartbeat_at").order_by("pk"):
        failure = (f"the worker stopped: heartbeat lost at {beat:%Y-%m-%d %H:%M:%S} UTC (nothing heard for "
                   f"{settings.COSTDASH_IMPORT_STALE_SECONDS} s). Rows committed before that are kept; "
                   "importing the file again picks up the rest.")
        if ImportBatch.objects.filter(pk=pk, status=Status.RUNNING, heartbeat_at=heartbeat_at).update(
            status=Status.FAILED, failure=failure, finished_at=now,
        ):
            log.error("import batch %s: %s", pk, failure)
            result.failed += 1
    return result


def heartbeat_renew(batch_id: int) -> None:
    """Renew a running import's lease (between flushes, which renew it by saving the batch)."""
    ImportBatch.objects.filter(pk=batch_id, status=Status.RUNNING).update(heartbeat_at=timezone.now())
