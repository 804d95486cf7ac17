"""The state of one import: what is waiting to be written, and the counts people see."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
import time
from types import ModuleType

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from costdash.accounts.models import Developer, Identity, OrgSettings
from costdash.accounts.services import IdentityMap
from costdash.pricing.services import rate_table
from costdash.rollups.services import daily_cost_mark_dirty

from . import metric_series, parallel, retention
from .aggregates import records_write
from .conflicts import request_conflicts_record
from .csv_parts import CsvPart
from .cursors import CURSOR_FIELDS, Cursor, Stopped, path_key, read_transcript, screen, stopped_unparsed
from .files import InputFile, MemberRefused, Replay
from .models import ImportBatch, ImportedFile, Source, TranscriptCursor
from .parsers import HEAD_BYTES, claude_code_jsonl, parser_for
from .parsers.base import ParsedRequest, ParseStats, Record, Rejected
from .rows import Entry, RowBuilder, keep_largest
from .sweep import heartbeat_renew
from .upsert import conflicts_of, developers_lock, upsert_events

FLUSH_REQUESTS = 5000
FLUSH_BYTES = 64 * 1024 * 1024
MAX_STORED_ERRORS = 500
TRANSCRIPTS_ONLY = "only Claude Code transcripts can be imported here: this format names other people (ask an admin)"
NO_DEVELOPER = (
    "a Claude Code transcript does not say whose it is: import it for a developer "
    "(--developer EMAIL, or the upload form)"
)


class ImportRun:
    """Reads files, holds the largest copy of each request, and writes them in flushes.

    Each file goes to the parser that recognises it. Transcripts belong to the developer the
    uploader named (``developer``/``identity``, None when nobody was named) and, in bulk, are
    parsed in worker processes; other formats name their own people, resolved here (a large CSV
    file is parsed in parts by worker processes too, its people still resolved here).

    A flush is one transaction: the pending rows, the fingerprints of the files they completed,
    the dirty days they touched and the batch's counts. A crash loses only unflushed work,
    and a re-run skips the files already recorded.
    """

    def __init__(self, batch: ImportBatch, developer: Developer | None, identity: Identity | None, progress):
        self.batch = batch
        self.developer = developer
        self.progress = progress
        self.beat_at = time.monotonic()
        self.builder = RowBuilder(
            batch_id=batch.pk, table=rate_table(), tz_name=OrgSettings.get().time_zone,
            copy_text=connection.vendor == "postgresql", source=Source.CLAUDE_CODE_JSONL.value,
            developer_id=developer.pk if developer else None, identity_id=identity.pk if identity else None,
        )
        self.identities = IdentityMap()
        self.stats = ParseStats()
        self.pending: dict[str, Entry] = {}
        self.pending_records: list[tuple[str, Record]] = []
        self.pending_files: list[tuple[InputFile, str, int | None]] = []
        self.pending_cursors: list[tuple[InputFile, Stopped]] = []
        self.pending_bytes = 0
        self.rejected = Counter()
        self.errors: list[dict] = []
        self.unpriced = Counter()
        self.sources: set[str] = set()
        self.dirtied = False  # a flush wrote rows that may have changed a rollup (its days are marked dirty)
        self.expect_new = True  # the next flush's rows are likely all new requests (entries_write's ``new``)
        owners = Q(developer=None) | Q(developer=developer) if developer else Q(developer=None)
        imported = ImportedFile.objects.filter(owners).values_list("fingerprint", "developer_id")
        self.known = set()
        self.owned = set()  # the transcripts imported for this developer before this run (not by another)
        for fingerprint, owner in imported:
            self.known.add(fingerprint)
            if owner is not None:
                self.owned.add(fingerprint)
        self.cursors: dict[str, Cursor] = {
            key: Cursor(*figures)
            for key, *figures in TranscriptCursor.objects.filter(developer=developer).values_list(*CURSOR_FIELDS)
        } if developer else {}

    def read_all(self, input_files) -> None:
        """Read every file not already imported."""
        jobs = self._transcript_jobs(input_files)
        parsed = parallel.parse_files(jobs, self.builder, self._parse_transcript_here)
        for input_file, fingerprint, start, _, entries, rejected, stats, stopped, parsed_here in parsed:
            if not parsed_here:  # a file parsed here has reported its progress chunk by chunk
                self._on_progress(input_file.size)
            if start:
                self.batch.files_resumed += 1
            self.pending_cursors.append((input_file, stopped))
            self._take(input_file, fingerprint, self.developer.pk, entries, rejected, stats)

    def _transcript_jobs(self, input_files):
        """(plain transcript file, fingerprint, start, lines before start) to parse in bulk, from
        where the last import stopped when it grew (ingest.cursors); every other file is read here."""
        for input_file in input_files:
            unchanged, cursor, fingerprint = screen(input_file, self.cursors, self.known)
            if unchanged:  # as its last import left it (by its cursor's stat: not even opened), or already read
                if fingerprint is not None:
                    self._cursor_refresh(input_file, cursor, fingerprint)
                self.batch.files_unchanged += 1
                self._on_progress(input_file.size)
                continue
            if cursor is not None and (start := cursor.resume_at(
                    str(input_file.path), input_file.device, input_file.inode, input_file.size)) is not None:
                self.sources.add(claude_code_jsonl.SOURCE)
                yield input_file, fingerprint, start, cursor.lines
                continue
            if input_file.refused:  # an archive member over its caps (ingest/files.py): never inflated
                self._reject(Rejected(input_file.name, 0, input_file.refused))
                self._on_progress(input_file.size)
                continue
            try:
                head, stream = self._head(input_file)
            except MemberRefused as exc:  # a corrupt archive member: the next one is still read
                self._reject(Rejected(input_file.name, 0, str(exc)))
                continue
            parser = parser_for(head, input_file.name)
            if parser is None:
                stream.close()
                self.batch.files_ignored += 1
                self._on_progress(input_file.size)
            elif parser is not claude_code_jsonl and self.batch.transcripts_only:
                stream.close()
                self._reject(Rejected(input_file.name, 0, TRANSCRIPTS_ONLY))
                self._on_progress(input_file.size)
            elif parser is claude_code_jsonl and self.developer is None:
                stream.close()
                self._reject(Rejected(input_file.name, 0, NO_DEVELOPER))
                self._on_progress(input_file.size)
            elif parser is claude_code_jsonl and input_file.path is not None:
                stream.close()
                self.sources.add(parser.SOURCE)
                yield input_file, fingerprint, 0, 0
            elif (plan := parallel.csv_plan(input_file, parser, head)) is not None:
                stream.close()
                self.sources.add(parser.SOURCE)
                self._read_in_parts(input_file, fingerprint, parser, plan)
            else:
                self.sources.add(parser.SOURCE)
                try:
                    self._read_here(input_file, fingerprint, parser, Replay(head, stream))
                except MemberRefused as exc:  # past its declared size, or corrupt: the rest still imports
                    self._reject(Rejected(input_file.name, 0, str(exc)))

    def _cursor_refresh(self, input_file: InputFile, cursor: Cursor | None, fingerprint: str) -> None:
        """A transcript skipped by its fingerprint only (its cursor gone, as for a file imported before cursors
        existed, or its stat changed: touched, copied without its times, grown then cut back): record the
        cursor a completed read would have left, with the run's next flush, so the next import skips it by its
        stat (and ingest.fast_reimport can take the tree). Only for a plain file whose content was imported for
        this developer before this run: not another person's file, nor a copy of one first read in this run
        (its events are not written yet; the next run records it)."""
        if input_file.path is None or fingerprint not in self.owned:
            return
        stopped = stopped_unparsed(str(input_file.path), input_file.device, input_file.inode, input_file.size,
                                   cursor)
        if stopped is not None:
            self.pending_cursors.append((input_file, stopped))
            if len(self.pending_cursors) >= FLUSH_REQUESTS:
                self.flush()

    @staticmethod
    def _head(input_file: InputFile):
        stream = input_file.open()
        return stream.read(HEAD_BYTES), stream

    def _parse_transcript_here(self, job: tuple) -> tuple:
        input_file, _, start, lines_before = job
        self._on_progress(start)
        return read_transcript(str(input_file.path), input_file.name, self.builder, start, lines_before,
                               self._on_progress)

    def _read_here(self, input_file: InputFile, fingerprint: str, parser: ModuleType, stream) -> None:
        """Parse a file here, each request attributed to the person its own record names.

        Rows are flushed as they accumulate, every FLUSH_REQUESTS, so memory stays flat however long
        the file. The file's fingerprint is recorded with its last flush only: after a crash part-way
        the whole file is read again, and the rows already written are duplicates (upsert by key).
        """
        stats = ParseStats()
        with stream:
            self._fold_items(parser.parse(stream, input_file.name, stats, self._on_progress), parser)
        owner = self.developer.pk if parser is claude_code_jsonl else None
        self._take(input_file, fingerprint, owner, {}, [], stats)

    def _fold_items(self, items, parser: ModuleType) -> None:
        """Hold what a parser yields, flushing every FLUSH_REQUESTS (without the file's fingerprint)."""
        is_transcript = parser is claude_code_jsonl
        pending, records = self.pending, self.pending_records
        for item in items:
            if isinstance(item, Rejected):
                self._reject(item)
                continue
            if not isinstance(item, ParsedRequest):  # a daily aggregate, activity or billed cost
                records.append((parser.SOURCE, item))
            elif is_transcript:
                keep_largest(pending, item.dedupe_key, self.builder.entry(item))
            else:
                identity_id, developer_id = self.identities.resolve(parser.SOURCE, item.identity, item.email)
                entry = self.builder.entry_for(item, parser.SOURCE, developer_id, identity_id)
                keep_largest(pending, item.dedupe_key, entry)
            if len(pending) + len(records) >= FLUSH_REQUESTS:
                self.flush()
                pending, records = self.pending, self.pending_records

    def _read_in_parts(self, input_file: InputFile, fingerprint: str, parser: ModuleType, plan) -> None:
        """As _read_here, for a large CSV file parsed a part at a time by worker processes; the people
        its rows name are resolved here. Flushed as parts come in; the fingerprint goes last."""
        stats = ParseStats(bytes=plan.start)
        self._on_progress(plan.start)
        days: dict[int, date] = {}
        for part in parallel.parse_csv_parts(input_file, parser, plan, self.builder):
            if part.misaligned:  # not RFC 4180 CSV: the rest in one pass, as the parser alone reads it
                with input_file.open() as stream:
                    stream.seek(part.offset)
                    items = parser.parse_csv_part(CsvPart(stream), input_file.name, stats, plan.header,
                                                  part.lines_before)
                    self._fold_items(items, parser)
                self._on_progress(input_file.size - part.offset)
                stats.bytes += input_file.size - part.offset
                break
            self._fold_part(part, parser.SOURCE, days)
            stats.lines += part.stats.lines
            stats.usage_lines += part.stats.usage_lines
            stats.bytes += part.size
            self._on_progress(part.size)
        self._take(input_file, fingerprint, None, {}, [], stats)

    def _fold_part(self, part: parallel.PartResult, source: str, days: dict[int, date]) -> None:
        people = []
        for identity, email in part.people:
            identity_id, developer_id = self.identities.resolve(source, identity, email)
            people.append((self.builder.person_ids(developer_id, identity_id), developer_id))
        pending = self.pending
        for key, (output, ordinal, unpriced_model, head, tail, who) in part.rows.items():
            ids, developer_id = people[who]
            day = days.get(ordinal) or days.setdefault(ordinal, date.fromordinal(ordinal))
            keep_largest(pending, key, (output, head + ids + tail, day, unpriced_model, developer_id))
        for item in part.rejected:
            self._reject(item)
        self.pending_records.extend((source, failure) for failure in part.failures)
        if len(pending) + len(self.pending_records) >= FLUSH_REQUESTS:
            self.flush()

    def _take(self, input_file, fingerprint, owner, entries: dict[str, Entry], rejected, stats: ParseStats) -> None:
        """Fold in one parsed file (``owner``: the developer a transcript was recorded for)."""
        self.batch.files_read += 1
        self.pending_bytes += input_file.size
        for name in ("lines", "usage_lines", "synthetic", "bytes"):
            setattr(self.stats, name, getattr(self.stats, name) + getattr(stats, name))
        for item in rejected:
            self._reject(item)
        pending = self.pending
        for key, entry in entries.items():
            keep_largest(pending, key, entry)
        self.pending_files.append((input_file, fingerprint, owner))
        if len(pending) + len(self.pending_records) >= FLUSH_REQUESTS or self.pending_bytes >= FLUSH_BYTES:
            self.flush()

    def _on_progress(self, n: int) -> None:
        self.batch.processed_bytes += n
        if self.progress:
            self.progress(n)
        if time.monotonic() - self.beat_at >= settings.COSTDASH_IMPORT_HEARTBEAT_SECONDS:
            self.beat_at = time.monotonic()
            heartbeat_renew(self.batch.pk)  # the lease between flushes, which renew it (ingest.sweep)

    def _reject(self, item: Rejected) -> None:
        """Count a rejection (a run counts each of its lines; ``rejected_by_reason`` is keyed by the
        plain reason) and keep the first MAX_STORED_ERRORS to show, a run as one entry."""
        self.rejected[item.reason] += item.count
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(item.as_dict())

    def flush(self) -> None:
        """Write what is pending in one transaction, with the fingerprints of the files it completes.
        Nothing when nothing is (the last flush of an import of unchanged files: _finish saves the counts)."""
        if not (self.pending or self.pending_files or self.pending_records or self.pending_cursors):
            return
        pending, files, records = self.pending, self.pending_files, self.pending_records
        self.pending, self.pending_files, self.pending_bytes, self.pending_records = {}, [], 0, []
        cursors, self.pending_cursors = self.pending_cursors, []
        with transaction.atomic():
            relax_commit_durability()
            result = entries_write(pending, new=self.expect_new, batch_id=self.batch.pk)
            # A flush of new requests only: the next one likely is too (a first import, or the part
            # of a re-export past what was imported before), so it tries the straight copy.
            self.expect_new = result.inserted == len(pending)
            self.dirtied = self.dirtied or bool(result.dirty or records)
            if records:
                records = metric_series.increases(records)  # cumulative metric points, against their series
                written = records_write(
                    records, batch_id=self.batch.pk, identities=self.identities, table=self.builder.table,
                    tz=self.builder.tz_name,
                )
                self.unpriced.update(written.unpriced)
                self.batch.records_new += written.new
                self.batch.records_updated += written.updated
                self.batch.records_unchanged += written.unchanged
                self.batch.failed_calls += written.failed
            ImportedFile.objects.bulk_create(
                [
                    ImportedFile(developer_id=owner, fingerprint=fp, name=f.name[:1000], size=f.size,
                                 batch_id=self.batch.pk)
                    for f, fp, owner in files
                ],
                ignore_conflicts=True,
            )
            if cursors:
                self._cursors_write(cursors)
            self.unpriced.update(result.unpriced)
            self.batch.requests_new += result.inserted
            self.batch.requests_updated += result.updated
            self.batch.duplicates += result.duplicates
            self.batch.conflicts += result.conflicts
            self.batch.skipped_retention += result.skipped_retention
            self.save_counts()

    def _cursors_write(self, cursors: list[tuple[InputFile, Stopped]]) -> None:
        """Record where each transcript's read stopped, with the events read up to there (same
        transaction), and the stat it was listed with: the next import skips or resumes it."""
        TranscriptCursor.objects.bulk_create(
            [
                TranscriptCursor(
                    developer_id=self.developer.pk, path_key=path_key(str(f.path)), path=str(f.path),
                    device=f.device, inode=f.inode, size=f.size, mtime_ns=f.mtime_ns, offset=stopped.offset,
                    lines=stopped.lines, prefix_hash=stopped.prefix_hash, batch_id=self.batch.pk,
                )
                for f, stopped in cursors
            ],
            update_conflicts=True, unique_fields=["developer", "path_key"],
            update_fields=["path", "device", "inode", "size", "mtime_ns", "offset", "lines", "prefix_hash",
                           "batch", "updated_at"],
        )

    def save_counts(self) -> None:
        b = self.batch
        b.lines, b.usage_lines = self.stats.lines, self.stats.usage_lines
        b.rejected = sum(self.rejected.values())
        b.rejected_by_reason = dict(self.rejected)
        b.errors = self.errors
        b.unpriced_models = [{"model": m, "requests": n} for m, n in sorted(self.unpriced.items())]
        if len(self.sources) == 1:
            b.source = next(iter(self.sources))
        elif self.sources:
            b.source = Source.FILES
        b.save()


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    conflicts: int = 0  # copies of requests stored for another person: kept as stored (ingest.conflicts)
    skipped_retention: int = 0  # requests on days raw-event retention froze: not stored (ingest.retention)
    unpriced: Counter = field(default_factory=Counter)
    dirty: set = field(default_factory=set)  # (developer id, day) of the events written


def entries_write(pending: dict[str, Entry], mark_dirty=daily_cost_mark_dirty, new: bool = False,
                  **origin) -> WriteResult:
    """Upsert entries (inside a transaction) and mark the developer-days they changed dirty
    (``mark_dirty``: how, given those (developer id, day) pairs). Copies of requests stored for
    another person are counted and recorded against ``origin`` (batch_id= or token_id=).
    ``new``: the entries are expected to be new requests (upsert_events' ``keys``)."""
    result = WriteResult()
    if pending and (frozen := retention.frozen_before()) is not None:
        kept = {key: entry for key, entry in pending.items() if entry[2] >= frozen}
        result.skipped_retention = len(pending) - len(kept)  # their days' events are gone, their rollups final
        pending = kept
    written = upsert_events((entry[1] for entry in pending.values()), keys=list(pending) if new else None)
    conflicts = []  # every row written (a first import): none can be another person's
    if len(written) < len(pending):
        conflicts = conflicts_of({key: entry[1] for key, entry in pending.items()}, written)
    request_conflicts_record(conflicts, **origin)
    dirty = result.dirty
    for key, (_, _, day, unpriced_model, developer_id) in pending.items():
        if key in written:
            if developer_id:
                dirty.add((developer_id, day))
            if unpriced_model:
                result.unpriced[unpriced_model] += 1
    developers_lock({developer_id for developer_id, _ in dirty})  # UsageEvent.developer has no FK constraint
    mark_dirty(dirty)
    result.inserted = sum(written.values())
    result.updated = len(written) - result.inserted
    result.conflicts = len(conflicts)
    result.duplicates = len(pending) - len(written) - result.conflicts
    return result


def relax_commit_durability() -> None:
    """Let this transaction commit without waiting for its WAL flush (PostgreSQL).

    Safe for imports: a flush commits its events together with the fingerprints of the files they
    came from, so a crash loses at most the last few flushes whole, and the next run redoes them.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
