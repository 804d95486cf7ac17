"""Parse in worker processes while the caller writes to the database: plain transcript files, and
large CSV files of a parser that reads parts (``parse_csv_part``), cut at record boundaries.

Workers parse and price (no database, no Django set-up). A transcript comes back as its requests'
rows, already reduced to the largest copy per key, with its rejected lines and counts; a CSV part
as rows without their people (identities are resolved by the caller, which owns the database).
Results come back in submission order, and only a bounded amount of input is out at once, so
memory stays flat however large the input.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
import csv
from dataclasses import dataclass, field
import importlib
import io
import itertools
import multiprocessing
import os
from types import ModuleType

from .csv_parts import CsvPart, Misaligned, header_span, line_parts, record_parts
from .cursors import read_transcript
from .files import InputFile
from .parsers import claude_code_jsonl
from .parsers.base import ParsedFailure, ParsedRequest, ParseStats, Rejected
from .rows import RowBuilder, Unowned

# Parsed results are a few percent of a file's bytes, so workers can run well ahead of the
# database writes without holding much memory.
MAX_BYTES_IN_FLIGHT = 512 * 1024 * 1024
TASK_BYTES = 8 * 1024 * 1024
# Below this much to parse, starting worker processes costs more than it saves.
MIN_BYTES_FOR_WORKERS = 48 * 1024 * 1024
PART_BYTES = 8 * 1024 * 1024  # a CSV part: ~1,800 SpendLogs rows, parsed in ~0.1 s
PARTS_IN_FLIGHT = 3  # per worker: one parsing, the next ones queued

_builder: RowBuilder | None = None  # set once in each worker process


def worker_count() -> int:
    """COSTDASH_IMPORT_WORKERS, else one per core up to two; 0 parses in-process.

    Always 0 inside a daemonic process (a Celery prefork child), which may not start processes.
    """
    if multiprocessing.current_process().daemon:
        return 0
    raw = os.environ.get("COSTDASH_IMPORT_WORKERS", "")
    if raw.strip():
        return max(0, int(raw))
    return min(2, os.cpu_count() or 1)


def read_file(stream, name: str, builder: RowBuilder, stats: ParseStats, on_bytes=None):
    """Parse one transcript into ({key: entry}, [rejected]) with the largest copy per key."""
    kept: dict[str, ParsedRequest] = {}
    rejected: list[Rejected] = []
    for item in claude_code_jsonl.parse(stream, name, stats, on_bytes):
        if isinstance(item, Rejected):
            rejected.append(item)
        else:
            held = kept.get(item.dedupe_key)
            if held is None or item.output_tokens > held.output_tokens:
                kept[item.dedupe_key] = item
    # Priced and encoded once per request, not once per streamed copy.
    return {key: builder.entry(request) for key, request in kept.items()}, rejected


def _init_worker(builder: RowBuilder) -> None:
    global _builder
    _builder = builder


def _parse_in_worker(files: list[tuple[str, str, int, int]]) -> list[tuple]:
    """Parse a few files (a task per file would cost more in overhead than a small file takes),
    each from its ``start`` (cursors.read_transcript)."""
    return [read_transcript(path, name, _builder, start, lines_before) for path, name, start, lines_before in files]


def job_bytes(job: tuple) -> int:
    """What a job ``(input_file, fingerprint, start, lines_before)`` has to parse."""
    return job[0].size - job[2]


def _tasks(jobs: Iterable[tuple]) -> Iterator[list[tuple]]:
    """Jobs grouped into tasks of about TASK_BYTES (a large file is a task of its own)."""
    task, size = [], 0
    for job in jobs:
        task.append(job)
        size += job_bytes(job)
        if size >= TASK_BYTES:
            yield task
            task, size = [], 0
    if task:
        yield task


def parse_files(jobs: Iterator[tuple], builder: RowBuilder, read_here) -> Iterator[tuple]:
    """For each job ``(input_file, fingerprint, start, lines_before)`` yield ``(*job, entries,
    rejected, stats, stopped, parsed_here)``, in the order of ``jobs`` (cursors.read_transcript).

    ``jobs`` is consumed lazily (the caller fingerprints files as it goes). Once enough bytes are
    waiting, the rest is parsed in worker processes; a small import is parsed here by ``read_here(job)``.
    """
    workers = worker_count()
    waiting, size = [], 0
    for job in jobs:
        waiting.append(job)
        size += job_bytes(job)
        if workers and size >= MIN_BYTES_FOR_WORKERS:
            yield from _parse_in_workers(itertools.chain(waiting, jobs), builder, workers)
            return
    for job in waiting:
        yield (*job, *read_here(job), True)


def _parse_in_workers(jobs: Iterator[tuple], builder: RowBuilder, workers: int) -> Iterator[tuple]:
    from concurrent.futures import ProcessPoolExecutor  # here: an import that parses nothing never loads it

    tasks = _tasks(jobs)
    in_flight: deque = deque()
    bytes_out = 0
    # spawn: a fork would share this process's open database connection with the workers.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(builder,)) as pool:
        while True:
            while not in_flight or bytes_out < MAX_BYTES_IN_FLIGHT:
                task = next(tasks, None)
                if task is None:
                    break
                files = [(str(job[0].path), job[0].name, job[2], job[3]) for job in task]
                in_flight.append((task, pool.submit(_parse_in_worker, files)))
                bytes_out += sum(job_bytes(job) for job in task)
            if not in_flight:
                return
            task, future = in_flight.popleft()
            bytes_out -= sum(job_bytes(job) for job in task)
            for job, result in zip(task, future.result(), strict=True):
                yield (*job, *result, False)


# --- Large CSV files, a part at a time ---------------------------------------------------------


@dataclass
class CsvPlan:
    """How to read a CSV file in parts: its header and where its records start."""

    header: list[str]
    start: int  # byte offset after the header record
    header_lines: int  # lines up to there, as the parser numbers them


def csv_plan(input_file: InputFile, parser: ModuleType, head: bytes) -> CsvPlan | None:
    """A plan when this file is worth parsing in parts: a plain file of at least
    MIN_BYTES_FOR_WORKERS, workers allowed, a parser that reads CSV parts, and a CSV header in
    ``head`` with every required column. Otherwise None: the file is read in one pass (which
    also reports what is wrong with a bad header)."""
    if input_file.path is None or input_file.size < MIN_BYTES_FOR_WORKERS or not worker_count():
        return None
    if not hasattr(parser, "parse_csv_part") or (span := header_span(head)) is None or head[span[0]] in b"[{":
        return None
    try:
        reader = csv.reader(io.StringIO(head[span[0] : span[1]].decode("utf-8"), newline=""))
        header = parser.csv_header(next(reader, []))
    except (UnicodeDecodeError, csv.Error):
        return None
    return CsvPlan(header, span[1], reader.line_num) if header else None


@dataclass
class PartResult:
    """One part of a CSV file, parsed. ``rows``: dedupe key -> (*Unowned, index into ``people``);
    ``rejected`` numbered by file line. A ``misaligned`` part carries nothing else: the caller reads
    the file from ``offset`` (a record start, after ``lines_before`` lines) in one pass instead."""

    offset: int
    size: int
    lines_before: int = 0
    lines: int = 0
    rows: dict[str, tuple] = field(default_factory=dict)
    people: list[tuple[str, str]] = field(default_factory=list)  # (identity, email)
    rejected: list[Rejected] = field(default_factory=list)
    failures: list[ParsedFailure] = field(default_factory=list)  # failed calls: errors, never rows
    stats: ParseStats = field(default_factory=ParseStats)
    misaligned: bool = False

    @property
    def stops(self) -> bool:
        """The parser gave up on the file here (a Rejected for line 0): later parts are not read."""
        return any(r.line == 0 for r in self.rejected)


def parse_csv_parts(input_file: InputFile, parser: ModuleType, plan: CsvPlan, builder: RowBuilder):
    """PartResults for the records of a large CSV file, in file order, parsed by worker processes.

    Parts are cut at newlines (csv_parts.line_parts) until one turns out not to end between records
    (a quoted field holding a newline); from that part on they are cut by counting quotes
    (record_parts), the parts cut at newlines after it dropped unread. Ends after a part that stops
    the reading, or with a part cut by counting that is misaligned (see csv_parts). Parts ahead are
    cut while earlier ones are parsed; at most PARTS_IN_FLIGHT per worker are out.
    """
    from concurrent.futures import ProcessPoolExecutor

    workers = worker_count()
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(builder,))
    in_flight: deque = deque()
    lines_before = plan.header_lines
    try:
        with open(input_file.path, "rb") as stream:
            parts, counted = line_parts(stream, plan.start, PART_BYTES), False
            while True:
                while len(in_flight) < PARTS_IN_FLIGHT * workers and (part := next(parts, None)):
                    offset, size = part
                    job = (parser.__name__, str(input_file.path), input_file.name, offset, size, plan.header,
                           offset + size < input_file.size)
                    in_flight.append(pool.submit(_parse_part_in_worker, *job))
                if not in_flight:
                    return
                result = in_flight.popleft().result()
                result.lines_before = lines_before
                if result.misaligned and not counted:  # cut inside a quoted field: cut again from here
                    for future in in_flight:
                        future.cancel()
                    in_flight.clear()
                    parts, counted = record_parts(stream, result.offset, PART_BYTES), True
                    continue
                if result.misaligned:
                    yield result
                    return
                for item in result.rejected:
                    item.line += lines_before if item.line else 0
                lines_before += result.lines
                yield result
                if result.stops:
                    return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _parse_part_in_worker(module: str, path: str, name: str, offset: int, size: int, header: list[str],
                          ends_part: bool) -> PartResult:
    parser = importlib.import_module(module)
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.pread(fd, size, offset)
    finally:
        os.close(fd)
    result = PartResult(offset=offset, size=size)
    part = CsvPart(data, ends_part, len(header))
    people: dict[tuple[str, str], int] = {}
    rows = result.rows
    try:
        for item in parser.parse_csv_part(part, name, result.stats, header, 0):
            if isinstance(item, Rejected):
                result.rejected.append(item)
                continue
            if type(item) is ParsedFailure:
                result.failures.append(item)
                continue
            who = people.setdefault((item.identity, item.email), len(people))
            held = rows.get(item.dedupe_key)
            if held is None or item.output_tokens > held[0]:
                unowned: Unowned = _builder.unowned(item, parser.SOURCE)
                rows[item.dedupe_key] = (*unowned, who)
    except Misaligned:
        return PartResult(offset=offset, size=size, misaligned=True)
    result.people = list(people)
    result.lines = part.lines
    return result
