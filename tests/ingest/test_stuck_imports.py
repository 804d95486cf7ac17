"""Nothing stuck: an import whose worker is killed (kill -9, a real Celery worker on the real Redis)
is failed by the beat's sweeper with the reason and raises "Import failed"; an upload whose enqueue
was lost is queued again by the sweeper and imported; an error escaping an import never leaves its
batch running."""
from datetime import timedelta
import time
import uuid

from django.core.files.base import ContentFile
from django.db import DataError, connection, transaction
from django.utils import timezone
import pytest
import redis

from costdash.alerts.defaults import rules_create_defaults
from costdash.alerts.evaluation import alerts_evaluate
from costdash.alerts.models import AlertEvent, AlertRule
from costdash.celery import app
from costdash.ingest import import_run
from costdash.ingest.models import ImportBatch, Source, UsageEvent
from costdash.ingest.services import usage_import
from costdash.ingest.sweep import import_batches_sweep
from costdash.ingest.tasks import import_batch_run
from costdash.rollups.models import DirtyDay
from tests.celery_workers import redis_url_or_fail, use_broker_settings, worker_start, worker_stop
from tests.factories import DeveloperFactory

from .transcripts import assistant_line, write_jsonl

DAY = "2026-03-02"


def _transcript(n: int) -> bytes:
    import json

    return b"".join(json.dumps(assistant_line(msg=f"msg_{i}", req=f"req_{i}", ts=f"{DAY}T10:00:00Z")).encode()
                    + b"\n" for i in range(n))


def _pending_upload(developer, data: bytes) -> ImportBatch:
    batch = ImportBatch(source=Source.CLAUDE_CODE_JSONL, label="s.jsonl", developer=developer, transcripts_only=True,
                        total_bytes=len(data))
    batch.upload.save("s.jsonl", ContentFile(data), save=False)
    batch.save()
    return batch


@pytest.fixture
def worker(tmp_path, settings):
    """A real worker on its own queue, sharing this test's media folder."""
    redis_url = redis_url_or_fail()
    settings.MEDIA_ROOT = tmp_path / "media"
    queue = f"costdash-test-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    proc = worker_start(redis_url, queue, log_path, COSTDASH_DATA_DIR=str(tmp_path))
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    use_broker_settings(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    yield proc, log_path
    use_broker_settings(**saved)
    if proc.poll() is None:
        worker_stop(proc)
    redis.Redis.from_url(redis_url).delete(queue)


def _wait(condition, proc, log_path, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert proc.poll() is None, f"the worker died:\n{log_path.read_text()}"
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds} s; worker log:\n{log_path.read_text()}")


def _blocked_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_is_swept_failed_with_an_alert(worker, settings):
    proc, log_path = worker
    rules_create_defaults(AlertRule)
    ana = DeveloperFactory(email="ana@example.com")
    DirtyDay.objects.create(developer=ana, day=DAY, marked_at=timezone.now())
    batch = _pending_upload(ana, _transcript(50))
    with transaction.atomic():
        # Hold the row the import's flush must update: the worker is caught mid-import, its batch
        # claimed and running, its flush waiting. Then it is killed, as the OOM killer would.
        DirtyDay.objects.select_for_update().get(developer=ana)
        import_batch_run.delay(batch.pk)
        _wait(lambda: ImportBatch.objects.get(pk=batch.pk).status == "running", proc, log_path, "the claim")
        _wait(_blocked_on_a_lock, proc, log_path, "the flush")
        proc.kill()
        proc.wait(10)
    batch.refresh_from_db()
    assert batch.status == "running" and not UsageEvent.objects.exists()
    assert import_batches_sweep().failed == 0  # its lease is fresh: it could be a slow worker
    later = timezone.now() + timedelta(seconds=settings.COSTDASH_IMPORT_STALE_SECONDS + 1)
    assert import_batches_sweep(now=later).failed == 1
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.finished_at == later
    assert batch.failure.startswith("the worker stopped: heartbeat lost at ")
    assert import_batches_sweep(now=later).failed == 0  # once
    alerts_evaluate()
    event = AlertEvent.objects.get(rule__kind="import_failed")
    assert event.subject_key == f"batch:{batch.pk}" and "the worker stopped: heartbeat lost at" in event.summary


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_enqueue_was_lost_is_queued_by_the_sweep(worker, settings):
    proc, log_path = worker
    ana = DeveloperFactory(email="ana@example.com")
    batch = _pending_upload(ana, _transcript(3))  # saved, never queued (Redis was down)
    assert import_batches_sweep().queued == 0  # within its grace period
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.COSTDASH_IMPORT_PENDING_GRACE_SECONDS + 1))
    assert import_batches_sweep().queued == 1
    assert import_batches_sweep().queued == 0  # not again within the grace period
    _wait(lambda: ImportBatch.objects.get(pk=batch.pk).status == "done", proc, log_path, "the import")
    batch.refresh_from_db()
    assert batch.requests_new == 3 and UsageEvent.objects.count() == 3


@pytest.mark.django_db
def test_an_error_escaping_an_import_fails_its_batch(tmp_path, monkeypatch):
    """Even when the outcome itself cannot be saved (a database error in the batch's own save)."""
    def refuse(self):
        raise DataError("value too long for type character varying(120)")

    monkeypatch.setattr(import_run.ImportRun, "save_counts", refuse)
    with pytest.raises(DataError):
        usage_import([write_jsonl(tmp_path / "s.jsonl", [assistant_line()])], developer_email="ana@example.com")
    batch = ImportBatch.objects.get()
    assert batch.status == "failed" and batch.failure == "DataError: value too long for type character varying(120)"
