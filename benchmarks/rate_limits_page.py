"""Benchmark the Rate limits page and API at a large team's scale: server time and SQL queries, and
the per-minute figures read from raw requests instead of the MinuteUsage rollup (why it exists).

    python benchmarks/rate_limits_page.py                    # 200 developers x 365 days (dashboard_pages.py's data)
    python benchmarks/rate_limits_page.py --reuse            # keep the data a previous run loaded
    python benchmarks/rate_limits_page.py --developers 20 --days 60 --runs 3   # a quick look

The data and its rollups (MinuteUsage among them) come from benchmarks/dashboard_pages.py's loader
(same generator, same real recompute), in its own database (--db, default costdash_ratelimits_bench,
so it never empties another benchmark's data nor DATABASE_URL's). Each variant is requested --runs
times with Django's test client after one warm-up request that counts the SQL queries: the page over
14 days (default), 31 and 92 days (the most it takes), a team's charts, and the API over 31 days.
Target as for every page: median < 300 ms, none over 1 s. Then the same org figures for 31 days
straight from UsageEvent (date_trunc to the minute, percentile_cont), timed alike.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import statistics
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_pages as bench  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_ratelimits_bench"
RAW_SQL = """
    WITH m AS (
        SELECT date_trunc('minute', timestamp) AS minute, COUNT(*) AS rpm,
               SUM(input_tokens + cache_write_5m_tokens + cache_write_1h_tokens) AS itpm
        FROM ingest_usageevent WHERE timestamp >= %s AND timestamp < %s GROUP BY 1
    )
    SELECT (minute AT TIME ZONE %s)::date AS day, percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY rpm),
           MAX(rpm), percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY itpm::float8), MAX(itpm)
    FROM m GROUP BY 1
"""


def variants(team: int) -> list[tuple[str, str, str, dict]]:
    """(page, variant, url, params) of every timed request, as the admin."""
    from django.urls import reverse

    from costdash.dashboard.filters import org_today

    today = org_today()
    page, api = reverse("ratelimits:page"), reverse("api:rate_limits")

    def last(days: int) -> dict:
        return {"since": (today - timedelta(days=days - 1)).isoformat(), "until": today.isoformat()}

    return [
        ("Rate limits", "14 days", page, {}),
        ("Rate limits", "31 days", page, last(31)),
        ("Rate limits", "92 days", page, last(92)),
        ("Rate limits", "team, 31 days", page, last(31) | {"scope": f"team-{team}"}),
        ("Rate API", "31 days", api, last(31)),
        ("Rate API", "92 days", api, last(92)),
    ]


def raw_events(runs: int) -> None:
    """The org's per-minute figures for 31 days read from UsageEvent itself, as a page would without the rollup."""
    from django.db import connection

    from costdash.accounts.models import OrgSettings
    from costdash.dashboard.filters import org_today
    from costdash.lib.dates import day_bounds, zone

    tz = OrgSettings.get().time_zone
    today = org_today()
    start, _ = day_bounds(today - timedelta(days=30), zone(tz))
    _, end = day_bounds(today, zone(tz))
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs + 1):
            started = time.perf_counter()
            cursor.execute(RAW_SQL, [start, end, tz])
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    times = times[1:]  # the first warms the cache
    print(f"raw events:    the org's 31 days from UsageEvent: median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms (one query; no index leads with the timestamp)")


def _no_minutes() -> bool:
    from costdash.ratelimits.models import MinuteUsage

    return not MinuteUsage.objects.exists()


def main(argv: list[str] | None = None) -> int:
    args = bench.arguments(__doc__.splitlines()[0], DEFAULT_DB).parse_args(argv)
    bench.data_ready(args, rollups_missing=_no_minutes)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from costdash.ingest.models import UsageEvent
    from costdash.ratelimits.models import MinuteUsage, OrgRateLimit

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {MinuteUsage._meta.db_table}")
    rows, requests = MinuteUsage.objects.count(), UsageEvent.objects.count()
    print(f"rollups:       {rows:,} MinuteUsage rows for {requests:,} requests")
    limits = OrgRateLimit.get()
    limits.itpm, limits.otpm, limits.rpm = 2_000_000, 400_000, 4_000  # so the throttled minutes are counted
    limits.save()
    User = get_user_model()
    admin = Client(raise_request_exception=False)
    admin.force_login(User.objects.get(username=bench.ADMIN))
    team = User.objects.get(username=bench.DEVELOPER).developer.team_id
    bench.print_header()
    results = []
    for page, variant, url, params in variants(team):
        results.append(bench.request_timed(admin, url, params, args.runs, page, variant))
        bench.print_result(results[-1])
    raw_events(min(args.runs, 3))
    failed = [f"{r.page} ({r.variant})" for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} variants met the target"
          + (f"; missed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
