"""Benchmark the dashboard pages at a large team's scale: server time and SQL queries per page.

    python benchmarks/dashboard_pages.py                          # 200 developers x 365 days (5.6M requests)
    python benchmarks/dashboard_pages.py --reuse                  # keep the data a previous run loaded
    python benchmarks/dashboard_pages.py --developers 20 --days 30 --runs 5   # a quick look
    python benchmarks/dashboard_pages.py --reuse --explain        # EXPLAIN ANALYZE the slowest query of a slow page

1. Load (skipped by --reuse when the database holds this run's shape): empties the usage, rollup and
   people tables, creates the teams, developers, an admin and a developer login, then COPYs a year of
   priced requests (``benchmarks/dashboard_data.py``) straight into UsageEvent from worker processes.
2. Rollups through the real code path: ``daily_cost_mark_all_dirty()`` then ``daily_cost_recompute_dirty()``,
   each timed (the recompute is a figure of its own).
3. Every dashboard page, and its filter variants (a team, one developer, one model, a 365-day range),
   requested ``--runs`` times with Django's test client logged in as the admin (and the main pages once
   more as the developer), after one warm-up request that counts the SQL queries. Server time is the
   whole request in-process (middleware, view, queries, template), without network or browser.
   Target per page: median < 300 ms and none over 1 s. Issue 13's pages (NEW_PAGES: Projects, Sessions,
   the most requested session's page, the developer's own home, and the Overview with its hour x weekday
   heatmap) join the list; one whose URL does not resolve yet is skipped with a message saying so.

--db (default postgres://postgres@127.0.0.1:5432/costdash_bench5m, not DATABASE_URL, so a run never
empties the database you work in) is created if missing and migrated. DEBUG is off.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
import multiprocessing
import os
from pathlib import Path
import statistics
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_data as data  # noqa: E402
from benchmarks.import_transcripts import database_ensure  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_bench5m"
TARGET_MEDIAN_MS = 300
TARGET_MAX_MS = 1000
TEAMS = ("Platform", "Payments", "Mobile", "Data", "Infra", "Growth", "Search", "Security")
FIRST = ("Ana", "Bo", "Chen", "Dana", "Eli", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena", "Mateo", "Nia")
LAST = ("Pereira", "Okafor", "Lindqvist", "Tanaka", "Novak", "Haddad", "Moreau", "Singh", "Kowalski", "Reyes")
ADMIN, DEVELOPER = "bench-admin", "bench-developer"
# (label, URL name, which variants, whether a developer may open it). Pages not built yet are reported as such.
PAGES = (
    ("Overview", "dashboard:overview", "filters", True),
    ("Developers", "dashboard:developers", "filters", True),
    ("Developer", "dashboard:developer", "one developer", True),
    ("Cache", "dashboard:cache", "filters", True),
    ("Models", "dashboard:models", "filters", True),
    ("Limits", "limits:list", "months", False),  # the org's money: admins and billing only (403)
)
# Issue 13's pages, skipped (with a message) while their URL does not resolve. The Overview above
# carries the hour x weekday heatmap once it lands, and its "as a developer" request is the developer's
# own home (dashboard:overview shows a developer their today, week and month).
NEW_PAGES = (
    ("Projects", "dashboard:projects", "filters", True),
    ("Sessions", "dashboard:sessions", "filters", True),
    ("Session", "dashboard:session", "one session", True),  # the session with the most requests
)
ORG_LIMIT = Decimal("50000")  # USD a month: about what this team spends, so the status is not trivially ok


def django_setup(database_url: str, migrate: bool = True) -> None:
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="costdash.settings", DJANGO_DEBUG="false",
                      DJANGO_ALLOWED_HOSTS="testserver")
    os.environ.pop("REDIS_URL", None)  # tasks in-process; the recompute is called directly anyway
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ["COSTDASH_ALLOW_INSECURE_KEY"] = "true"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def marker(developers: int, days: int, seed: int) -> str:
    return f"benchmarks/dashboard_pages.py: {developers} developers x {days} days, seed {seed}"


# ---- 1. the data ----

def load_needed(label: str) -> bool:
    from costdash.ingest.models import ImportBatch

    return not ImportBatch.objects.filter(label=label, status=ImportBatch.Status.DONE).exists()


def empty_tables() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from costdash.accounts.models import Developer, Identity, Team
    from costdash.ingest.models import ImportBatch, ImportedFile, UsageEvent
    from costdash.rollups.models import DailyActivity, DailyCost, DirtyDay, SessionDay

    models = (UsageEvent, ImportedFile, ImportBatch, DailyCost, DailyActivity, SessionDay, DirtyDay, Identity,
              Developer, Team)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(qn(m._meta.db_table) for m in models) + " CASCADE")
    get_user_model().objects.filter(username__in=(ADMIN, DEVELOPER)).delete()


def people_create(count: int, seed: int) -> list[dict]:
    """Teams, developers (a profile each, with its id) and the two logins."""
    from django.contrib.auth import get_user_model

    from costdash.accounts.models import Developer, Team

    teams = Team.objects.bulk_create([Team(name=name, cost_center=f"CC-{i + 100}") for i, name in enumerate(TEAMS)])
    people = data.profiles(count, seed)
    developers = Developer.objects.bulk_create([
        Developer(email=f"dev{p['index']:03d}@example.com", team=teams[p["index"] % len(teams)],
                  name=f"{FIRST[p['index'] % len(FIRST)]} {LAST[p['index'] // len(FIRST) % len(LAST)]} {p['index']}")
        for p in people
    ])
    for person, developer in zip(people, developers, strict=True):
        person["developer_id"] = developer.pk
    User = get_user_model()
    User.objects.create_superuser(ADMIN, "admin@example.com", "bench-admin-pw")
    developers[0].user = User.objects.create_user(DEVELOPER, developers[0].email, "bench-developer-pw")
    developers[0].save(update_fields=["user"])
    return people


def load(args, label: str) -> None:
    from django.db import connection
    from django.utils import timezone

    from costdash.accounts.models import OrgSettings
    from costdash.ingest.models import ImportBatch, Source, UsageEvent
    from costdash.lib.dates import reporting_day

    empty_tables()
    people = people_create(args.developers, args.seed)
    batch = ImportBatch.objects.create(source=Source.FILES, status=ImportBatch.Status.RUNNING, label=label)
    tz_name = OrgSettings.get().time_zone
    now = timezone.now()
    today = reporting_day(now, tz_name)
    days = [today - timedelta(days=n) for n in range(args.days - 1, -1, -1)]
    shares = [people[i :: args.workers] for i in range(args.workers)]  # round robin: heavy users spread out
    started = time.perf_counter()
    connection.close()
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        parts = pool.starmap(data.load, [
            (args.db, UsageEvent._meta.db_table, batch.pk, share, days, tz_name, now, args.seed) for share in shares
        ])
    seconds = time.perf_counter() - started
    tally = data.Tally()
    for part in parts:
        tally.merge(part)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(UsageEvent._meta.db_table)}")
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.DONE, requests_new=tally.rows,
                                                   started_at=now, finished_at=timezone.now())
    mix = ", ".join(f"{model} {n / tally.rows:.0%}" for model, n in tally.by_model.most_common())
    print(f"load:          {tally.rows:,} requests in {seconds:.0f} s ({tally.rows / seconds:,.0f} rows/s, "
          f"{args.workers} workers), {args.developers} developers x {args.days} days to {today} ({tz_name})")
    print(f"               {tally.active_days:,} active developer-days, {tally.rows / tally.active_days:.0f} requests "
          f"and ${tally.cost / tally.active_days:.2f} a day on average; ${tally.cost:,.2f} in all; "
          f"{tally.unpriced:,} unpriced requests")
    print(f"               model mix (requests): {mix}")


# ---- 2. the rollups ----

def rollups(workers: int = 1, database_url: str = DEFAULT_DB) -> None:
    """Mark every developer-day dirty and recompute: ``daily_cost_recompute_dirty()`` (workers 1), or each of
    ``workers`` processes recomputing every Nth developer's days through ``daily_cost_recompute`` and then
    the org's days once (as that does; for 2,000 developers, where one process takes an hour)."""
    from django.apps import apps
    from django.db import connection

    from costdash.rollups.models import DailyCost, DirtyDay, SessionDay
    from costdash.rollups.org_days import org_days_rebuild
    from costdash.rollups.services import daily_cost_mark_all_dirty, daily_cost_recompute_dirty

    started = time.perf_counter()
    marked = daily_cost_mark_all_dirty()
    mark_s = time.perf_counter() - started
    started = time.perf_counter()
    if workers <= 1:
        recomputed = daily_cost_recompute_dirty()
    else:
        connection.close()
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            recomputed = sum(pool.starmap(_recompute_share, [(database_url, i, workers) for i in range(workers)]))
        org_days_rebuild()
        DirtyDay.objects.all().delete()
    recompute_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        # Every rollup table: unanalyzed (autovacuum may be off), the planner expects a few dozen rows
        # and sorts a page's groups on disk instead of hashing them (seen on the Projects page and the
        # on-pace rule's HourlyCost read).
        for model in (*apps.get_app_config("rollups").get_models(), *apps.get_app_config("chargeback").get_models()):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    statistics_refresh()
    print(f"rollups:       marked {marked:,} developer-days dirty in {mark_s:.1f} s; recomputed {recomputed:,} in "
          f"{recompute_s:.1f} s ({recompute_s / max(recomputed, 1) * 1000:.1f} ms each): "
          f"{DailyCost.objects.count():,} DailyCost, {SessionDay.objects.count():,} SessionDay rows")


def _recompute_share(database_url: str, share: int, shares: int) -> int:
    """A recompute process of rollups(): the dirty days of developers whose id is ``share`` modulo ``shares``."""
    from collections import defaultdict

    django_setup(database_url, migrate=False)
    from costdash.rollups.models import DirtyDay
    from costdash.rollups.services import daily_cost_recompute

    days = defaultdict(set)
    for developer_id, day in DirtyDay.objects.values_list("developer_id", "day"):
        if developer_id % shares == share:
            days[developer_id].add(day)
    for developer_id, dirty in sorted(days.items()):
        daily_cost_recompute(developer_id, dirty, org_days=False)
    return sum(len(dirty) for dirty in days.values())


def statistics_refresh() -> None:
    """ANALYZE every table (tables a migration added since the load have no statistics yet)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# ---- 3. the pages ----

@dataclass
class Result:
    page: str
    variant: str
    status: int
    times: list[float]
    queries: int
    slowest: list[dict]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]  # nearest rank

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.median < TARGET_MEDIAN_MS and max(self.times) < TARGET_MAX_MS


def request_timed(client, url: str, params: dict, runs: int, page: str, variant: str) -> Result:
    """One warm-up request (counting its SQL queries), then ``runs`` timed ones."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    queries = captured.captured_queries  # now: the next request clears the log
    times = []
    if response.status_code == 200:
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url, params)
            times.append((time.perf_counter() - started) * 1000)
    slowest = sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:3]
    return Result(page, variant, response.status_code, times or [0.0], len(queries), slowest)


def variants(kind: str, developer_id: int) -> list[tuple[str, dict]]:
    """The filter variants of a page: ``filters`` (the shared filter bar), ``one developer`` (a developer's
    own page: no team or developer filter), ``months`` (the limits page's month picker)."""
    from costdash.accounts.models import Developer
    from costdash.dashboard.filters import org_today

    today = org_today()
    if kind == "months":
        last_month = today.replace(day=1) - timedelta(days=1)
        return [("default", {}), ("last month", {"month": last_month.strftime("%Y-%m")})]
    out = [("default", {})]
    if kind == "one session":
        return out
    if kind == "filters":
        out += [("team", {"team": Developer.objects.get(pk=developer_id).team_id}),
                ("developer", {"developer": developer_id})]
        project = biggest_project()
        if project:
            out.append(("project", {"project": project}))
    return out + [("model", {"model": data.OPUS}),
                  ("365 days", {"since": (today - timedelta(days=364)).isoformat(), "until": today.isoformat()})]


def org_limit_ensure() -> None:
    """An org-wide monthly limit for the limits page to measure spend against (once the app exists)."""
    from django.apps import apps

    if apps.is_installed("costdash.limits"):
        from costdash.limits.models import SpendLimit

        SpendLimit.objects.get_or_create(scope=SpendLimit.Scope.ORG, defaults={"amount": ORG_LIMIT})


def biggest_project() -> str | None:
    """The shown name of the repository with the most spend, for the project filter (None while the
    filter bar has no project field)."""
    from costdash.dashboard.filters import DashboardFilterForm

    if "project" not in DashboardFilterForm.base_fields:
        return None
    from django.db.models import Sum

    from costdash.chargeback.models import DailyDimensionCost
    from costdash.chargeback.projects import project_aliases, project_name

    top = DailyDimensionCost.objects.exclude(project="").values("project").annotate(c=Sum("cost")) \
        .order_by("-c").first()
    return project_name(top["project"], project_aliases()) if top else None


def largest_session(developer_id: int | None = None) -> str | None:
    """The session id with the most requests (of one developer), for the session page."""
    from django.db.models import Sum

    from costdash.rollups.models import SessionDay

    rows = SessionDay.objects.all() if developer_id is None else SessionDay.objects.filter(developer=developer_id)
    top = rows.values("session_id").annotate(n=Sum("requests")).order_by("-n").first()
    return top["session_id"] if top else None


def url_args(kind: str, developer_id: int | None) -> list:
    """The URL arguments of a page: a developer's id, a session's id, or none."""
    if kind == "one developer":
        return [developer_id]
    if kind == "one session":
        return [largest_session(developer_id)]
    return []


def heaviest_developer() -> int:
    from django.db.models import Sum

    from costdash.rollups.models import DailyCost

    top = DailyCost.objects.values("developer").annotate(c=Sum("cost")).order_by("-c").first()
    return top["developer"]


def pages(runs: int) -> list[Result]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    User = get_user_model()
    heavy = heaviest_developer()
    admin, developer = Client(raise_request_exception=False), Client(raise_request_exception=False)
    admin.force_login(User.objects.get(username=ADMIN))
    developer.force_login(User.objects.get(username=DEVELOPER))
    own = User.objects.get(username=DEVELOPER).developer.pk
    results: list[Result] = []
    for label, name, kind, developers_see_it in PAGES + NEW_PAGES:
        if kind == "one session" and largest_session() is None:
            print(f"{label}: skipped, no session in the data")
            continue
        try:
            url = reverse(name, args=url_args(kind, heavy if kind == "one developer" else None))
        except NoReverseMatch:
            print(f"{label}: skipped, {name} does not resolve (the page is not built yet)")
            continue
        for variant, params in variants(kind, heavy):
            results.append(request_timed(admin, url, params, runs, label, variant))
            print_result(results[-1])
        if developers_see_it:
            own_url = reverse(name, args=url_args(kind, own)) if kind in ("one developer", "one session") else url
            variant = "developer home" if name == "dashboard:overview" else "as a developer"
            results.append(request_timed(developer, own_url, {}, runs, label, variant))
            print_result(results[-1])
    return results


def print_header() -> None:
    print(f"\n{'page':<12} {'variant':<16} {'median':>8} {'p95':>8} {'max':>8} {'queries':>8}  "
          f"target: median < {TARGET_MEDIAN_MS} ms, max < {TARGET_MAX_MS} ms")


def print_result(r: Result) -> None:
    verdict = "PASS" if r.ok else ("FAIL" if r.status == 200 else f"FAIL (HTTP {r.status})")
    print(f"{r.page:<12} {r.variant:<16} {r.median:>6.0f}ms {r.p95:>6.0f}ms {max(r.times):>6.0f}ms "
          f"{r.queries:>8}  {verdict}", flush=True)


def explain(results: list[Result]) -> None:
    """EXPLAIN ANALYZE the slowest query of each page that missed the target."""
    from django.db import connection

    for r in results:
        if r.ok or not r.slowest:
            continue
        q = r.slowest[0]
        print(f"\n--- {r.page} / {r.variant}: slowest of {r.queries} queries, {float(q['time']) * 1000:.0f} ms\n"
              f"{q['sql']}\n")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


def arguments(description: str, default_db: str = DEFAULT_DB) -> argparse.ArgumentParser:
    """The options every benchmark on this data takes: its shape, the database, runs, --reuse."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--developers", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=10, help="Timed requests per page and variant (default 10)")
    parser.add_argument("--reuse", action="store_true", help="Skip the load if the database holds this shape")
    parser.add_argument("--db", default=default_db, help=f"PostgreSQL URL (default {default_db})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="Processes generating and COPYing rows")
    parser.add_argument("--recompute-workers", type=int, default=1,
                        help="Processes recomputing the rollups (default 1: daily_cost_recompute_dirty() itself)")
    return parser


def data_ready(args, *, skip_rollups: bool = False, rollups_missing=None) -> None:
    """Set Django up on ``args.db`` and make sure it holds this run's data with its rollups: loaded
    unless --reuse finds the same shape; rollups rebuilt when days are dirty, none exist, or
    ``rollups_missing()`` says a table is empty (unless ``skip_rollups``: read them as they are)."""
    database_ensure(args.db)
    django_setup(args.db)
    from costdash.rollups.models import DailyCost, DirtyDay

    label = marker(args.developers, args.days, args.seed)
    if not args.reuse or load_needed(label):
        load(args, label)
        rollups(args.recompute_workers, args.db)
    elif not skip_rollups and (DirtyDay.objects.exists() or not DailyCost.objects.exists()
                               or (rollups_missing is not None and rollups_missing())):
        rollups(args.recompute_workers, args.db)
    else:
        print(f"reusing:       {label}")
        statistics_refresh()


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of a slow page")
    args = parser.parse_args(argv)
    data_ready(args)
    org_limit_ensure()
    print_header()
    results = pages(args.runs)
    if args.explain:
        explain(results)
    failed = [f"{r.page} ({r.variant})" for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} page variants met the target"
          + (f"; missed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
