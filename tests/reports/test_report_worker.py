"""The Reports page's PDF and workbook through a real Celery worker on the real Redis: the request
answers without building (the files are pending, their builds waiting in the queue), then a worker
started afterwards builds both and the downloads serve them."""
import time
import uuid

from django.urls import reverse
import pytest
import redis

from costdash.celery import app
from costdash.reports.models import GeneratedReport
from tests.celery_workers import redis_url_or_fail, use_broker_settings, worker_start, worker_stop

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue():
    """This test's own queue on the real Redis, the web side pointed at it; no worker yet."""
    url, name = redis_url_or_fail(), f"costdash-test-{uuid.uuid4().hex[:8]}"
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    use_broker_settings(task_always_eager=False, broker_url=url, task_default_queue=name)
    yield url, name
    use_broker_settings(**saved)
    redis.Redis.from_url(url).delete(name)


@pytest.mark.usefixtures("march")
def test_the_request_only_queues_and_the_worker_builds_both_files(client, billing_user, queue, tmp_path):
    url, name = queue
    client.force_login(billing_user)
    started = time.monotonic()
    for fmt in ("pdf", "xlsx"):
        response = client.post(reverse("reports:export"), {"month": "2026-03", "format": fmt})
        assert response.status_code == 302 and response["Location"].endswith("#files")
    assert time.monotonic() - started < 5  # a PDF alone takes seconds to draw: it was not drawn here
    files = list(GeneratedReport.objects.order_by("pk"))
    assert [(f.format, f.status, f.file.name) for f in files] == [("pdf", "pending", ""), ("xlsx", "pending", "")]
    assert redis.Redis.from_url(url).llen(name) == 2  # both builds wait in the queue

    # The worker writes the files where this test reads them (tests/reports/conftest.py: MEDIA_ROOT under tmp_path).
    worker = worker_start(url, name, tmp_path / "worker.log", COSTDASH_DATA_DIR=str(tmp_path))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and GeneratedReport.objects.exclude(status="ready").exists():
            assert worker.poll() is None, f"the worker died:\n{(tmp_path / 'worker.log').read_text()}"
            assert not GeneratedReport.objects.filter(status="failed").exists(), GeneratedReport.objects.values()
            time.sleep(0.3)
    finally:
        worker_stop(worker)
    log = (tmp_path / "worker.log").read_text()
    assert not GeneratedReport.objects.exclude(status="ready").exists(), f"not built within 120 s:\n{log}"
    assert log.count("costdash.reports.tasks.report_build") >= 2

    pdf, xlsx = (client.get(reverse("reports:download", args=[f.pk])) for f in files)
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content).startswith(b"PK")
