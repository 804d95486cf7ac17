"""Monthly reports over the API (admins and billing; developers 403): the months, a month's report
with the Reports page's figures (tests/reports/conftest.py's hand-worked March 2026), its kept files,
building one and downloading it (recorded, as on the page)."""
from decimal import Decimal as D

import pytest

from costdash.api.fields import money_str
from costdash.reports.models import GeneratedReport, ReportDownload
from costdash.reports.selectors import monthly_report
from tests.reports.conftest import MARCH, cost_reports, march  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("march")]  # every test: March 2026
MONTHS, REPORT, FILES = "/api/v1/reports/", "/api/v1/reports/2026-03/", "/api/v1/reports/2026-03/files/"


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_developers_get_403_everywhere(developer_user, api_as):
    client = api_as(developer_user)
    kept = GeneratedReport.objects.create(month=MARCH, format="csv", status="ready")
    for method, url in (("get", MONTHS), ("get", REPORT), ("get", FILES), ("post", FILES),
                        ("get", f"/api/v1/reports/files/{kept.pk}/download/")):
        response = getattr(client, method)(url, {"format": "csv"} if method == "post" else {})
        assert response.status_code == 403, url
    assert GeneratedReport.objects.count() == 1 and not ReportDownload.objects.exists()


def test_the_months_with_usage_newest_first(billing_user, api_as):
    body = api_as(billing_user).get(MONTHS).json()
    assert [(m["month"], m["provisional"]) for m in body["results"]] == [("2026-03", False), ("2026-02", False)]
    assert body["results"][0]["url"] == "http://testserver/api/v1/reports/2026-03/"


def test_the_months_list_says_which_are_closed(billing_user, api_as):
    from datetime import date

    from costdash.reports.closing import month_close

    month_close(date(2026, 2, 1), billing_user)
    body = api_as(billing_user).get(MONTHS).json()
    assert [(m["month"], m["closed"], m["provisional"]) for m in body["results"]] == [
        ("2026-03", False, False), ("2026-02", True, False)]


@pytest.mark.usefixtures("cost_reports")
def test_a_months_report_has_the_reports_pages_figures(admin_user, api_as):
    body = api_as(admin_user).get(REPORT).json()
    assert (body["month"], body["until"], body["provisional"], body["provisional_reasons"]) == (
        "2026-03-01", "2026-03-31", False, [])
    totals = body["totals"]
    assert (totals["spend"], totals["active_days"], totals["p90"], totals["days_over_ceiling"]) == ("131.75", 9, "30.20", 1)
    assert (totals["requests"], totals["unpriced_requests"]) == (69, 6)
    assert [(t["team"], t["spend"], t["cost_center"]) for t in body["teams"]] == [
        ("Beta", "60.00", "CC-200"), ("Alpha", "59.50", "CC-100"), ("Gamma", "12.25", "CC-100")]
    assert [(c["cost_center"], c["spend"], c["p90"]) for c in body["cost_centers"]] == [
        ("CC-100", "71.75", "24.80"), ("CC-200", "60.00", "27.00")]
    ana = next(d for d in body["developers"] if d["developer"] == "Ana")
    assert (ana["spend"], ana["p90"], ana["cache_hit_rate"], ana["requests"], ana["cache_read_tokens"]) == (
        "59.50", "26.35", "0.775", 47, 3100)
    unpriced = {m["model"]: m["spend"] for m in body["models"] if m["unpriced_requests"]}
    assert unpriced == {"mystery-model": None, "claude-new": None}  # unknown, never $0
    assert body["reconciliation"]["available"] is True
    assert body["reconciliation"]["totals"] == {"billed": "19.75", "priced": "12.80", "difference": "6.95",
                                                "unpriced_rows": 2}
    report = monthly_report(MARCH)
    assert [(d["developer_id"], d["spend"], d["average_per_active_day"]) for d in body["developers"]] == [
        (d["developer_id"], money_str(d["spend"]), money_str(d["average_per_active_day"])) for d in report.developers]
    assert sum(D(d["spend"]) for d in body["developers"]) == report.totals["spend"]


@pytest.mark.parametrize("month", ["2026-13", "March", "2999-01"])
def test_a_bad_or_future_month_is_400(billing_user, api_as, month):
    response = api_as(billing_user).get(f"/api/v1/reports/{month}/")
    assert response.status_code == 400 and "month" in response.json()


def test_build_list_and_download_a_file(billing_user, api_as):
    client = api_as(billing_user)
    made = client.post(FILES, {"format": "csv", "sheet": "teams"})
    assert made.status_code == 201, made.content
    file = made.json()
    assert (file["format"], file["sheet"], file["status"], file["requested_by"], file["month"]) == (
        "csv", "teams", "ready", "billing", "2026-03")
    assert file["filename"] == "costdash-2026-03-teams.csv"
    download = client.get(file["download_url"], HTTP_ACCEPT="text/csv")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="costdash-2026-03-teams.csv"'
    assert b"Alpha,CC-100" in b"".join(download.streaming_content)
    assert list(ReportDownload.objects.values_list("report", "user")) == [(file["id"], billing_user.pk)]
    assert [f["id"] for f in client.get(FILES).json()["results"]] == [file["id"]]


@pytest.mark.parametrize("body, field", [({"format": "doc"}, "format"), ({"format": "csv", "sheet": "nope"}, "sheet"),
                                         ({}, "format")])
def test_a_bad_export_is_400_and_builds_nothing(billing_user, api_as, body, field):
    response = api_as(billing_user).post(FILES, body)
    assert response.status_code == 400 and field in response.json()
    assert not GeneratedReport.objects.exists()


def test_a_missing_or_failed_file_is_404(billing_user, api_as):
    failed = GeneratedReport.objects.create(month=MARCH, format="csv", status="failed", error="boom")
    client = api_as(billing_user)
    assert client.get(f"/api/v1/reports/files/{failed.pk}/download/").status_code == 404
    assert client.get("/api/v1/reports/files/999999/download/").status_code == 404
    assert client.get(FILES).json()["results"][0]["download_url"] is None
