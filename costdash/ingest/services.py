"""Imports: read files, price each request, upsert events, mark the touched days dirty.

An import is harmless to run twice: events are keyed by a unique dedupe key, a stored event is
replaced only by a copy with more output, files already read (same fingerprint) are skipped,
and rollups are recomputed from events rather than incremented.
"""
from __future__ import annotations

from collections.abc import Callable
import hashlib
import logging
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.accounts.services import developer_for_email
from costdash.lib.dates import reporting_day, zone
from costdash.lib.queue import enqueue
from costdash.pricing.rates import cost_of
from costdash.pricing.services import rate_table, rate_table_invalidate
from costdash.rollups.services import daily_cost_mark_dirty

from .aggregates import usage_aggregates_reprice
from .files import InputError, Inputs
from .import_run import ImportRun
from .models import ImportBatch, Source, UsageEvent
from .rows import usage_of

log = logging.getLogger(__name__)


def usage_import(
    paths: list[Path],
    *,
    developer_email: str | None = None,
    user=None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    batch: ImportBatch | None = None,
) -> ImportBatch:
    """Import usage files: any format a parser recognises, as files, folder trees or .zip / .tar.gz.

    Claude Code transcripts name nobody, so they need ``developer_email`` (the developer they
    belong to); without it they are rejected. Other formats name their own people.
    Returns the finished ImportBatch; its status is "failed" (with ``failure``) when a path could
    not be read, and rows already committed stay. Rollups of touched days are queued on commit.
    ``progress(n)`` is told of every n bytes read; ``on_total(n)`` of the bytes there are to read.
    """
    developer = identity = None
    if developer_email:
        developer, identity = developer_for_email(developer_email, source=Source.CLAUDE_CODE_JSONL)
    paths = [Path(p) for p in paths]
    if batch is None:
        batch = ImportBatch.objects.create(
            source=Source.CLAUDE_CODE_JSONL if developer else Source.FILES,
            label=", ".join(str(p) for p in paths)[:500],
            developer=developer,
            created_by=user,
        )
    try:
        return _import(batch, paths, developer, identity, progress, on_total)
    except Exception as exc:  # whatever escaped (a database error in the outcome's own save...): never left running
        import_batch_fail(batch.pk, f"{type(exc).__name__}: {exc}")
        raise


def _import(batch: ImportBatch, paths: list[Path], developer, identity, progress, on_total) -> ImportBatch:
    batch.developer = developer
    batch.status = ImportBatch.Status.RUNNING
    batch.started_at = timezone.now()
    inputs = None
    try:
        inputs = Inputs(paths)
    except OSError as exc:
        batch.failure = f"{exc.filename}: {exc.strerror}"
    batch.total_bytes = inputs.total_bytes if inputs else 0
    batch.save()
    if on_total:
        on_total(batch.total_bytes)
    run = ImportRun(batch, developer, identity, progress)
    if inputs is None:
        return _finish(run, failure=batch.failure)
    try:
        run.read_all(iter(inputs))
        run.flush()
    except InputError as exc:
        run.flush()
        return _finish(run, failure=str(exc))
    except Exception as exc:
        log.exception("import batch %s failed", batch.pk)
        _finish(run, failure=f"{type(exc).__name__}: {exc}")
        raise
    return _finish(run)


def _finish(run: ImportRun, failure: str = "") -> ImportBatch:
    """Record the outcome, and queue the rollup of the touched days once everything is committed
    (not when nothing was written: a re-run over unchanged files then never loads Celery's tasks)."""
    batch = run.batch
    batch.status = ImportBatch.Status.FAILED if failure else ImportBatch.Status.DONE
    batch.failure = failure.replace("\x00", "\\0")  # a NUL cannot be stored in a PostgreSQL text column
    batch.finished_at = timezone.now()
    run.save_counts()
    if run.dirtied:
        from costdash.rollups.tasks import daily_cost_recompute_soon

        daily_cost_recompute_soon()
    return batch


def import_batch_fail(batch_id: int, failure: str) -> bool:
    """Mark a batch that is still running failed with ``failure``, writing nothing else (its counts may
    be what could not be saved); False if it was not running or this could not be written either."""
    failure = failure.replace("\x00", "\\0")[:5000]  # a NUL cannot be stored in a PostgreSQL text column
    try:
        return bool(ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.RUNNING).update(
            status=ImportBatch.Status.FAILED, failure=failure, finished_at=timezone.now()))
    except Exception:  # e.g. inside a caller's transaction that the error aborted: the sweeper will
        log.exception("import batch %s: could not record its failure", batch_id)
        return False


def usage_events_reprice(models: list[str] | None = None) -> int:
    """Price events again from the current rate table (all of ``models``, or every unpriced event).

    Run after a price is added or corrected; the days whose cost changed are marked dirty.
    Returns how many events changed.
    """
    rate_table_invalidate()  # another process may have changed the prices
    table = rate_table()
    events = UsageEvent.objects.filter(model__in=models) if models else UsageEvent.objects.filter(cost__isnull=True)
    tz = zone(OrgSettings.get().time_zone)
    changed, dirty = [], set()
    for event in events.only(*REPRICE_FIELDS).iterator(chunk_size=2000):
        cost = cost_of(usage_of(event, model=event.model), event.timestamp, table)
        if cost != event.cost:
            event.cost = cost
            changed.append(event)
            if event.developer_id:
                dirty.add((event.developer_id, reporting_day(event.timestamp, tz)))
    with transaction.atomic():
        UsageEvent.objects.bulk_update(changed, ["cost"], batch_size=1000)
        aggregates, aggregate_days = usage_aggregates_reprice(models, table, tz)  # daily reports too
        daily_cost_mark_dirty(dirty | aggregate_days)
    return len(changed) + aggregates


REPRICE_FIELDS = (
    "dedupe_key", "developer_id", "timestamp", "model", "input_tokens", "output_tokens", "cache_write_5m_tokens",
    "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests", "speed", "inference_geo", "is_batch", "cost",
)


def upload_batch_create(upload, *, developer, user, transcripts_only: bool) -> ImportBatch:
    """Store an uploaded file as a pending batch and queue its import once the row commits.

    ``developer`` owns any transcripts in it (None: only formats that name their own people);
    ``transcripts_only`` refuses every other format (a developer's own upload).
    """
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    batch = ImportBatch(
        source=Source.CLAUDE_CODE_JSONL if transcripts_only else Source.FILES, label=upload.name[:500],
        developer=developer, created_by=user, fingerprint=digest.hexdigest(), total_bytes=upload.size,
        transcripts_only=transcripts_only,
    )
    batch.upload.save(Path(upload.name).name, upload, save=False)
    batch.save()
    transaction.on_commit(lambda: import_batch_queue(batch.pk))
    return batch


def import_batch_queue(batch_id: int) -> bool:
    """Queue a pending batch's import; False when the broker cannot be reached. The batch stays
    ``pending`` in the database then, and the beat's import sweeper queues it once it can: an
    upload is never refused or lost for a broker outage (as daily_cost_recompute_soon)."""
    from .tasks import import_batch_run as task

    return enqueue(task, batch_id, what=f"import batch {batch_id}")


def import_batch_run(batch_id: int) -> ImportBatch:
    """Import a stored upload. A batch already finished or running is left alone (run twice: no-op)."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    batch = ImportBatch.objects.select_related("developer").get(pk=batch_id)
    if not claimed:
        return batch
    email = batch.developer.email if batch.developer else None
    return usage_import([Path(batch.upload.path)], developer_email=email, batch=batch)
