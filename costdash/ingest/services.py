"""Imports: read files, price each request, upsert events, mark the touched days dirty.

An import is harmless to run twice: events are keyed by a unique dedupe key, a stored event is
replaced only by a copy with more output, files already read (same fingerprint) are skipped,
and rollups are recomputed from events rather than incremented.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
import hashlib
import logging
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from costdash.accounts.models import Developer, Identity, OrgSettings
from costdash.accounts.services import developer_for_email
from costdash.lib.dates import reporting_day, zone
from costdash.pricing.rates import Usage, cost_of, normalize_model
from costdash.pricing.services import rate_table, rate_table_invalidate
from costdash.rollups.services import daily_cost_mark_dirty

from .files import InputError, InputFile, iter_input_files, total_size
from .models import ImportBatch, ImportedFile, Source, UsageEvent
from .parsers import claude_code_jsonl
from .parsers.base import ParsedRequest, ParseStats, Rejected
from .upsert import COLUMNS, upsert_events

COST_AT, MODEL_AT = COLUMNS.index("cost"), COLUMNS.index("model")

log = logging.getLogger(__name__)

FLUSH_REQUESTS = 5000
FLUSH_BYTES = 64 * 1024 * 1024
MAX_STORED_ERRORS = 500


def transcripts_import(
    paths: list[Path],
    *,
    developer_email: str,
    user=None,
    progress: Callable[[int], None] | None = None,
    batch: ImportBatch | None = None,
) -> ImportBatch:
    """Import Claude Code transcripts (files, folder trees, .zip / .tar.gz) for one developer.

    Returns the finished ImportBatch; its status is "failed" (with ``failure``) when a path could
    not be read, and rows already committed stay. Rollups of touched days are queued on commit.
    """
    developer, identity = developer_for_email(developer_email, source=Source.CLAUDE_CODE_JSONL)
    paths = [Path(p) for p in paths]
    if batch is None:
        batch = ImportBatch.objects.create(
            source=Source.CLAUDE_CODE_JSONL,
            label=", ".join(str(p) for p in paths)[:500],
            developer=developer,
            created_by=user,
        )
    batch.developer = developer
    batch.status = ImportBatch.Status.RUNNING
    batch.started_at = timezone.now()
    batch.total_bytes = total_size(paths)
    batch.save()
    run = TranscriptRun(batch, developer, identity, progress)
    try:
        for input_file in iter_input_files(paths):
            run.read(input_file)
        run.flush()
    except InputError as exc:
        run.flush()
        return run.finish(failure=str(exc))
    except Exception as exc:
        log.exception("import batch %s failed", batch.pk)
        run.finish(failure=f"{type(exc).__name__}: {exc}")
        raise
    return run.finish()


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
        cost = cost_of(_usage_of(event), event.timestamp, table)
        if cost != event.cost:
            event.cost = cost
            changed.append(event)
            if event.developer_id:
                dirty.add((event.developer_id, reporting_day(event.timestamp, tz)))
    with transaction.atomic():
        UsageEvent.objects.bulk_update(changed, ["cost"], batch_size=1000)
        daily_cost_mark_dirty(dirty)
    return len(changed)


REPRICE_FIELDS = (
    "id", "developer_id", "timestamp", "model", "input_tokens", "output_tokens", "cache_write_5m_tokens",
    "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests", "speed", "inference_geo", "is_batch", "cost",
)


def _usage_of(r) -> Usage:
    """The pricing input of a parsed request or a stored event (they share these field names)."""
    return Usage(
        model=r.model if isinstance(r, UsageEvent) else normalize_model(r.raw_model),
        input_tokens=r.input_tokens,
        output_tokens=r.output_tokens,
        cache_write_5m_tokens=r.cache_write_5m_tokens,
        cache_write_1h_tokens=r.cache_write_1h_tokens,
        cache_read_tokens=r.cache_read_tokens,
        web_search_requests=r.web_search_requests,
        speed=r.speed,
        inference_geo=r.inference_geo,
        is_batch=r.is_batch,
    )


def upload_batch_create(upload, *, developer, user) -> ImportBatch:
    """Store an uploaded file as a pending batch and queue its import once the row commits."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    batch = ImportBatch(
        source=Source.CLAUDE_CODE_JSONL, label=upload.name[:500], developer=developer, created_by=user,
        fingerprint=digest.hexdigest(), total_bytes=upload.size,
    )
    batch.upload.save(Path(upload.name).name, upload, save=False)
    batch.save()
    from .tasks import import_batch_run as task

    transaction.on_commit(lambda: task.delay(batch.pk))
    return batch


def import_batch_run(batch_id: int) -> ImportBatch:
    """Import a stored upload. A batch already finished or running is left alone (run twice: no-op)."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.RUNNING
    )
    batch = ImportBatch.objects.select_related("developer").get(pk=batch_id)
    if not claimed:
        return batch
    return transcripts_import([Path(batch.upload.path)], developer_email=batch.developer.email, batch=batch)


def relax_commit_durability() -> None:
    """Let this transaction commit without waiting for its WAL flush (PostgreSQL).

    Safe for imports: a flush commits its events together with the fingerprints of the files they
    came from, so a crash loses at most the last few flushes whole, and the next run redoes them.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


class TranscriptRun:
    """The state of one transcript import: requests waiting to be written, and the counts."""

    def __init__(self, batch: ImportBatch, developer: Developer, identity: Identity, progress):
        self.batch = batch
        self.developer = developer
        self.identity = identity
        self.progress = progress
        self.stats = ParseStats()
        self.pending: dict[str, ParsedRequest] = {}
        self.pending_files: list[tuple[InputFile, str]] = []
        self.pending_bytes = 0
        self.rejected = Counter()
        self.errors: list[dict] = []
        self.unpriced = Counter()
        self.tz = zone(OrgSettings.get().time_zone)
        self.table = rate_table()
        self.known = set(
            ImportedFile.objects.filter(developer=developer).values_list("fingerprint", flat=True)
        )

    def read(self, input_file: InputFile) -> None:
        fingerprint = input_file.fingerprint()
        if fingerprint in self.known:
            self.batch.files_unchanged += 1
            self.batch.processed_bytes += input_file.size
            if self.progress:
                self.progress(input_file.size)
            return
        self.known.add(fingerprint)
        self.batch.files_read += 1
        with input_file.open() as stream:
            for item in claude_code_jsonl.parse(stream, input_file.name, self.stats, self._on_bytes):
                if isinstance(item, Rejected):
                    self._reject(item)
                else:
                    self._add(item)
        self.pending_files.append((input_file, fingerprint))
        if len(self.pending) >= FLUSH_REQUESTS or self.pending_bytes >= FLUSH_BYTES:
            self.flush()

    def _on_bytes(self, n: int) -> None:
        self.pending_bytes += n
        self.batch.processed_bytes += n
        if self.progress:
            self.progress(n)
        if self.pending_bytes >= FLUSH_BYTES:
            self.flush(files_done=False)

    def _add(self, request: ParsedRequest) -> None:
        held = self.pending.get(request.dedupe_key)
        if held is None or request.output_tokens > held.output_tokens:
            self.pending[request.dedupe_key] = request

    def _reject(self, item: Rejected) -> None:
        self.rejected[item.reason] += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(item.as_dict())

    def flush(self, files_done: bool = True) -> None:
        """Write what is pending in one transaction, with the fingerprints of the files it completes."""
        requests = list(self.pending.values())
        files = self.pending_files if files_done else []
        self.pending, self.pending_bytes = {}, 0
        if files_done:
            self.pending_files = []
        with transaction.atomic():
            relax_commit_durability()
            rows = [self._row(r) for r in requests]
            stored = upsert_events(rows)
            written = [
                (r, row) for r, row in zip(requests, rows)
                if r.dedupe_key not in stored or r.output_tokens > stored[r.dedupe_key]
            ]
            ImportedFile.objects.bulk_create(
                [
                    ImportedFile(developer=self.developer, fingerprint=fp, name=f.name[:1000], size=f.size,
                                 batch=self.batch)
                    for f, fp in files
                ],
                ignore_conflicts=True,
            )
            daily_cost_mark_dirty({(self.developer.pk, reporting_day(r.timestamp, self.tz)) for r, _ in written})
            for _, row in written:
                if row[COST_AT] is None:
                    self.unpriced[row[MODEL_AT]] += 1
            grown = sum(1 for r, _ in written if r.dedupe_key in stored)
            self.batch.requests_new += len(written) - grown
            self.batch.requests_updated += grown
            self.batch.duplicates += len(requests) - len(written)
            self._save_counts()

    def _row(self, r: ParsedRequest) -> tuple:
        usage = _usage_of(r)
        model = usage.model
        cost = cost_of(usage, r.timestamp, self.table)
        return (
            r.dedupe_key, Source.CLAUDE_CODE_JSONL, self.batch.pk, self.developer.pk, self.identity.pk,
            r.timestamp, r.session_id, r.project, model, r.raw_model[:200], r.request_id, r.message_id,
            r.input_tokens, r.output_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens,
            r.cache_read_tokens, r.web_search_requests, r.service_tier, r.is_batch, r.speed,
            r.inference_geo, cost, r.reported_cost,
        )

    def _save_counts(self) -> None:
        b = self.batch
        b.lines, b.usage_lines = self.stats.lines, self.stats.usage_lines
        b.rejected = sum(self.rejected.values())
        b.rejected_by_reason = dict(self.rejected)
        b.errors = self.errors
        b.unpriced_models = [{"model": m, "requests": n} for m, n in sorted(self.unpriced.items())]
        b.save()

    def finish(self, failure: str = "") -> ImportBatch:
        self.batch.status = ImportBatch.Status.FAILED if failure else ImportBatch.Status.DONE
        self.batch.failure = failure
        self.batch.finished_at = timezone.now()
        self._save_counts()
        from costdash.rollups.tasks import daily_cost_recompute_dirty

        transaction.on_commit(daily_cost_recompute_dirty.delay)
        return self.batch
