"""Benchmark the Sessions list page on synthetic session rollups at 2,000 developers x 365 days.

    python benchmarks/sessions_page.py --db postgres://postgres@127.0.0.1:5432/costdash_sess
    python benchmarks/sessions_page.py --reuse --explain     # time again, EXPLAIN ANALYZE the slowest query

The Sessions page reads only session rollups (SessionDay and what is rebuilt from it), so this skips
the year of requests ``dashboard_pages.py`` loads and writes the rollup rows directly with
``INSERT ... SELECT generate_series``, shaped like that data at full size: 8 teams, ~64% of days
active (~235 a developer), 1-7 sessions an active day (~3.8), 8-60 requests a session (one in 30
long, 8x), ~74 repositories (5 per team, 2 org-wide, a personal checkout for one developer in 50);
one session in 50 goes on into the next day (one in 300 into a third) and one in 200 has a second
project. Then SessionMonth/SessionSpan (and whatever else a migration rebuilds from SessionDay) are
filled from those rows by SQL equal to the recompute's, a row a project in DailyDimensionCost and a
row a model in DailyCost give the filter bar its choices, and every variant of the Sessions page in
``dashboard_pages.py`` (default 30 days, a team, one developer, a project, a model, 365 days, as a
developer) is timed with Django's test client like there.

--db (default postgres://postgres@127.0.0.1:5432/costdash_sess) is created if missing and migrated;
its rollup and people tables are emptied unless --reuse finds this shape already loaded.
"""
from __future__ import annotations

from importlib import import_module
import os
from pathlib import Path
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_pages as pages  # noqa: E402
from benchmarks.import_transcripts import database_ensure  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_sess"
TEAM_REPOS = ("api", "web", "worker", "sdk", "terraform")
ORG_REPOS = ("monorepo", "platform-config")

# One row a session and day (and project): ``h`` hashes are stable, so a run is the same data each time.
SESSION_DAYS = """
WITH dev AS (
    SELECT d.id, row_number() OVER (ORDER BY d.id) - 1 AS n FROM accounts_developer d
),
active AS (
    SELECT dev.id, dev.n, day::date AS day, hashtext(dev.id || ':' || day::date) AS h
    FROM dev CROSS JOIN generate_series(%(today)s::date - (%(days)s - 1), %(today)s::date, '1 day') AS day
    WHERE abs(hashtext(dev.id || ':' || day::date)) %% 1000 < 644
),
session AS (
    SELECT a.id, a.n, a.day, s, md5(a.id || ':' || a.day || ':' || s) AS sid,
           abs(hashtext(a.id || ':' || a.day || ':' || s)) AS h
    FROM active a CROSS JOIN LATERAL generate_series(1, 1 + abs(a.h) %% 7) AS s
),
shaped AS (
    SELECT id, n, day, sid, h,
           (8 + h %% 53) * CASE WHEN h / 53 %% 30 = 0 THEN 8 ELSE 1 END AS requests,
           CASE WHEN n %% 50 = 2 AND h / 1590 %% 10 < 3 THEN 'home-dev' || n
           ELSE CASE h / 15900 %% 6
                WHEN 0 THEN (%(org)s::text[])[1 + n %% 2]
                ELSE 'team' || n %% 8 || '-' || (%(team)s::text[])[1 + (n %% 2 + h / 15900 %% 6 - 1) %% 5]
              END END AS project,
           %(today)s::date + time '08:00' + make_interval(secs => h %% 37800) AS first_at
    FROM session
)
INSERT INTO rollups_sessionday (developer_id, day, session_id, project, requests, unpriced_requests, cost,
                                input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, first_at, last_at)
SELECT id, day + part.plus, sid, CASE WHEN NOT part.other THEN project
            WHEN project = 'platform-config' THEN 'monorepo' ELSE 'platform-config' END,
       requests / part.share, CASE WHEN h %% 97 = 0 THEN 3 ELSE 0 END,
       round(requests / part.share * (0.03 + (h %% 1000) / 4000.0) * (1 + n %% 25 / 24.0 * 3), 6),
       requests / part.share * 9, requests / part.share * 700, requests / part.share * 70000,
       requests / part.share * 5000,
       first_at - (%(today)s::date - day) * interval '1 day' + part.plus * interval '1 day',
       first_at - (%(today)s::date - day) * interval '1 day' + part.plus * interval '1 day'
         + make_interval(secs => requests / part.share * 40)
FROM shaped CROSS JOIN LATERAL (
    VALUES (0, false, 1)
    UNION ALL SELECT 1, false, 2 WHERE h / 7 %% 50 = 0
    UNION ALL SELECT 2, false, 3 WHERE h / 7 %% 300 = 0
    UNION ALL SELECT 0, true, 2 WHERE h / 11 %% 200 = 1
) AS part(plus, other, share)
WHERE day + part.plus <= %(today)s::date
"""
SESSION_MONTHS = """
WITH parts AS (
    SELECT DISTINCT developer_id, session_id, date_trunc('month', day)::date AS month, project
    FROM rollups_sessionday
),
counted AS (
    SELECT developer_id, session_id, count(*) AS n FROM parts GROUP BY developer_id, session_id
),
simple AS (
    INSERT INTO rollups_sessionmonth (developer_id, month, project, sessions)
    SELECT p.developer_id, p.month, p.project, count(*)
    FROM parts p JOIN counted c USING (developer_id, session_id) WHERE c.n = 1
    GROUP BY p.developer_id, p.month, p.project
)
INSERT INTO rollups_sessionspan (developer_id, session_id, month, project)
SELECT p.developer_id, p.session_id, p.month, p.project
FROM parts p JOIN counted c USING (developer_id, session_id) WHERE c.n > 1
"""


def load(args, label: str) -> None:
    from django.apps import apps
    from django.db import connection
    from django.utils import timezone

    from costdash.accounts.models import OrgSettings
    from costdash.chargeback.models import DailyDimensionCost
    from costdash.ingest.models import ImportBatch, Source
    from costdash.lib.dates import reporting_day
    from costdash.rollups.models import DailyCost, SessionMonth, SessionSpan

    pages.empty_tables()
    SessionMonth.objects.all().delete()
    SessionSpan.objects.all().delete()
    DailyDimensionCost.objects.all().delete()
    people = pages.people_create(args.developers, args.seed)
    today = reporting_day(timezone.now(), OrgSettings.get().time_zone)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SESSION_DAYS, {"today": today, "days": args.days, "team": list(TEAM_REPOS),
                                      "org": list(ORG_REPOS)})
        cursor.execute(SESSION_MONTHS)
        if "rollups_sessiontotal" in connection.introspection.table_names(cursor):  # as its migration fills it
            cursor.execute("TRUNCATE rollups_sessiontotal")
            cursor.execute(import_module("costdash.rollups.migrations.0015_session_totals").FILL.format(
                totals="rollups_sessiontotal", days="rollups_sessionday"))
        cursor.execute("SELECT project, SUM(cost) FROM rollups_sessionday GROUP BY project")
        projects = cursor.fetchall()
    first = people[0]["developer_id"]
    # The project filter's choices, and its variant the project with the most spend (as in dashboard_pages).
    DailyDimensionCost.objects.bulk_create([DailyDimensionCost(developer_id=first, day=today, model="claude-opus-4-6",
                                                               source="files", project=p, cost=c) for p, c in projects])
    DailyCost.objects.bulk_create([DailyCost(developer_id=first, day=today, model=m, source="files")
                                   for m in ("claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5")])
    with connection.cursor() as cursor:
        for model in apps.get_app_config("rollups").get_models():
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*), count(DISTINCT (developer_id, session_id)) FROM rollups_sessionday")
        rows, sessions = cursor.fetchone()
    ImportBatch.objects.create(source=Source.FILES, status=ImportBatch.Status.DONE, label=label)
    print(f"load:          {rows:,} SessionDay rows ({sessions:,} sessions, {len(projects)} projects) in "
          f"{time.perf_counter() - started:.0f} s, {args.developers} developers x {args.days} days to {today}")


def main() -> None:
    parser = pages.arguments(__doc__.splitlines()[0], DEFAULT_DB)
    parser.set_defaults(developers=2000, runs=7)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each variant's slowest query")
    args = parser.parse_args()
    database_ensure(args.db)
    pages.django_setup(args.db)
    from django.urls import reverse

    label = pages.marker(args.developers, args.days, args.seed) + " (sessions_page.py)"
    if not args.reuse or pages.load_needed(label):
        load(args, label)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from costdash.rollups.models import SessionDay

    User = get_user_model()
    admin, developer = Client(raise_request_exception=False), Client(raise_request_exception=False)
    admin.force_login(User.objects.get(username=pages.ADMIN))
    developer.force_login(User.objects.get(username=pages.DEVELOPER))
    from django.db.models import Sum

    heavy = SessionDay.objects.values("developer").annotate(c=Sum("cost")).order_by("-c").first()["developer"]
    url = reverse("dashboard:sessions")
    pages.org_limit_ensure()
    print(f"load average {os.getloadavg()[0]:.1f}")
    pages.print_header()
    results = []
    for variant, params in pages.variants("filters", heavy):
        results.append(pages.request_timed(admin, url, params, args.runs, "Sessions", variant))
        pages.print_result(results[-1])
    results.append(pages.request_timed(developer, url, {}, args.runs, "Sessions", "as a developer"))
    pages.print_result(results[-1])
    print(f"load average {os.getloadavg()[0]:.1f}; {sum(r.ok for r in results)} of {len(results)} variants "
          f"meet the target")
    if args.explain:
        for r in results:
            r.times = [10_000.0]  # explain() explains the misses: here every variant
        pages.explain(results)


if __name__ == "__main__":
    main()
