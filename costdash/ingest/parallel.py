"""Parse plain transcript files in worker processes while the caller writes to the database.

Workers parse and price (no database, no Django set-up): each file comes back as its requests'
rows, already reduced to the largest copy per key, with its rejected lines and counts. Results
come back in submission order, and at most ``MAX_BYTES_IN_FLIGHT`` of files are out at once,
so memory stays flat however large the tree.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
import itertools
import multiprocessing
import os

from .parsers import claude_code_jsonl
from .parsers.base import ParsedRequest, ParseStats, Rejected
from .rows import RowBuilder

# Parsed results are a few percent of a file's bytes, so workers can run well ahead of the
# database writes without holding much memory.
MAX_BYTES_IN_FLIGHT = 512 * 1024 * 1024
TASK_BYTES = 8 * 1024 * 1024
# Below this much to parse, starting worker processes costs more than it saves.
MIN_BYTES_FOR_WORKERS = 48 * 1024 * 1024

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


def _parse_in_worker(files: list[tuple[str, str]]) -> list[tuple]:
    """Parse a few files (a task per file would cost more in overhead than a small file takes)."""
    results = []
    for path, name in files:
        stats = ParseStats()
        with open(path, "rb") as stream:
            entries, rejected = read_file(stream, name, _builder, stats)
        results.append((entries, rejected, stats))
    return results


def _tasks(jobs: Iterable[tuple]) -> Iterator[list[tuple]]:
    """Jobs grouped into tasks of about TASK_BYTES (a large file is a task of its own)."""
    task, size = [], 0
    for job in jobs:
        task.append(job)
        size += job[0].size
        if size >= TASK_BYTES:
            yield task
            task, size = [], 0
    if task:
        yield task


def parse_files(jobs: Iterator[tuple], builder: RowBuilder, read_here) -> Iterator[tuple]:
    """For each job ``(input_file, *extra)`` yield ``(input_file, *extra, entries, rejected, stats,
    parsed_here)``, in the order of ``jobs``.

    ``jobs`` is consumed lazily (the caller fingerprints files as it goes). Once enough bytes are
    waiting, the rest is parsed in worker processes; a small import is parsed here by ``read_here``.
    """
    workers = worker_count()
    waiting, size = [], 0
    for job in jobs:
        waiting.append(job)
        size += job[0].size
        if workers and size >= MIN_BYTES_FOR_WORKERS:
            yield from _parse_in_workers(itertools.chain(waiting, jobs), builder, workers)
            return
    for job in waiting:
        yield (*job, *read_here(job[0]), True)


def _parse_in_workers(jobs: Iterator[tuple], builder: RowBuilder, workers: int) -> Iterator[tuple]:
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
                files = [(str(job[0].path), job[0].name) for job in task]
                in_flight.append((task, pool.submit(_parse_in_worker, files)))
                bytes_out += sum(job[0].size for job in task)
            if not in_flight:
                return
            task, future = in_flight.popleft()
            bytes_out -= sum(job[0].size for job in task)
            for job, result in zip(task, future.result(), strict=True):
                yield (*job, *result, False)
