"""PDF and Excel files are built on the Celery worker, never in the web request: the page and the API
record the file as pending and queue its build (safe with the broker down: the beat's sweep queues it
later), the page lists it as building and polls, the worker builds it, and the download serves it; a
failed build is recorded and shown; a build whose worker died is taken again, then given up. A CSV is
still built at once (tests/reports/test_reports_pages.py)."""
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
import pytest
from rest_framework.test import APIClient

from costdash.api.services import api_token_create
from costdash.celery import app
from costdash.reports import formats
from costdash.reports.models import GeneratedReport
from costdash.reports.services import MAX_ATTEMPTS, STALE_BUILD, report_build, report_claim, report_request
from costdash.reports.tasks import reports_build_sweep
from tests.celery_workers import use_broker_settings
from tests.reports.conftest import MARCH

PAGE, EXPORT = reverse("reports:month"), reverse("reports:export")
pytestmark = pytest.mark.django_db


def status_of(client, report) -> dict:
    return client.get(reverse("reports:status", args=[report.pk])).json()


@pytest.mark.usefixtures("march")
def test_the_page_queues_the_build_and_lists_it_as_building_until_it_is_ready(
        client, billing_user, django_capture_on_commit_callbacks):
    client.force_login(billing_user)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(EXPORT, {"month": "2026-03", "format": "xlsx"})
    report = GeneratedReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{PAGE}?month=2026-03#files"
    assert (report.status, report.file.name, report.requested_by) == ("pending", "", billing_user)  # not built
    assert len(queued) == 1  # its build, sent to the broker once the request's writes commit

    page = client.get(PAGE, {"month": "2026-03"}).content.decode()
    assert "being built" in page and "building</span>" in page
    assert f'data-report-status="{reverse("reports:status", args=[report.pk])}"' in page
    assert "js/report_progress.js" in page  # the poller: a file, under the Content-Security-Policy
    assert status_of(client, report) == {"status": "pending", "finished": False, "error": "", "download_url": None}

    queued[0]()  # what the worker does (in-process here; tests/reports/test_report_worker.py: a real one)
    report.refresh_from_db()
    assert report.status == "ready" and report.size > 0
    assert status_of(client, report)["download_url"] == reverse("reports:download", args=[report.pk])
    page = client.get(PAGE, {"month": "2026-03"}).content.decode()
    assert "report_progress.js" not in page and "building</span>" not in page
    download = client.get(reverse("reports:download", args=[report.pk]))
    assert download.status_code == 200 and download["Content-Disposition"] == 'attachment; filename="costdash-2026-03.xlsx"'


@pytest.mark.usefixtures("march")
def test_with_the_broker_down_the_request_answers_and_the_sweep_builds_it_later(client, billing_user,
                                                                               django_capture_on_commit_callbacks):
    client.force_login(billing_user)
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")}
    use_broker_settings(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False)
    try:  # nothing listens on port 1
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(EXPORT, {"month": "2026-03", "format": "pdf"})
    finally:
        use_broker_settings(**saved)
    report = GeneratedReport.objects.get()
    assert response.status_code == 302 and report.status == "pending"
    assert reports_build_sweep() == 0  # too recent: its enqueue may still be on its way
    GeneratedReport.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert reports_build_sweep() == 1  # queued again (in-process here): built
    report.refresh_from_db()
    assert report.status == "ready" and report.file.read(4) == b"%PDF"


@pytest.mark.usefixtures("march")
def test_a_failed_build_is_recorded_and_shown(client, billing_user, monkeypatch, django_capture_on_commit_callbacks):
    def broken(exporter, out, sheet):
        raise OSError("disk full")

    monkeypatch.setitem(formats.WRITERS, "xlsx", broken)
    client.force_login(billing_user)
    with django_capture_on_commit_callbacks(execute=True):  # the build runs in-process (tasks are eager here)
        client.post(EXPORT, {"month": "2026-03", "format": "xlsx"})
    report = GeneratedReport.objects.get()
    assert (report.status, report.error) == ("failed", "OSError: disk full")
    assert status_of(client, report)["finished"] is True
    assert "OSError: disk full" in client.get(PAGE, {"month": "2026-03"}).content.decode()
    assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404


def test_a_build_is_claimed_once_and_a_dead_workers_claim_is_taken_again_then_given_up(march):
    report = report_request(MARCH, "xlsx")
    assert report_claim(report.pk) is True and report_claim(report.pk) is False  # one builder at a time
    assert report_build(report.pk).status == "building"  # another worker has it: left alone
    GeneratedReport.objects.update(claimed_at=timezone.now() - STALE_BUILD - timedelta(seconds=1))
    assert reports_build_sweep() == 1  # its worker died: queued again, and built
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("ready", 2)

    dying = report_request(MARCH, "pdf")
    GeneratedReport.objects.filter(pk=dying.pk).update(
        status="building", attempts=MAX_ATTEMPTS, claimed_at=timezone.now() - STALE_BUILD - timedelta(seconds=1))
    assert reports_build_sweep() == 0
    dying.refresh_from_db()
    assert dying.status == "failed" and f"stopped {MAX_ATTEMPTS} times" in dying.error


@pytest.mark.usefixtures("march")
def test_the_api_answers_202_with_the_files_status_url(billing_user, django_capture_on_commit_callbacks):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=billing_user, name='tests')[1]}")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        made = client.post("/api/v1/reports/2026-03/files/", {"format": "pdf"})
    assert made.status_code == 202, made.content
    body = made.json()
    assert made["Location"] == body["url"] == f"http://testserver/api/v1/reports/files/{body['id']}/"
    assert (body["status"], body["download_url"]) == ("pending", None) and len(queued) == 1
    assert client.get(body["url"]).json()["status"] == "pending"
    queued[0]()
    ready = client.get(body["url"]).json()
    assert ready["status"] == "ready" and ready["download_url"].endswith(f"/files/{body['id']}/download/")
    assert client.get(ready["download_url"]).status_code == 200
