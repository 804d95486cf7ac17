"""Benchmark migration ingest.0013 (usage events partitioned by month, PostgreSQL) on an existing install's rows,
and the upsert path (COPY, as imports write) before and after it.

    python benchmarks/partition_migration.py --rows 1000000
    python benchmarks/partition_migration.py --rows 5000000 --developers 2000 --months 12

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/costdash_partbench) is created if missing, migrated, then
ingest is taken back to 0012 (the reverse of 0013: a plain table keyed by dedupe_key), filled with ``--rows``
transcript-like events of ``--developers`` developers spread evenly over ``--months`` months ending now, and
migrated forward again; the time of that migration and the table's size before and after are printed. Then
``--upsert`` rows (5,000 a flush, as an import flushes) are written new and written again (all duplicates),
through ingest.upsert's COPY path, on the partitioned table (``upsert_rate`` run by the code before 0013 gives the
plain table's figure to compare with).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
import subprocess
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/costdash_partbench")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "costdash.settings")

FLUSH = 5000


def load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def migrate(*target: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0", *target], check=True,
                   cwd=ROOT)
    return time.perf_counter() - started


def size(cursor) -> str:
    cursor.execute("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                   "WHERE c.oid = 'ingest_usageevent'::regclass OR c.oid IN "
                   "(SELECT inhrelid FROM pg_inherits WHERE inhparent = 'ingest_usageevent'::regclass)")
    return cursor.fetchone()[0]


def fill(rows: int, developers: int, months: int) -> None:
    from django.db import connection

    from costdash.accounts.models import Developer

    Developer.objects.bulk_create([Developer(email=f"bench{i}@example.com", name=f"Bench {i}")
                                   for i in range(developers)], ignore_conflicts=True, batch_size=2000)
    first = Developer.objects.order_by("pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ingest_usageevent")
        span = months * 30 * 86400
        for start in range(0, rows, 500_000):
            end = min(rows, start + 500_000)
            cursor.execute(f"""
                INSERT INTO ingest_usageevent (dedupe_key, source, "timestamp", session_id, project, model, raw_model,
                    request_id, message_id, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                    cache_read_tokens, web_search_requests, service_tier, is_batch, speed, inference_geo, cost,
                    reported_cost, batch_id, developer_id, identity_id, dimensions)
                SELECT 'cc:msg_01' || substr(md5(i::text), 1, 24), 'claude_code_jsonl',
                    now() - make_interval(secs => {span} * (i::float8 / {rows})),
                    'sess-' || (i / 40), '/home/dev/project-' || (i % {developers} % 17), 'claude-sonnet-4-6',
                    'claude-sonnet-4-6', 'req_011C' || substr(md5((i * 7)::text), 1, 20),
                    'msg_01' || substr(md5(i::text), 1, 24), 4, 100 + i % 700, i % 3 * 1500, 0, 20000 + i % 9000, 0,
                    'standard', false, '', '', 0.0123, NULL, NULL, {first} + i % {developers}, NULL, NULL
                FROM generate_series({start}, {end - 1}) AS i""")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ingest_usageevent")


def upsert_rate(n: int, tag: str) -> tuple[float, float]:
    """(rows/s new, rows/s all duplicates) writing ``n`` rows through ingest.upsert's COPY path."""
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from costdash.accounts.models import Developer
    from costdash.ingest.parsers.base import ParsedRequest
    from costdash.ingest.rows import RowBuilder
    from costdash.ingest.upsert import upsert_events
    from costdash.pricing.services import rate_table

    developer = Developer.objects.order_by("pk").first()
    builder = RowBuilder(batch_id=None, table=rate_table(), tz_name="UTC", copy_text=True,
                         source="claude_code_jsonl", developer_id=developer.pk)
    now = datetime.now(UTC)
    rows = [builder.entry(ParsedRequest(dedupe_key=f"bench:{tag}:{i}", timestamp=now - timedelta(seconds=i * 97),
                                        raw_model="claude-sonnet-4-6", output_tokens=100 + i % 300,
                                        cache_read_tokens=20000))[1] for i in range(n)]
    rates = []
    for _ in range(2):
        started = time.perf_counter()
        for i in range(0, n, FLUSH):
            with transaction.atomic():
                upsert_events(rows[i:i + FLUSH])
        rates.append(n / (time.perf_counter() - started))
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--developers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--upsert", type=int, default=100_000)
    parser.add_argument("--reverse", action="store_true", help="also time the migration back to a plain table")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    migrate()
    migrate("ingest", "0012")
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    fill(args.rows, args.developers, args.months)
    print(f"filled {args.rows:,} events ({args.developers} developers, {args.months} months) in "
          f"{time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        print(f"plain table: {size(cursor)} (load {load()})")
    connection.close()
    seconds = migrate("ingest", "0013")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'ingest_usageevent'::regclass")
        parts = cursor.fetchone()[0]
        print(f"migration 0013: {seconds:.1f} s for {args.rows:,} rows ({args.rows / seconds:,.0f} rows/s), "
              f"{parts} partitions, {size(cursor)} (load {load()})")
    migrate()
    new, again = upsert_rate(args.upsert, "p")
    print(f"upsert partitioned: {new:,.0f} rows/s new, {again:,.0f} rows/s duplicates (load {load()})")
    connection.close()
    if args.reverse:
        seconds = migrate("ingest", "0012")
        print(f"migration 0013 reversed: {seconds:.1f} s (load {load()})")
        migrate()


if __name__ == "__main__":
    main()
