"""Benchmark budgets at a large team's scale: the Budgets page, the API, a developer's home with
their budget card, and one periodic evaluation of the budget alert rule.

    python benchmarks/budgets_page.py                    # 200 developers x 365 days (dashboard_pages.py's data)
    python benchmarks/budgets_page.py --reuse            # keep the data a previous run loaded
    python benchmarks/budgets_page.py --developers 20 --days 60 --runs 3   # a quick look

The data and its rollups come from benchmarks/dashboard_pages.py's loader (same generator, same real
recompute), in its own database (--db, default costdash_budgets_bench). The budgets: a default per
developer for each period (day, week, month: 3 x 200 standings), a weekly budget per team, and a
monthly budget of their own for every fourth developer. Each variant is requested --runs times with
Django's test client after one warm-up request that counts the SQL queries. Target as for every page:
median < 300 ms, none over 1 s.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
import statistics
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_pages as bench  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/costdash_budgets_bench"


def budgets_create() -> int:
    from costdash.accounts.models import Developer, Team
    from costdash.budgets.models import Budget
    from costdash.budgets.services import budget_rule_ensure

    Budget.objects.all().delete()
    rows = [Budget(scope="default", period=period, amount=Decimal(amount))
            for period, amount in (("day", "30"), ("week", "120"), ("month", "450"))]
    rows += [Budget(scope="team", team=team, period="week", amount=Decimal("2500")) for team in Team.objects.all()]
    rows += [Budget(scope="developer", developer_id=pk, period="month", amount=Decimal("400"))
             for pk in Developer.objects.order_by("pk").values_list("pk", flat=True)[::4]]
    Budget.objects.bulk_create(rows)
    budget_rule_ensure()
    return len(rows)


def evaluation_timed(runs: int) -> None:
    """The periodic check of the budget rule alone (the other rules off): every budget's standing, then
    the events (the first run raises them; the others find them there)."""
    from costdash.alerts.evaluation import alerts_evaluate
    from costdash.alerts.models import AlertEvent, AlertRule

    enabled = list(AlertRule.objects.filter(enabled=True).exclude(kind="budget_share").values_list("pk", flat=True))
    AlertRule.objects.filter(pk__in=enabled).update(enabled=False)
    try:
        AlertEvent.objects.filter(rule__kind="budget_share").delete()
        times, raised = [], []
        for _ in range(runs + 1):
            started = time.perf_counter()
            raised.append(len(alerts_evaluate()))
            times.append((time.perf_counter() - started) * 1000)
    finally:
        AlertRule.objects.filter(pk__in=enabled).update(enabled=True)
    print(f"evaluation:    first check {times[0]:.0f} ms raising {raised[0]:,} events; then median "
          f"{statistics.median(times[1:]):.0f} ms, max {max(times[1:]):.0f} ms raising {sum(raised[1:])}")


def main(argv: list[str] | None = None) -> int:
    parser = bench.arguments(__doc__.splitlines()[0], DEFAULT_DB)
    parser.add_argument("--skip-rollups", action="store_true",
                        help="With --reuse: read the rollups as they are, even with days marked dirty since")
    args = parser.parse_args(argv)
    bench.data_ready(args, skip_rollups=args.skip_rollups)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    print(f"budgets:       {budgets_create()} (a default per period, a weekly one per team, every 4th developer's own)")
    User = get_user_model()
    admin = Client(raise_request_exception=False)
    admin.force_login(User.objects.get(username=bench.ADMIN))
    developer = Client(raise_request_exception=False)
    developer.force_login(User.objects.get(username=bench.DEVELOPER))
    bench.print_header()
    results = []
    for client, page, variant, url, params in (
        (admin, "Budgets", "admin: every standing", reverse("budgets:list"), {}),
        (developer, "Budgets", "a developer's own", reverse("budgets:list"), {}),
        (developer, "Today", "a developer's home, budget card", reverse("dashboard:overview"), {}),
        (admin, "Budgets API", "admin, 50 a page", reverse("api:budgets"), {}),
        (developer, "Budgets API", "mine", reverse("api:my_budgets"), {}),
    ):
        results.append(bench.request_timed(client, url, params, args.runs, page, variant))
        bench.print_result(results[-1])
    evaluation_timed(min(args.runs, 5))
    failed = [f"{r.page} ({r.variant})" for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} variants met the target"
          + (f"; missed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
