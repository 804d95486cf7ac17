"""Benchmark the operations endpoints and the request middleware at a large install's table sizes.

    python benchmarks/ops_endpoints.py                  # 2,000 developers' worth of operational rows
    python benchmarks/ops_endpoints.py --reuse          # keep the rows a previous run loaded
    python benchmarks/ops_endpoints.py --runs 20 --batches 5000

In its own database (--db, default costdash_ops_bench): --batches import batches (years of hourly Admin API
pulls, uploads and CLI runs, a few pending or running), --tokens ingest tokens with counts, --dirty dirty
developer-days, --notifications alert deliveries. Then, with Django's test client: /readyz/ with its answer not
kept (every check run: a SELECT 1, the folder broker, heartbeats, the DirtyDay and ImportBatch aggregates),
/healthz/, and a whole /metrics scrape (every database family). Last, the middleware's own cost per request:
one histogram observation (in-process registry, and prometheus-client's multiprocess files).
Targets: /readyz/ and /metrics median < 100 ms (a probe every few seconds, a scrape every 15-30 s), the
middleware < 50 us a request.
"""
from __future__ import annotations

import argparse
from pathlib import Path
import statistics
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dashboard_pages import django_setup  # noqa: E402
from benchmarks.import_transcripts import database_ensure  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_ops_bench"


def rows_load(batches: int, tokens: int, dirty: int, notifications: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from costdash.accounts.models import Developer
    from costdash.alerts.models import Channel, Notification
    from costdash.alerts.services import channel_save
    from costdash.ingest.models import ImportBatch, IngestToken
    from costdash.rollups.models import DirtyDay

    now = timezone.now()
    sources = ["anthropic_usage", "claude_code_jsonl", "files", "litellm_spendlogs", "claude_code_analytics"]
    ImportBatch.objects.bulk_create([
        ImportBatch(source=sources[i % len(sources)], status="done" if i % 500 else "running", requests_new=i % 97,
                    rejected=i % 7, duplicates=i % 13) for i in range(batches)], batch_size=5000)
    kinds = ["otlp", "litellm", "transcripts", "files"]
    IngestToken.objects.bulk_create([
        IngestToken(name=f"t{i}", kind=kinds[i % 4], prefix="cdi_bench", digest=f"{i:064x}", requests=i * 1000,
                    events_new=i * 19000, rejected=i) for i in range(tokens)], batch_size=5000)
    developers = list(Developer.objects.values_list("pk", flat=True)[:2000])
    if len(developers) < 2000:
        Developer.objects.bulk_create([Developer(email=f"d{i}@bench.example", name=f"d{i}")
                                       for i in range(len(developers), 2000)])
        developers = list(Developer.objects.values_list("pk", flat=True)[:2000])
    today = now.date()
    DirtyDay.objects.bulk_create([
        DirtyDay(developer_id=developers[i % len(developers)], day=today - timedelta(days=i // len(developers)),
                 marked_at=now - timedelta(seconds=i)) for i in range(dirty)], batch_size=5000, ignore_conflicts=True)
    channels = [channel_save(Channel(kind=kind, name=f"bench {kind}"), config) for kind, config in (
        ("webhook", {"url": "https://hooks.example.com/bench"}), ("email", {"to": ["ops@example.com"]}))]
    statuses = ["sent"] * 8 + ["failed", "unknown"]
    Notification.objects.bulk_create([
        Notification(channel=channels[i % 2], status=statuses[i % len(statuses)]) for i in range(notifications)],
        batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(client, path: str, runs: int) -> list[float]:
    client.get(path)  # warm-up
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 503), (path, response.status_code)
    return out


def middleware_cost(observations: int) -> dict[str, float]:
    """Microseconds per request of the middleware's metric work (one histogram observation), in-process and in
    multiprocess mode (a child process with PROMETHEUS_MULTIPROC_DIR set)."""
    import os
    import subprocess
    import tempfile

    code = (f"import time\nfrom prometheus_client import Histogram\n"
            f"h = Histogram('x_seconds', 'x', ['view', 'method', 'status'])\n"
            f"s = time.perf_counter()\nfor i in range({observations}):\n"
            f"    h.labels('dashboard:overview', 'GET', '2xx').observe(0.01)\n"
            f"print((time.perf_counter() - s) / {observations} * 1e6)\n")
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for mode, env in (("in-process", {}), ("multiprocess", {"PROMETHEUS_MULTIPROC_DIR": folder})):
            done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True,
                                  text=True, check=True)
            out[mode] = float(done.stdout.strip())
    return out


def line(name: str, times: list[float], target_ms: float) -> str:
    median, worst = statistics.median(times), max(times)
    verdict = "meets" if median < target_ms else "MISSES"
    return f"{name:<32} median {median:7.1f} ms  max {worst:7.1f} ms  ({verdict} median < {target_ms:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--reuse", action="store_true", help="keep the rows a previous run loaded")
    parser.add_argument("--batches", type=int, default=50_000)
    parser.add_argument("--tokens", type=int, default=2_000)
    parser.add_argument("--dirty", type=int, default=20_000)
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    database_ensure(args.db)
    django_setup(args.db)
    from django.conf import settings
    from django.test import Client

    from costdash.ingest.models import ImportBatch

    if not args.reuse or not ImportBatch.objects.exists():
        started = time.perf_counter()
        rows_load(args.batches, args.tokens, args.dirty, args.notifications)
        print(f"loaded {args.batches:,} import batches, {args.tokens:,} ingest tokens, {args.dirty:,} dirty "
              f"developer-days, {args.notifications:,} deliveries in {time.perf_counter() - started:.1f} s")
    settings.COSTDASH_HEALTH_CACHE_SECONDS = 0  # every probe runs every check
    settings.COSTDASH_METRICS_TOKEN = ""  # the test client's 127.0.0.1 may scrape
    client = Client()
    print(line("/healthz/", timed(client, "/healthz/", args.runs), 100))
    print(line("/readyz/ (not kept)", timed(client, "/readyz/", args.runs), 100))
    print(line("/metrics", timed(client, "/metrics", args.runs), 100))
    for mode, micros in middleware_cost(200_000).items():
        verdict = "meets" if micros < 50 else "MISSES"
        print(f"middleware observation, {mode:<13} {micros:6.2f} us a request  ({verdict} < 50 us)")


if __name__ == "__main__":
    main()
