"""Benchmark the audit trail: the Audit trail page and /api/v1/audit/ over a large trail, and what following a
model costs a save (a person's, recorded; the system's, not).

    python benchmarks/audit_trail.py                    # 200,000 entries, 10 timed requests per variant
    python benchmarks/audit_trail.py --entries 20000 --runs 3 --reuse

Entries are bulk-inserted into their own database (--db, default costdash_audit_bench): 40 logins, every
followed kind of object, the events in proportion (mostly changes), timestamps over two years, each with a
small before/after. Then each page and API variant is requested --runs times after a warm-up request that
counts the SQL queries (target as for every page: median < 300 ms, none over 1 s). Last, 300 saves of a
followed model (a spend limit) as a person and as the system, and 300 saves of a model the system fills (a
developer-day), each timed per save, with the entries each wrote.
"""
from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
import random
import statistics
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_pages as bench  # noqa: E402
from benchmarks.import_transcripts import database_ensure  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_audit_bench"
SAVES = 300


def load(entries: int, seed: int) -> None:
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    from costdash.audit.events import EVENTS
    from costdash.audit.tracked import tracked_models

    rng = random.Random(seed)
    LogEntry.objects.all().delete()
    User = get_user_model()
    actors = [User.objects.get_or_create(username=f"admin{i:02d}", defaults={"email": f"admin{i:02d}@example.com"})[0]
              for i in range(40)]
    kinds = list(ContentType.objects.get_for_models(*tracked_models()).values())
    weights = [1 if event not in ("changed", "created") else 20 for event in EVENTS]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    batch = []
    for i in range(entries):
        event = rng.choices(EVENTS, weights)[0]
        before, after = rng.randint(1, 5000), rng.randint(1, 5000)
        actor = rng.choice(actors)
        batch.append(LogEntry(
            content_type=rng.choice(kinds), object_pk=str(rng.randint(1, 2000)), object_repr=f"object {i}",
            action=LogEntry.Action.UPDATE, actor=actor, actor_email=actor.email,
            timestamp=start + timedelta(seconds=rng.randint(0, 2 * 365 * 86400)),
            changes={"amount": [f"{before}.00", f"{after}.00"], "note": ["", "changed"]},
            additional_data={"event": event}))
        if len(batch) == 5000:
            LogEntry.objects.bulk_create(batch)
            batch = []
    LogEntry.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE auditlog_logentry")


def variants() -> list[tuple[str, dict]]:
    return [
        ("everything", {}),
        ("page 200", {"page": 200}),
        ("one login", {"actor": "admin07"}),
        ("one kind", {"kind": "limits.SpendLimit"}),
        ("one event", {"event": "deactivated"}),
        ("one month", {"since": "2026-03-01", "until": "2026-03-31"}),
        ("all four", {"actor": "admin07", "kind": "limits.SpendLimit", "event": "changed", "since": "2025-06-01",
                      "until": "2026-06-30"}),
    ]


def pages(runs: int) -> list[bench.Result]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    admin = get_user_model().objects.get_or_create(username="bench-admin")[0]
    admin.groups.add(Group.objects.get_or_create(name="admin")[0])
    client = Client()
    client.force_login(admin)
    results = []
    for name, url in (("Audit page", "/audit/"), ("Audit API", "/api/v1/audit/")):
        for variant, params in variants():
            results.append(bench.request_timed(client, url, params, runs, name, variant))
            bench.print_result(results[-1])
    return results


def saves() -> None:
    """Per-save time of a followed model as a person (one entry each) and as the system (none), and of a model the
    system fills (not followed: no receiver)."""
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model

    from costdash.accounts.models import Developer
    from costdash.audit.actor import acting_as
    from costdash.limits.models import SpendLimit
    from costdash.rollups.models import DeveloperDay

    admin = get_user_model().objects.get(username="bench-admin")
    limit = SpendLimit.objects.create(scope="org", amount=Decimal("100"))
    developer = Developer.objects.get_or_create(email="bench.dev@example.com")[0]
    day = DeveloperDay.objects.create(developer=developer, day=datetime(2026, 1, 1).date())

    def timed(label: str, save, person: bool) -> None:
        before = LogEntry.objects.count()
        times = []
        for i in range(SAVES):
            started = time.perf_counter()
            if person:
                with acting_as(admin):
                    save(i)
            else:
                save(i)
            times.append((time.perf_counter() - started) * 1000)
        written = LogEntry.objects.count() - before
        print(f"{label:<44} {statistics.median(times):>6.2f} ms median  {written:>4} entries", flush=True)

    def limit_save(i: int) -> None:
        limit.amount = Decimal(100 + i)
        limit.save()

    def day_save(i: int) -> None:
        day.cost = Decimal(i)
        day.save()

    print(f"\n{SAVES} saves each")
    timed("spend limit (followed), as a person", limit_save, True)
    timed("spend limit (followed), by the system", limit_save, False)
    timed("developer-day (not followed), by the system", day_save, False)
    timed("developer-day (not followed), as a person", day_save, True)
    limit.delete()
    day.delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=10, help="Timed requests per variant (default 10)")
    parser.add_argument("--reuse", action="store_true", help="Keep the entries a previous run loaded")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"PostgreSQL URL (default {DEFAULT_DB})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of a slow page")
    args = parser.parse_args(argv)
    database_ensure(args.db)
    bench.django_setup(args.db)
    from auditlog.models import LogEntry

    if not args.reuse or LogEntry.objects.count() < args.entries:
        started = time.perf_counter()
        load(args.entries, args.seed)
        print(f"loaded {args.entries:,} entries in {time.perf_counter() - started:.1f} s")
    print(f"{LogEntry.objects.count():,} entries")
    bench.print_header()
    results = pages(args.runs)
    if args.explain:
        bench.explain(results)
    saves()
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
