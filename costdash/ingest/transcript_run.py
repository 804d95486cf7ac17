"""The state of one transcript import: what is waiting to be written, and the counts people see."""
from __future__ import annotations

from collections import Counter

from django.db import connection, transaction

from costdash.accounts.models import Developer, Identity, OrgSettings
from costdash.pricing.services import rate_table
from costdash.rollups.services import daily_cost_mark_dirty

from . import parallel
from .files import InputFile
from .models import ImportBatch, ImportedFile, Source
from .parsers.base import ParseStats, Rejected
from .rows import Entry, RowBuilder, keep_largest
from .upsert import upsert_events

FLUSH_REQUESTS = 5000
FLUSH_BYTES = 64 * 1024 * 1024
MAX_STORED_ERRORS = 500


class TranscriptRun:
    """Reads files, holds the largest copy of each request, and writes them in flushes.

    A flush is one transaction: the pending rows, the fingerprints of the files they completed,
    the dirty days they touched and the batch's counts. A crash loses only unflushed work,
    and a re-run skips the files already recorded.
    """

    def __init__(self, batch: ImportBatch, developer: Developer, identity: Identity, progress):
        self.batch = batch
        self.developer = developer
        self.progress = progress
        self.builder = RowBuilder(
            source=Source.CLAUDE_CODE_JSONL.value, batch_id=batch.pk, developer_id=developer.pk,
            identity_id=identity.pk, table=rate_table(), tz_name=OrgSettings.get().time_zone,
            copy_text=connection.vendor == "postgresql",
        )
        self.stats = ParseStats()
        self.pending: dict[str, Entry] = {}
        self.pending_files: list[tuple[InputFile, str]] = []
        self.pending_bytes = 0
        self.rejected = Counter()
        self.errors: list[dict] = []
        self.unpriced = Counter()
        self.known = set(ImportedFile.objects.filter(developer=developer).values_list("fingerprint", flat=True))

    def read_all(self, input_files) -> None:
        """Read every file not already imported. Plain files go to worker processes when there is
        enough to parse; archive members (streams) are parsed here as they come."""
        parsed = parallel.parse_files(self._new_plain_files(input_files), self.builder, self._parse_here)
        for input_file, fingerprint, entries, rejected, stats, parsed_here in parsed:
            if not parsed_here:  # a file parsed here has reported its progress chunk by chunk
                self._on_progress(input_file.size)
            self._take(input_file, fingerprint, entries, rejected, stats)

    def _new_plain_files(self, input_files):
        """(plain file, fingerprint) for each file not read before; archive members are read here."""
        for input_file in input_files:
            fingerprint = input_file.fingerprint()
            if fingerprint in self.known:
                self.batch.files_unchanged += 1
                self._on_progress(input_file.size)
                continue
            self.known.add(fingerprint)
            if input_file.path is None:
                self._take(input_file, fingerprint, *self._parse_here(input_file))
            else:
                yield input_file, fingerprint

    def _parse_here(self, input_file: InputFile) -> tuple:
        stats = ParseStats()
        with input_file.open() as stream:
            entries, rejected = parallel.read_file(stream, input_file.name, self.builder, stats, self._on_progress)
        return entries, rejected, stats

    def _take(self, input_file, fingerprint, entries: dict[str, Entry], rejected, stats: ParseStats) -> None:
        """Fold in one parsed file."""
        self.batch.files_read += 1
        self.pending_bytes += input_file.size
        for name in ("lines", "usage_lines", "synthetic", "bytes"):
            setattr(self.stats, name, getattr(self.stats, name) + getattr(stats, name))
        for item in rejected:
            self._reject(item)
        pending = self.pending
        for key, entry in entries.items():
            keep_largest(pending, key, entry)
        self.pending_files.append((input_file, fingerprint))
        if len(pending) >= FLUSH_REQUESTS or self.pending_bytes >= FLUSH_BYTES:
            self.flush()

    def _on_progress(self, n: int) -> None:
        self.batch.processed_bytes += n
        if self.progress:
            self.progress(n)

    def _reject(self, item: Rejected) -> None:
        self.rejected[item.reason] += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(item.as_dict())

    def flush(self) -> None:
        """Write what is pending in one transaction, with the fingerprints of the files it completes."""
        pending, files = self.pending, self.pending_files
        self.pending, self.pending_files, self.pending_bytes = {}, [], 0
        with transaction.atomic():
            relax_commit_durability()
            written = upsert_events(entry[1] for entry in pending.values())
            ImportedFile.objects.bulk_create(
                [
                    ImportedFile(developer_id=self.builder.developer_id, fingerprint=fp, name=f.name[:1000],
                                 size=f.size, batch_id=self.builder.batch_id)
                    for f, fp in files
                ],
                ignore_conflicts=True,
            )
            dirty = set()
            for key, (_, _, day, unpriced_model) in pending.items():
                if key in written:
                    dirty.add((self.builder.developer_id, day))
                    if unpriced_model:
                        self.unpriced[unpriced_model] += 1
            daily_cost_mark_dirty(dirty)
            inserted = sum(written.values())
            self.batch.requests_new += inserted
            self.batch.requests_updated += len(written) - inserted
            self.batch.duplicates += len(pending) - len(written)
            self.save_counts()

    def save_counts(self) -> None:
        b = self.batch
        b.lines, b.usage_lines = self.stats.lines, self.stats.usage_lines
        b.rejected = sum(self.rejected.values())
        b.rejected_by_reason = dict(self.rejected)
        b.errors = self.errors
        b.unpriced_models = [{"model": m, "requests": n} for m, n in sorted(self.unpriced.items())]
        b.save()


def relax_commit_durability() -> None:
    """Let this transaction commit without waiting for its WAL flush (PostgreSQL).

    Safe for imports: a flush commits its events together with the fingerprints of the files they
    came from, so a crash loses at most the last few flushes whole, and the next run redoes them.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
