"""Benchmark the monthly report at a large team's scale: the report, the Reports page and each export.

    python benchmarks/report_export.py                    # the last full month of the dashboard benchmark's data
    python benchmarks/report_export.py --month 2026-06 --runs 5

Reads the database ``benchmarks/dashboard_pages.py`` loads (200 developers x 365 days; run that first)
and never writes to its usage or rollups: it only migrates it (the reports tables) and writes the
exports to a temporary folder. For each step: the median wall time of ``--runs`` runs, then one more
run under tracemalloc for the peak of Python memory it allocated (the figure that shows whether a
writer streams: it should not grow with the daily lines), and the file's size.
"""
from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from pathlib import Path
import statistics
import sys
import tempfile
import time
import tracemalloc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dashboard_pages import ADMIN, DEFAULT_DB, django_setup  # noqa: E402


def timed(step, runs: int) -> tuple[float, float]:
    """(median seconds of ``runs`` calls, peak MB that one more call allocated)."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - started)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(seconds), peak / 1024 / 1024


def last_full_month() -> date:
    from django.db.models import Max

    from costdash.rollups.models import DailyCost

    latest = DailyCost.objects.aggregate(day=Max("day"))["day"]
    if latest is None:
        sys.exit("no DailyCost rows: run benchmarks/dashboard_pages.py first to load the data")
    return (latest.replace(day=1) - timedelta(days=1)).replace(day=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--month", help="YYYY-MM (default: the last full month with data)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    django_setup(args.db)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from costdash.reports.exporters import monthly_exporter
    from costdash.reports.formats import WRITERS
    from costdash.reports.selectors import daily_line_count, monthly_report

    month = datetime.strptime(args.month, "%Y-%m").date() if args.month else last_full_month()
    with CaptureQueriesContext(connection) as queries:
        report = monthly_report(month)
    print(f"{month:%B %Y}: {len(report.developers)} developers, {report.totals['active_days']:,} active "
          f"developer-days, {daily_line_count(month):,} daily lines, spend ${report.totals['spend']:,.2f}; "
          f"monthly_report: {len(queries)} queries")
    print(f"{'step':<34} {'median':>9} {'peak MB':>8} {'size':>10}")

    def row(label: str, seconds: float, peak: float, size: int | None = None) -> None:
        shown = f"{size / 1024:,.0f} KB" if size is not None else ""
        print(f"{label:<34} {seconds * 1000:>7,.0f}ms {peak:>8.1f} {shown:>10}", flush=True)

    row("monthly_report()", *timed(lambda: monthly_report(month), args.runs))
    client = Client()
    client.force_login(get_user_model().objects.get(username=ADMIN))
    url = f"{reverse('reports:month')}?month={month:%Y-%m}"

    def page():
        assert client.get(url).status_code == 200

    row("Reports page (admin)", *timed(page, args.runs))
    exporter = monthly_exporter(month)
    with tempfile.TemporaryDirectory(prefix="costdash-bench-") as folder:
        for fmt, sheet, runs in (("csv", "developers", args.runs), ("csv", "daily", args.runs),
                                 ("xlsx", "", args.runs), ("pdf", "", 1)):
            path = Path(folder) / f"report-{sheet or 'all'}.{fmt}"

            def write(fmt=fmt, sheet=sheet, path=path):
                with open(path, "wb") as out:
                    WRITERS[fmt](exporter, out, sheet)

            seconds, peak = timed(write, runs)
            row(f"{fmt.upper()} {sheet or 'every breakdown'}", seconds, peak, path.stat().st_size)


if __name__ == "__main__":
    main()
