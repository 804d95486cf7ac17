"""Where a recovered or assumed cache-write split shows: the Overview's sources, a developer's
page, an import's page, the daily-costs API and the monthly report (its summary lines).

Ana's Sonnet day (2026-05-04) is recovered from Claude Code's cost.usage ($0.1095, exact; see
test_split_recovery); her Haiku day (2026-05-05) reports $0.005, below the all-5m cost $0.0077, so
its writes stay as the parser counted them (all 1h): 200 + 2,000 + 500 + 4,000x2 = 10,700 µ$.
"""
from datetime import date
from decimal import Decimal as D

from django.urls import reverse
import pytest
from rest_framework.test import APIClient

from costdash.accounts.models import Developer
from costdash.api.services import api_token_create
from costdash.ingest.models import ImportBatch
from costdash.ingest.services import usage_import
from costdash.reports.exporters.monthly import MonthlyExporter
from costdash.reports.selectors import monthly_report
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.otlp_metrics import nanos
from tests.ingest.reports import csv_text, write
from tests.ingest.test_parser_litellm_daily import HEADER, daily
from tests.rollups.test_split_recovery import ANA, HAIKU, SONNET, interval, post_metrics, token, utc_org  # noqa: F401

pytestmark = pytest.mark.django_db
RANGE = {"since": "2026-05-01", "until": "2026-05-31"}
HAIKU_ASSUMED = D("0.0107")


@pytest.fixture
def two_days(client, token):  # noqa: F811
    post_metrics(
        client, token,
        interval(SONNET, nanos(0), input=1000, output=2000, read=10000, writes=4000, cost=0.051),
        interval(SONNET, nanos(60), input=500, output=1000, read=20000, writes=6000, cost=0.0585),
        interval(HAIKU, nanos(86_400), input=200, output=400, read=5000, writes=4000, cost=0.005),
    )
    return Developer.objects.get(email=ANA)


def test_the_overview_names_recovered_and_assumed_splits_per_source(client, admin_user, two_days):
    client.force_login(admin_user)
    page = client.get(reverse("dashboard:overview"), RANGE).content.decode()
    assert 'id="cache-splits"' in page
    assert "split recovered on 1 developer-day × model row ($0.11)" in page
    assert "split assumed on 1 ($0.01, approximate): reported cost $0.005 is below the all-5-minute cost" in page


def test_a_developers_page_lists_its_split_days(client, admin_user, two_days):
    client.force_login(admin_user)
    page = client.get(reverse("dashboard:developer", args=[two_days.pk]), RANGE).content.decode()
    assert 'id="cache-splits"' in page
    assert "split recovered" in page and "4,000 / 6,000" in page
    assert "split assumed: reported cost $0.005 is below the all-5-minute cost $0.0077" in page


def test_the_daily_costs_api_carries_the_marker(admin_user, two_days):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=admin_user, name='t')[1]}")
    rows = api.get("/api/v1/daily-costs/", RANGE).json()["results"]
    assert [(r["day"], r["cost"], r["cache_split"]) for r in rows] == [
        ("2026-05-04", "0.1095", "recovered"), ("2026-05-05", "0.0107", "assumed")]


def test_the_monthly_report_counts_what_rests_on_splits(two_days):
    report = monthly_report(date(2026, 5, 1), today=date(2026, 6, 2))
    spend = D("0.1095") + HAIKU_ASSUMED
    assert report.totals["spend"] == spend
    recovered, assumed = report.cache_splits["recovered"], report.cache_splits["assumed"]
    assert (recovered["rows"], recovered["developer_days"], recovered["cost"]) == (1, 1, D("0.1095"))
    assert (assumed["rows"], assumed["cost"], assumed["share"]) == (1, HAIKU_ASSUMED, HAIKU_ASSUMED / spend)
    summary = dict(MonthlyExporter(report).summary)
    assert summary["Cache-write split recovered"] == "$0.11, 91.1% of spend, on 1 developer-day"
    assert summary["Cache-write split assumed (approximate)"] == "$0.01, 8.9% of spend, on 1 developer-day"


def test_a_month_without_unsplit_sources_has_no_split_lines(two_days):
    report = monthly_report(date(2026, 4, 1), today=date(2026, 6, 2))
    assert report.cache_splits["recovered"]["rows"] == report.cache_splits["assumed"]["rows"] == 0
    assert not any(label.startswith("Cache-write split") for label, _ in MonthlyExporter(report).summary)


def test_an_imports_page_counts_its_recovered_and_assumed_buckets(client, admin_user, tmp_path):
    # Sonnet 4.5 rows: one whose spend is its 2,400 5m + 4,000 1h writes ($0.08766, recovered), one
    # whose spend no split explains ($0.01: below the all-5m $0.07866).
    data = csv_text(HEADER, [daily(date="2026-05-04", user_id=ANA, user_email=ANA, spend="0.08766"),
                             daily(date="2026-05-05", user_id=ANA, user_email=ANA, spend="0.01")])
    batch = usage_import([write(tmp_path / "daily.csv", data)])
    assert batch.status == ImportBatch.Status.DONE
    client.force_login(admin_user)
    url = reverse("ingest:batch", args=[batch.pk])
    before = client.get(url).content.decode()
    assert "not counted from them (yet): 2" in before  # the recompute has not run
    daily_cost_recompute_dirty()
    page = client.get(url).content.decode()
    assert "split recovered</span> from the source's own cost: 1<" in page
    assert "(the source's rule; approximate): 1: reported cost $0.01 is below the all-5-minute cost" in page
    assert "not counted from them" not in page
