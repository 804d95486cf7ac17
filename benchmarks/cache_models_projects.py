"""The Cache, Models and Projects pages on synthesized rollups: 2,000 developers x 365 days in minutes.

    python benchmarks/cache_models_projects.py --db postgres://postgres@127.0.0.1:5432/costdash_cm --synth
    python benchmarks/cache_models_projects.py --db ... --runs 5 --explain

``dashboard_pages.py`` loads a year of requests and recomputes every rollup from them (hours at
2,000 developers). The pages here read rollups only, so ``--synth`` writes the rollup rows directly
with INSERT ... SELECT generate_series, shaped like that benchmark's: 8 teams, ~235 active days a
developer, 2-3 DailyCost rows a developer-day (Opus for some, Sonnet 4.5 then 4.6, Haiku, an
unpriced model for one developer in 67; one source each), ~3 projects a developer-month over ~60
repositories (a team's five, two org-wide ones), ~4 sessions a day. DailyDimensionCost adds up to
DailyCost exactly, MonthlyDimensionCost, DeveloperDay, OrgDailyCost, SessionMonth and the
per-developer-month rollups are summed from them in SQL. Figures are not priced by the rate table
(the pages re-price tokens themselves; recorded cost is a plausible number).

Then every variant of ``dashboard_pages.py`` for the three pages, timed the same way (test client,
admin and developer logins), and with ``--explain`` the slowest SQL of each variant EXPLAIN ANALYZEd.
--db is emptied by --synth: never point it at a database you work in.
"""
from __future__ import annotations

import argparse
from pathlib import Path
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_pages as bench  # noqa: E402

PAGES = (("Cache", "dashboard:cache"), ("Models", "dashboard:models"), ("Projects", "dashboard:projects"))

SYNTH = """
TRUNCATE rollups_dailycost, rollups_developerday, rollups_orgdailycost, rollups_sessionday, rollups_sessionmonth,
    rollups_sessionspan, chargeback_dailydimensioncost, chargeback_monthlydimensioncost, accounts_identity,
    accounts_developer, accounts_team CASCADE;
INSERT INTO accounts_team (name, cost_center)
SELECT t, 'CC-' || i FROM unnest(%(teams)s::text[]) WITH ORDINALITY u(t, i);
INSERT INTO accounts_developer (email, name, created_at, team_id)
SELECT format('dev%%s@example.com', lpad(i::text, 4, '0')), 'Dev ' || i, now(),
       (SELECT id FROM accounts_team ORDER BY id OFFSET i %% 8 LIMIT 1)
FROM generate_series(0, %(developers)s - 1) i;
SELECT setseed(0.16);
CREATE TEMP TABLE dev ON COMMIT DROP AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS i, team_id, 0.5 + random() AS weight, random() * 0.6 AS opus,
       CASE WHEN random() < 0.7 THEN 'claude_code_jsonl' ELSE 'otel' END AS source,
       0.45 + random() * 0.5 AS skill
FROM accounts_developer;
CREATE TEMP TABLE act ON COMMIT DROP AS
SELECT dev.*, d::date AS day FROM dev, generate_series(%(since)s::date, %(until)s::date, '1 day') d
WHERE random() < CASE WHEN extract(isodow FROM d) < 6 THEN 0.86 ELSE 0.12 END;
CREATE TEMP TABLE dc ON COMMIT DROP AS
SELECT a.id AS developer_id, a.day, m.model, a.source, a.i, a.team_id,
       (m.share * a.weight * (0.6 + random() * 0.8) * 4000)::bigint AS input_tokens,
       (m.share * a.weight * (0.6 + random() * 0.8) * 90000)::bigint AS output_tokens,
       CASE WHEN a.i %% 5 < 2 THEN (m.share * a.weight * (1 - a.skill) * 3e6)::bigint ELSE 0 END
           AS cache_write_5m_tokens,
       CASE WHEN a.i %% 5 >= 2 THEN (m.share * a.weight * (1 - a.skill) * 3e6)::bigint ELSE 0 END
           AS cache_write_1h_tokens,
       (m.share * a.weight * a.skill * 6e6 * (0.6 + random() * 0.8))::bigint AS cache_read_tokens,
       (m.share * a.weight * 40 + 1)::int AS requests, m.rate
FROM act a CROSS JOIN LATERAL (VALUES
    (CASE WHEN a.day < %(switch)s::date THEN 'claude-sonnet-4-5' ELSE 'claude-sonnet-4-6' END, 1.0, 3.0),
    ('claude-haiku-4-5', 0.15, 1.0),
    ('claude-opus-4-6', a.opus * 2, 5.0),
    ('claude-neptune-preview', 0.3, NULL)
) m(model, share, rate)
WHERE (m.model <> 'claude-opus-4-6' OR random() < a.opus * 1.5)
  AND (m.model <> 'claude-neptune-preview' OR a.i %% 67 = 5);
INSERT INTO rollups_dailycost (developer_id, day, model, source, input_tokens, output_tokens, cache_write_5m_tokens,
    cache_write_1h_tokens, cache_read_tokens, web_search_requests, requests, sessions, unpriced_requests, cost,
    computed_at, cache_split, split_bound_tokens)
SELECT developer_id, day, model, source, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
       cache_read_tokens, 0, requests, 3, CASE WHEN rate IS NULL THEN requests ELSE 0 END,
       coalesce(round((input_tokens * rate + output_tokens * rate * 5 + cache_write_5m_tokens * rate * 1.25
                       + cache_write_1h_tokens * rate * 2 + cache_read_tokens * rate * 0.1) / 1e6, 12), 0),
       now(), '', 0
FROM dc;
INSERT INTO rollups_developerday (developer_id, day, cost, active, computed_at, sources, cache_split)
SELECT developer_id, day, sum(cost), true, now(), min(source), '' FROM rollups_dailycost GROUP BY developer_id, day;
INSERT INTO rollups_orgdailycost (day, model, source, input_tokens, output_tokens, cache_write_5m_tokens,
    cache_write_1h_tokens, cache_read_tokens, web_search_requests, requests, unpriced_requests, cost)
SELECT day, model, source, sum(input_tokens), sum(output_tokens), sum(cache_write_5m_tokens),
       sum(cache_write_1h_tokens), sum(cache_read_tokens), sum(web_search_requests), sum(requests),
       sum(unpriced_requests), sum(cost)
FROM rollups_dailycost GROUP BY day, model, source;
-- Projects: a developer's team repository of the month, an org-wide one some days (a third of the
-- day's figures), another of the team's repositories on one day in nine.
CREATE TEMP TABLE part ON COMMIT DROP AS
SELECT c.*, p.project, p.k FROM rollups_dailycost c
JOIN dev ON dev.id = c.developer_id
CROSS JOIN LATERAL (VALUES
    (0, (SELECT name FROM accounts_team t WHERE t.id = dev.team_id) || '-'
        || (ARRAY['api', 'web', 'worker', 'sdk', 'terraform'])[1 + (dev.i + extract(month FROM c.day)::int) %% 5]),
    (1, (ARRAY['monorepo', 'platform-config'])[1 + dev.i %% 2]),
    (2, (SELECT name FROM accounts_team t WHERE t.id = dev.team_id) || '-'
        || (ARRAY['api', 'web', 'worker', 'sdk', 'terraform'])[1 + (dev.i + 2 + extract(month FROM c.day)::int) %% 5])
) p(k, project)
WHERE p.k = 0 OR (p.k = 1 AND (extract(doy FROM c.day)::int + dev.i) %% 3 = 0)
   OR (p.k = 2 AND (extract(doy FROM c.day)::int + dev.i) %% 9 = 1);
INSERT INTO chargeback_dailydimensioncost (developer_id, day, model, source, dimensions, project, cost, requests,
    unpriced_requests, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
    web_search_requests)
SELECT developer_id, day, model, source, '{"project":"' || project || '"}', project,
       CASE WHEN k = 0 THEN cost - (n - 1) * round(cost / 3, 12) ELSE round(cost / 3, 12) END,
       CASE WHEN k = 0 THEN requests - (n - 1) * (requests / 3) ELSE requests / 3 END,
       CASE WHEN k = 0 THEN unpriced_requests - (n - 1) * (unpriced_requests / 3) ELSE unpriced_requests / 3 END,
       CASE WHEN k = 0 THEN input_tokens - (n - 1) * (input_tokens / 3) ELSE input_tokens / 3 END,
       CASE WHEN k = 0 THEN output_tokens - (n - 1) * (output_tokens / 3) ELSE output_tokens / 3 END,
       CASE WHEN k = 0 THEN cache_write_5m_tokens - (n - 1) * (cache_write_5m_tokens / 3)
            ELSE cache_write_5m_tokens / 3 END,
       CASE WHEN k = 0 THEN cache_write_1h_tokens - (n - 1) * (cache_write_1h_tokens / 3)
            ELSE cache_write_1h_tokens / 3 END,
       CASE WHEN k = 0 THEN cache_read_tokens - (n - 1) * (cache_read_tokens / 3) ELSE cache_read_tokens / 3 END,
       0
FROM (SELECT *, count(*) OVER (PARTITION BY id) AS n FROM part) x;
INSERT INTO chargeback_monthlydimensioncost (developer_id, month, model, project, cost, requests, unpriced_requests,
    input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, web_search_requests)
SELECT developer_id, date_trunc('month', day)::date, model, project, sum(cost), sum(requests), sum(unpriced_requests),
       sum(input_tokens), sum(output_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens),
       sum(cache_read_tokens), sum(web_search_requests)
FROM chargeback_dailydimensioncost GROUP BY 1, 2, 3, 4;
-- Sessions: ~4 a developer-day, each in one of the day's projects, one day long.
INSERT INTO rollups_sessionday (developer_id, day, session_id, project, requests, unpriced_requests, cost,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, first_at, last_at)
SELECT p.developer_id, p.day, md5(p.developer_id || ':' || p.day || ':' || p.project || ':' || s), p.project,
       10, 0, 1, 100, 100, 100, 100, p.day + time '09:00', p.day + time '10:00'
FROM (SELECT DISTINCT developer_id, day, project, k FROM part) p, generate_series(1, 3) s
WHERE s = 1 OR p.k = 0;
INSERT INTO rollups_sessionmonth (developer_id, month, project, sessions)
SELECT developer_id, date_trunc('month', day)::date, project, count(*) FROM rollups_sessionday GROUP BY 1, 2, 3;
"""


def synth(developers: int, days: int) -> None:
    from datetime import timedelta

    from django.db import connection, transaction

    from costdash.dashboard.filters import org_today

    until = org_today()
    since = until - timedelta(days=days - 1)
    switch = since + timedelta(days=days * 2 // 3)
    started = time.perf_counter()
    params = {"teams": list(bench.TEAMS), "developers": developers, "since": since, "until": until, "switch": switch}
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in SYNTH.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
    with connection.cursor() as cursor:
        for extra in _extra_fill():
            cursor.execute(extra)
        cursor.execute("ANALYZE")
    _logins()
    print(f"synth: {developers} developers x {days} days to {until} in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        for table in ("rollups_dailycost", "chargeback_dailydimensioncost", "chargeback_monthlydimensioncost",
                      "rollups_sessionday", *_extra_tables()):
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"       {table}: {cursor.fetchone()[0]:,} rows")


# chargeback.MonthlyCost (migration chargeback 0005): DailyCost summed per developer, month and model.
MONTHLY_COST = """
TRUNCATE chargeback_monthlycost;
INSERT INTO chargeback_monthlycost (developer_id, month, model, cost, requests, unpriced_requests, input_tokens,
    output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, web_search_requests)
SELECT developer_id, date_trunc('month', day)::date, model, sum(cost), sum(requests), sum(unpriced_requests),
       sum(input_tokens), sum(output_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens),
       sum(cache_read_tokens), sum(web_search_requests)
FROM rollups_dailycost GROUP BY 1, 2, 3
"""


def _extra_tables() -> tuple[str, ...]:
    """Rollup tables summed from the synthesized ones as their migrations' fills do."""
    return ("chargeback_monthlycost",)


def _extra_fill() -> list[str]:
    return MONTHLY_COST.split(";\n")


def _logins() -> None:
    from django.contrib.auth import get_user_model

    from costdash.accounts.models import Developer

    User = get_user_model()
    User.objects.filter(username__in=(bench.ADMIN, bench.DEVELOPER)).delete()
    User.objects.create_superuser(bench.ADMIN, "admin@example.com", "bench-admin-pw")
    first = Developer.objects.order_by("pk").first()
    first.user = User.objects.create_user(bench.DEVELOPER, first.email, "bench-developer-pw")
    first.save(update_fields=["user"])


def pages(runs: int, only: set[str]) -> list:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    User = get_user_model()
    heavy = bench.heaviest_developer()
    admin, developer = Client(raise_request_exception=True), Client(raise_request_exception=True)
    admin.force_login(User.objects.get(username=bench.ADMIN))
    developer.force_login(User.objects.get(username=bench.DEVELOPER))
    results = []
    for label, name in PAGES:
        if only and label.lower() not in only:
            continue
        url = reverse(name)
        for variant, params in bench.variants("filters", heavy):
            results.append(bench.request_timed(admin, url, params, runs, label, variant))
            bench.print_result(results[-1])
        results.append(bench.request_timed(developer, url, {}, runs, label, "as a developer"))
        bench.print_result(results[-1])
    return results


def explain(results: list) -> None:
    """The slowest three queries of every variant, each with its EXPLAIN ANALYZE execution time."""
    from django.db import connection

    for r in results:
        print(f"\n--- {r.page} / {r.variant}: {r.queries} queries")
        for q in r.slowest:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + q["sql"])
                plan = cursor.fetchone()[0][0]
            print(f"  {float(q['time']) * 1000:6.0f} ms in the request, {plan['Execution Time']:6.0f} ms explained:"
                  f" {q['sql'][:160]}")


def main() -> None:
    parser = bench.arguments(__doc__.splitlines()[0], default_db="postgres://postgres@127.0.0.1:5432/costdash_cm")
    parser.set_defaults(developers=2000, runs=5)
    parser.add_argument("--synth", action="store_true", help="Empty --db's rollups and write new ones first")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--pages", default="", help="Comma-separated: cache,models,projects (default all)")
    args: argparse.Namespace = parser.parse_args()
    bench.django_setup(args.db)
    if args.synth:
        synth(args.developers, args.days)
    bench.print_header()
    results = pages(args.runs, {p.strip().lower() for p in args.pages.split(",") if p.strip()})
    if args.explain:
        explain(results)


if __name__ == "__main__":
    main()
