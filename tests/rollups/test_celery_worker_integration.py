"""An import's rollup arrives through a real Celery worker on the real Redis.

The worker is a separate process pointed at this test run's PostgreSQL database, so the
test commits for real (transaction=True) and waits for the worker's recompute.
"""
import time
import uuid

import pytest
import redis

from costdash.celery import app
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost, DirtyDay
from tests.celery_workers import redis_url_or_fail, use_broker_settings, worker_start, worker_stop
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_url():
    return redis_url_or_fail()


@pytest.fixture
def worker(redis_url, tmp_path):
    queue = f"costdash-test-{uuid.uuid4().hex[:8]}"
    proc = worker_start(redis_url, queue, tmp_path / "worker.log")
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    use_broker_settings(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    yield proc, tmp_path / "worker.log"
    use_broker_settings(**saved)
    worker_stop(proc)
    redis.Redis.from_url(redis_url).delete(queue)


def test_import_rollup_arrives_through_a_real_worker(worker, tmp_path):
    proc, log_path = worker
    lines = [
        assistant_line(msg="m1", req="r1", ts="2026-03-02T10:00:00Z", output=100),
        assistant_line(msg="m2", req="r2", ts="2026-03-02T11:00:00Z", output=300),
    ]
    batch = usage_import([write_jsonl(tmp_path / "s.jsonl", lines)], developer_email="ana@example.com")
    assert batch.status == "done"
    deadline = time.monotonic() + 60
    # The recompute commits the developer's rows, then the org's days (rollups.org_days), then clears the marks.
    while time.monotonic() < deadline and (not DailyCost.objects.exists() or DirtyDay.objects.exists()):
        assert proc.poll() is None, f"the worker died:\n{log_path.read_text()}"
        time.sleep(0.2)
    row = DailyCost.objects.filter(developer__email="ana@example.com").first()
    assert row is not None, f"no rollup arrived within 60 s; worker log:\n{log_path.read_text()}"
    assert (row.requests, row.output_tokens) == (2, 400)
    assert not DirtyDay.objects.exists()
    assert "daily_cost_recompute_dirty" in log_path.read_text()


def test_an_import_lands_when_the_broker_is_down_and_its_days_wait_for_the_sweep(tmp_path):
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")}
    use_broker_settings(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False)
    try:  # nothing listens on port 1: queueing the recompute fails after the import committed
        batch = usage_import([write_jsonl(tmp_path / "s.jsonl", [assistant_line()])], developer_email="ana@example.com")
    finally:
        use_broker_settings(**saved)
    assert batch.status == "done" and batch.requests_new == 1
    assert DirtyDay.objects.count() == 1 and not DailyCost.objects.exists()
