"""Benchmark the Plans pages and API (plan advice) at a large team's scale: server time and SQL queries.

    python benchmarks/plan_advice.py                          # 200 developers x 365 days (dashboard_pages.py's data)
    python benchmarks/plan_advice.py --reuse                  # keep the data a previous run loaded
    python benchmarks/plan_advice.py --developers 20 --days 60 --runs 3   # a quick look

The data and its rollups come from benchmarks/dashboard_pages.py's loader (same generator, same real
recompute), in its own database (--db, default costdash_plans_bench, so it never empties another
benchmark's data nor DATABASE_URL's). Then each variant is requested --runs times with Django's test
client after one warm-up request that counts the SQL queries: the Plans page over 6 (default), 12 and
24 months, one team, and as a developer; one developer's page (the heaviest spender) over 6 and 12
months; the advice API over 12 months. Target as for every page: median < 300 ms, none over 1 s.
"""
from __future__ import annotations

from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_pages as bench  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_plans_bench"


def variants(heavy: int, own: int, team: int) -> list[tuple[str, str, str, dict, bool]]:
    """(page, variant, url, params, as the developer) of every timed request."""
    from django.urls import reverse

    advice, one = reverse("planning:advice"), reverse("planning:developer", args=[heavy])
    return [
        ("Plans", "6 months", advice, {}, False),
        ("Plans", "12 months", advice, {"months": 12}, False),
        ("Plans", "24 months", advice, {"months": 24}, False),
        ("Plans", "team, 12 months", advice, {"months": 12, "team": team}, False),
        ("Plans", "as a developer", advice, {"months": 12}, True),
        ("Plans (one)", "6 months", one, {}, False),
        ("Plans (one)", "12 months", one, {"months": 12}, False),
        ("Plans (one)", "own, 12 months", reverse("planning:developer", args=[own]), {"months": 12}, True),
        ("Plans API", "12 months", reverse("api:plan_advice"), {"months": 12}, False),
    ]


def main(argv: list[str] | None = None) -> int:
    args = bench.arguments(__doc__.splitlines()[0], DEFAULT_DB).parse_args(argv)
    bench.data_ready(args)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from costdash.rollups.models import DeveloperDay

    print(f"rollups:       {DeveloperDay.objects.count():,} DeveloperDay rows read by the advice")
    User = get_user_model()
    admin, developer = Client(raise_request_exception=False), Client(raise_request_exception=False)
    admin.force_login(User.objects.get(username=bench.ADMIN))
    developer.force_login(User.objects.get(username=bench.DEVELOPER))
    own = User.objects.get(username=bench.DEVELOPER).developer
    heavy = bench.heaviest_developer()
    bench.print_header()
    results = []
    for page, variant, url, params, as_developer in variants(heavy, own.pk, own.team_id):
        client = developer if as_developer else admin
        results.append(bench.request_timed(client, url, params, args.runs, page, variant))
        bench.print_result(results[-1])
    failed = [f"{r.page} ({r.variant})" for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} variants met the target"
          + (f"; missed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
