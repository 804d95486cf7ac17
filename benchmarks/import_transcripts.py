"""Benchmark the transcript import against PostgreSQL: speed, peak memory, correctness, re-import,
and the command end to end (process start included): an empty folder, the whole tree, the tree
again unchanged, and again after some of its transcripts grew (read from where the last import stopped).

    python benchmarks/import_transcripts.py --generate 1GB            # generate a corpus, then measure
    python benchmarks/import_transcripts.py --tree /tmp/corpus         # measure an existing tree

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/costdash_bench) is created if missing and
migrated; its usage tables are emptied first. Each measurement runs in a fresh child process, so
its peak RSS (ru_maxrss) is that import's alone. Rollups are queued, not run, during the import
and timed separately afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate_transcripts import describe, generate, load_stats, parse_size  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/costdash_bench"
DEVELOPER = "bench@example.com"
TARGET_MB_S = 200
TARGET_PEAK_MB = 300
TARGET_REIMPORT = 0.1
TARGET_CLI_EMPTY_S = 1.0  # "well under a second"
GROWN_FILES = 25  # transcripts that grow between the end-to-end imports (the largest among them)
GROWN_LINES = 4  # new requests appended to each


def child_env(database_url: str) -> dict[str, str]:
    """The environment of every child: the bench database, no Redis (tasks stay queued), no DEBUG."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="costdash.settings", DJANGO_DEBUG="false")
    if not env.get("DJANGO_SECRET_KEY"):
        env["COSTDASH_ALLOW_INSECURE_KEY"] = "true"
    return env


def database_ensure(database_url: str) -> None:
    """CREATE DATABASE if it does not exist (connecting to the server's ``postgres`` database)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(database_url)
    name = info.get("dbname")
    with psycopg.connect(make_conninfo(database_url, dbname="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def run_child(action: str, database_url: str, *args: str) -> dict:
    """Run ``action`` in a fresh Python process and return the JSON it prints last."""
    proc = subprocess.run([sys.executable, __file__, "_child", action, *args], env=child_env(database_url),
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{action} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- what the children do (each in its own process) ----

def _django() -> None:
    import django

    django.setup()
    from costdash.celery import app

    # Leave rollups queued (in-memory broker, no worker) so they are timed on their own.
    app.conf.task_always_eager = False


def _peak_mb() -> float:

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_migrate() -> dict:
    from django.core.management import call_command

    _django()
    call_command("migrate", interactive=False, verbosity=0)
    return {}


def child_flush() -> dict:
    from django.db import connection

    _django()
    from costdash.ingest.models import ImportBatch, ImportedFile, TranscriptCursor, UsageEvent
    from costdash.rollups.models import DailyCost, DirtyDay

    tables = [m._meta.db_table for m in (UsageEvent, ImportedFile, TranscriptCursor, ImportBatch, DailyCost, DirtyDay)]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
    return {}


def child_import(tree: str) -> dict:
    _django()
    from costdash.ingest import parallel
    from costdash.ingest.models import UsageEvent
    from costdash.ingest.services import usage_import

    baseline = _peak_mb()
    started = time.perf_counter()
    batch = usage_import([Path(tree)], developer_email=DEVELOPER)
    seconds = time.perf_counter() - started
    # Parse workers are this process's children: the largest of them, reaped by now, times the
    # number that ran at once, bounds what they added.
    workers = parallel.worker_count() if batch.total_bytes >= parallel.MIN_BYTES_FOR_WORKERS else 0
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": _peak_mb() + workers * worker_mb, "main_mb": _peak_mb(),
            "workers": workers, "worker_mb": worker_mb, "baseline_mb": baseline, "status": batch.status,
            "failure": batch.failure, "bytes": batch.total_bytes, "files_read": batch.files_read,
            "files_unchanged": batch.files_unchanged, "requests_new": batch.requests_new,
            "requests_updated": batch.requests_updated, "rejected": batch.rejected,
            "events": UsageEvent.objects.count()}


def child_rollup() -> dict:
    _django()
    from costdash.rollups.models import DailyCost
    from costdash.rollups.services import daily_cost_recompute_dirty

    started = time.perf_counter()
    days = daily_cost_recompute_dirty()
    return {"seconds": time.perf_counter() - started, "days": days, "rows": DailyCost.objects.count()}


def child_last_batch() -> dict:
    _django()
    from costdash.ingest.models import ImportBatch, UsageEvent

    b = ImportBatch.objects.latest("pk")
    return {"status": b.status, "files_read": b.files_read, "files_resumed": b.files_resumed,
            "files_unchanged": b.files_unchanged, "lines": b.lines, "requests_new": b.requests_new,
            "requests_updated": b.requests_updated, "rejected": b.rejected, "events": UsageEvent.objects.count()}


CHILDREN = {"migrate": child_migrate, "flush": child_flush, "import": child_import, "rollup": child_rollup,
            "last_batch": child_last_batch}


# ---- the command end to end ----

def cli_seconds(database_url: str, path: Path, fast_path: bool = True) -> tuple[float, float]:
    """(wall, CPU) seconds of `manage.py import_usage PATH` from process start to exit (embedded
    default: a rollup the import queues runs in that process). CPU is user + system of the command
    and its parse workers, not PostgreSQL's: on a shared machine it moves less than wall time.
    ``fast_path`` False: COSTDASH_IMPORT_FAST_PATH=false, the Django command whatever the tree."""
    env = {**child_env(database_url), "COSTDASH_IMPORT_FAST_PATH": "true" if fast_path else "false"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "manage.py", "import_usage", str(path), "--developer", DEVELOPER,
                           "--no-progress"], env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"import_usage {path} failed (exit {proc.returncode})")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(values: list) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def runs(timings: list[tuple[float, float]]) -> str:
    return ", ".join(f"{wall:.2f} ({cpu:.2f} CPU)" for wall, cpu in timings)


def grow(tree: Path) -> tuple[list[tuple[Path, int]], int]:
    """Append GROWN_LINES new requests (copies of a file's last usage line under new message ids)
    to GROWN_FILES transcripts, the largest one among them; returns [(file, its size before)] and
    the requests added."""
    files = sorted(tree.rglob("*.jsonl"), key=lambda p: p.stat().st_size)
    chosen = [files[-1], *files[:: max(1, len(files) // (GROWN_FILES - 1))][: GROWN_FILES - 1]]
    grown, added = [], 0
    for path in dict.fromkeys(chosen):
        data = path.read_bytes()
        usage = [line for line in data.splitlines() if b'"usage"' in line and b'"id":"msg_' in line]
        if not usage:
            continue
        grown.append((path, len(data)))
        with open(path, "ab") as fh:
            for i in range(GROWN_LINES):
                fh.write(usage[-1].replace(b'"id":"msg_', b'"id":"msg_grown%d_' % i, 1) + b"\n")
                added += 1
    return grown, added


def measure_cli(tree: Path, database_url: str) -> bool:
    empty = Path(tempfile.mkdtemp(prefix="costdash-empty-"))
    try:
        starts = [cli_seconds(database_url, empty) for _ in range(5)]
        django_starts = [cli_seconds(database_url, empty, fast_path=False) for _ in range(5)]
    finally:
        empty.rmdir()
    start = median(wall for wall, _ in starts)
    print(f"command start: {start:.2f} s to import an empty folder, end to end (median of 5: {runs(starts)}; "
          f"target well under {TARGET_CLI_EMPTY_S:.0f} s: {mark(start < TARGET_CLI_EMPTY_S)}); "
          f"the Django command (fast path off): {median(wall for wall, _ in django_starts):.2f} s "
          f"({runs(django_starts)})")
    run_child("flush", database_url)
    first = cli_seconds(database_url, tree)
    events = run_child("last_batch", database_url)["events"]
    again = [cli_seconds(database_url, tree) for _ in range(3)]
    unchanged = run_child("last_batch", database_url)
    ratio = median(wall for wall, _ in again) / first[0]
    cpu_ratio = median(cpu for _, cpu in again) / first[1]
    print(f"end to end:    first import {runs([first])} s; unchanged re-import {runs(again)} s "
          f"= {ratio:.3f} of the first (CPU: {cpu_ratio:.3f}; "
          f"target < {TARGET_REIMPORT}: {mark(ratio < TARGET_REIMPORT)}); "
          f"{unchanged['files_unchanged']:,} files unchanged, {unchanged['lines']} lines read")
    django = [cli_seconds(database_url, tree, fast_path=False) for _ in range(3)]
    unchanged_django = run_child("last_batch", database_url)
    print(f"               the Django command (fast path off): {runs(django)} s "
          f"= {median(wall for wall, _ in django) / first[0]:.3f} of the first "
          f"(CPU: {median(cpu for _, cpu in django) / first[1]:.3f}); "
          f"{unchanged_django['files_unchanged']:,} files unchanged, {unchanged_django['lines']} lines read")
    grown, added = grow(tree)
    try:
        seconds = runs([cli_seconds(database_url, tree)])
        after = run_child("last_batch", database_url)
    finally:
        for path, size in grown:
            with open(path, "r+b") as fh:
                fh.truncate(size)
    ok = after["events"] == events + added and unchanged["events"] == unchanged_django["events"] == events
    print(f"grown:         {len(grown)} transcripts grew by {added} requests: {seconds} s end to end, "
          f"{after['files_resumed']} read from where the last import stopped, {after['lines']:,} lines read, "
          f"{after['requests_new']} new events (events {events:,} -> {after['events']:,}: {'ok' if ok else 'WRONG'})")
    return ok


# ---- the report ----

def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report_first(first: dict, expected: int | None) -> bool:
    """Print the first import's figures; returns whether the event count is right (or unknown)."""
    mb = first["bytes"] / 1e6
    rate = mb / first["seconds"]
    print(f"first import:  {mb:,.1f} MB in {first['seconds']:.1f} s = {rate:,.0f} MB/s "
          f"(target >= {TARGET_MB_S} MB/s: {mark(rate >= TARGET_MB_S)}), "
          f"{first['requests_new'] / first['seconds']:,.0f} requests/s, status {first['status']} {first['failure']}")
    print(f"peak RSS:      {first['peak_mb']:,.0f} MB = importing process {first['main_mb']:,.0f} MB "
          f"+ {first['workers']} parse workers x {first['worker_mb']:,.0f} MB "
          f"(process baseline {first['baseline_mb']:,.0f} MB; "
          f"target < {TARGET_PEAK_MB} MB for 1 GB: {mark(first['peak_mb'] < TARGET_PEAK_MB)})")
    if expected is None:
        print(f"correctness:   {first['events']:,} events in the DB (no corpus-stats.json: nothing to check against)")
        return True
    ok = first["events"] == expected
    print(f"correctness:   {first['events']:,} events in the DB vs {expected:,} distinct requests written: "
          f"{'ok' if ok else 'WRONG'} (rejected lines: {first['rejected']})")
    return ok


def measure(tree: Path, database_url: str, expected: int | None) -> bool:
    database_ensure(database_url)
    run_child("migrate", database_url)
    run_child("flush", database_url)
    first = run_child("import", database_url, str(tree))
    ok = report_first(first, expected)
    rollup = run_child("rollup", database_url)
    print(f"rollups:       {rollup['days']:,} developer-days recomputed in {rollup['seconds']:.2f} s "
          f"({rollup['rows']:,} DailyCost rows)")
    again = run_child("import", database_url, str(tree))
    ratio = again["seconds"] / first["seconds"]
    print(f"re-import:     {again['seconds']:.2f} s = {ratio:.3f} of the first "
          f"(target < {TARGET_REIMPORT}: {mark(ratio < TARGET_REIMPORT)}); {again['files_unchanged']:,} files "
          f"unchanged, {again['requests_new']} new, peak RSS {again['peak_mb']:,.0f} MB")
    if again["events"] != first["events"]:
        print(f"re-import changed the event count: {first['events']:,} -> {again['events']:,}: WRONG")
        ok = False
    return measure_cli(tree, database_url) and ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--tree", type=Path, help="An existing tree (from generate_transcripts.py)")
    source.add_argument("--generate", type=parse_size, metavar="SIZE", help="Generate a corpus first, e.g. 1GB")
    parser.add_argument("--out", type=Path, help="Where --generate writes (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="Keep a generated temporary corpus")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    tree, scratch = args.tree, None
    if args.generate:
        tree = args.out or Path(tempfile.mkdtemp(prefix="costdash-corpus-"))
        scratch = None if (args.out or args.keep) else tree
        stats, seconds = generate(tree, args.generate, args.seed)
        print(f"corpus:        {describe(stats, seconds)}")
    try:
        stats = load_stats(tree)
        return 0 if measure(tree, database_url, stats.distinct_requests if stats else None) else 1
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:])))
        sys.exit(0)
    sys.exit(main())
