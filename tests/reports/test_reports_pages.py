"""The Reports page, its exports and downloads: the role matrix, the on-page figures, a download
recorded with who made it, the generated-files list."""
from datetime import timedelta
import re

from django.urls import reverse
import pytest

from costdash.dashboard.filters import org_today
from costdash.reports.models import GeneratedReport, MonthlyRun, ReportDownload
from costdash.reports.services import report_generate
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.reports.conftest import MARCH

PAGE = reverse("reports:month")
EXPORT = reverse("reports:export")
PERSONAS = ["developer_user", "outsider_user"]


def download_url(report) -> str:
    return reverse("reports:download", args=[report.pk])


@pytest.fixture
def kept(db):
    return report_generate(MARCH, "csv", sheet="developers")


# The role matrix


@pytest.mark.django_db
@pytest.mark.parametrize("method, url", [("get", PAGE), ("post", EXPORT), ("get", "/reports/1/download")])
def test_anonymous_is_sent_to_login(client, method, url):
    response = getattr(client, method)(url, {"month": "2026-03", "format": "csv"} if method == "post" else {})
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_developers_and_other_logins_get_403_everywhere(client, kept, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 403
    assert client.post(EXPORT, {"month": "2026-03", "format": "csv"}).status_code == 403
    assert client.get(download_url(kept)).status_code == 403
    assert not ReportDownload.objects.exists() and GeneratedReport.objects.count() == 1


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admin_and_billing_open_export_and_download(client, march, kept, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(PAGE, {"month": "2026-03"}).status_code == 200
    response = client.post(EXPORT, {"month": "2026-03", "format": "csv", "sheet": "teams"})
    made = GeneratedReport.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == download_url(made)
    assert made.requested_by == user and made.sheet == "teams"
    download = client.get(download_url(made))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="costdash-2026-03-teams.csv"'
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert b"Alpha,CC-100" in b"".join(download.streaming_content)
    assert list(ReportDownload.objects.values_list("report", "user")) == [(made.pk, user.pk)]


def test_nav_shows_reports_to_admin_and_billing_only(client, admin_user, billing_user, developer_user):
    for user, shown in ((admin_user, True), (billing_user, True), (developer_user, False)):
        client.force_login(user)
        assert (f'href="{PAGE}"' in client.get(reverse("dashboard:overview")).content.decode()) is shown


# The page


def table(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start:html.index("</table>", start)]


def test_page_shows_the_months_tables_with_totals(client, billing_user, march, cost_reports):
    client.force_login(billing_user)
    html = client.get(PAGE, {"month": "2026-03"}).content.decode()
    developers = table(html, "developers")
    assert re.findall(r'<th scope="row">([^<]+)</th>', developers) == ["Bo Brannigan", "Ana", "Cy", "Total"]
    assert "$131.75" in developers and "$30.20" in developers and "77.5%" in developers
    assert "Alpha, Gamma" in table(html, "cost_centers")
    assert "unpriced" in table(html, "models")
    assert "$6.95" in table(html, "reconciliation")
    assert "Final" in html and 'id="provisional"' not in html
    assert 'data-chart="report-chart-0"' in html  # daily spend by model, drawn by charts.js


def test_page_defaults_to_last_month_and_marks_the_open_month_provisional(client, billing_user):
    today = org_today()
    DailyCostFactory(developer=DeveloperFactory(name="Now"), day=today, cost=3)
    client.force_login(billing_user)
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert f"Monthly report: {last:%B %Y}" in client.get(PAGE).content.decode()
    html = client.get(PAGE, {"month": f"{today:%Y-%m}"}).content.decode()
    assert 'id="provisional"' in html and "the month is not over" in html and "$3.00" in html


def test_a_bad_month_says_so_and_shows_last_month(client, billing_user):
    client.force_login(billing_user)
    html = client.get(PAGE, {"month": "2999-01"}).content.decode()
    assert "That month could not be shown" in html and "has not started yet" in html
    last = (org_today().replace(day=1) - timedelta(days=1)).replace(day=1)
    assert f"Monthly report: {last:%B %Y}" in html  # last month, not the one asked for nor today's


def test_a_month_without_a_cost_report_says_so(client, billing_user, march):
    client.force_login(billing_user)
    html = client.get(PAGE, {"month": "2026-03"}).content.decode()
    assert "No Anthropic cost report was imported for March 2026" in html


def test_generated_files_list_who_asked_and_who_downloaded(client, billing_user, admin_user, march):
    scheduled = report_generate(MARCH, "xlsx", run=MonthlyRun.objects.create(month=MARCH, status="sent"))
    asked = report_generate(MARCH, "csv", sheet="models", requested_by=admin_user)
    client.force_login(billing_user)
    client.get(download_url(asked))
    html = table(client.get(PAGE).content.decode(), "generated-files")
    rows = html.split("<tr>")[2:]  # newest first, after the heading row
    assert "costdash-2026-03-models.csv" in rows[0] and ">admin<" in rows[0] and "billing " in rows[0]
    assert "costdash-2026-03.xlsx" in rows[1] and "Monthly schedule" in rows[1] and "none" in rows[1]
    assert scheduled.run.month == MARCH


def test_a_failed_or_missing_file_is_not_served(client, billing_user, kept):
    GeneratedReport.objects.filter(pk=kept.pk).update(status="failed", error="boom")
    client.force_login(billing_user)
    assert client.get(download_url(kept)).status_code == 404
    assert client.get("/reports/999999/download").status_code == 404
    assert "boom" in client.get(PAGE).content.decode()
    assert not ReportDownload.objects.exists()


def test_export_of_a_bad_breakdown_goes_back_with_the_reason(client, billing_user, march):
    client.force_login(billing_user)
    response = client.post(EXPORT, {"month": "2026-03", "format": "csv", "sheet": "nope"}, follow=True)
    assert "unknown breakdown" in response.content.decode() and not GeneratedReport.objects.exists()
    response = client.post(EXPORT, {"month": "2999-01", "format": "pdf"}, follow=True)
    assert "has not started yet" in response.content.decode()
