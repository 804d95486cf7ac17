"""Real Celery workers on the real Redis, delivering to a real SMTP server and a real webhook.

Two workers race over the same day: the import's recompute, more recomputes of every day, periodic
evaluations and sweeps that re-queue undelivered alerts at once (COSTDASH_ALERT_RESEND_SECONDS=0),
all queued together, and more sends of the alert to each channel. Still one alert, one e-mail, one
delivered webhook. A lone worker shows the
webhook's 500 retried by Celery after its backoff.
"""
from datetime import timedelta
import hashlib
import hmac
import json
import time
import uuid

import pytest
import redis

from costdash.alerts.models import AlertEvent, AlertRule, Channel, Notification
from costdash.alerts.tasks import alert_notify, alerts_evaluate, alerts_sweep
from costdash.celery import app
from costdash.ingest.services import usage_import
from costdash.rollups.services import daily_cost_mark_all_dirty
from costdash.rollups.tasks import daily_cost_recompute_dirty
from tests.alerts.conftest import BASE_URL, SECRET, costly_lines, make_channel, org_today
from tests.celery_workers import redis_url_or_fail, use_broker_settings, worker_start, worker_stop
from tests.ingest.transcripts import write_jsonl

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_workers(tmp_path, smtp):
    """start(n, **env) -> (workers [(process, log path)], SMTP sink): n workers on a queue of this
    test's own, e-mail to a real SMTP server; this process queues to the same queue."""
    redis_url = redis_url_or_fail()
    queue = f"costdash-alerts-test-{uuid.uuid4().hex[:8]}"
    started = []
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}

    def start(n: int, **env: str):
        sink = smtp()
        settings = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port), "COSTDASH_BASE_URL": BASE_URL, **env}
        for i in range(n):
            log = tmp_path / f"worker{i}.log"
            started.append((worker_start(redis_url, queue, log, name=f"w{i}", **settings), log))
        use_broker_settings(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
        return started, sink

    yield start
    use_broker_settings(**saved)
    for proc, _ in started:
        worker_stop(proc)
    redis.Redis.from_url(redis_url).delete(queue)


def wait_for(condition, workers, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for proc, log in workers:
            assert proc.poll() is None, f"a worker died:\n{log.read_text()}"
        if condition():
            return
        time.sleep(0.2)
    logs = "\n".join(log.read_text() for _, log in workers)
    pytest.fail(f"not done within {seconds} s; worker logs:\n{logs}")


def ceiling_rule_only(default_rules):
    AlertRule.objects.exclude(kind="daily_ceiling").update(enabled=False)


def signed(request) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers["X-Costdash-Signature"])


def test_two_workers_racing_over_the_same_day_deliver_one_alert(start_workers, receiver, default_rules, tmp_path):
    ceiling_rule_only(default_rules)
    hook = receiver(delay=0.3)  # slow enough that concurrent sends would overlap
    make_channel("webhook", "Ops", {"url": f"{hook.url}/hook", "secret": SECRET})
    make_channel("email", "Finance", {"to": ["finance@example.com"]})
    workers, sink = start_workers(2, COSTDASH_ALERT_RESEND_SECONDS="0", COSTDASH_ALERT_RETRY_SECONDS="1")

    day = org_today() - timedelta(days=1)
    usage_import([write_jsonl(tmp_path / "s.jsonl", costly_lines(day, 3))], developer_email="ana@example.com")
    for _ in range(4):  # more recomputes of every day, evaluations and sweeps, all at once
        daily_cost_mark_all_dirty()
        daily_cost_recompute_dirty.delay()
        alerts_evaluate.delay()
        alerts_sweep.delay()
        alerts_evaluate.delay()

    wait_for(AlertEvent.objects.exists, workers)
    event = AlertEvent.objects.get()
    for channel in Channel.objects.all():  # as if sweepers on both workers re-sent it at once
        for _ in range(3):
            alert_notify.delay(event.pk, channel.pk)
    wait_for(lambda: AlertEvent.objects.filter(delivery_done_at__isnull=False).exists(), workers)
    time.sleep(3)  # anything still queued or retrying would show by now
    event = AlertEvent.objects.get()
    assert (event.rule.kind, event.day, str(event.figure)) == ("daily_ceiling", day, "45.000000")
    sent = Notification.objects.filter(status="sent")
    assert sorted(sent.values_list("channel__name", flat=True)) == ["Finance", "Ops"]
    assert len(sink.messages) == 1 and sink.messages[0]["to"] == ["finance@example.com"]
    assert len(hook.received) == 1 and signed(hook.received[0])
    assert json.loads(hook.received[0].body)["event"] == event.pk
    logs = [log.read_text() for _, log in workers]
    assert all("costdash.alerts.tasks.alerts_evaluate" in text for text in logs), "both workers evaluated"
    assert sum(text.count("'skipped'") for text in logs) >= 6, "the extra sends were refused by the claim"


def test_a_worker_retries_a_500_after_its_backoff(start_workers, receiver, default_rules, tmp_path):
    ceiling_rule_only(default_rules)
    hook = receiver(500)
    make_channel("webhook", "Ops", {"url": f"{hook.url}/hook", "secret": SECRET})
    workers, _ = start_workers(1, COSTDASH_ALERT_RETRY_SECONDS="2")  # the sweeper stays out of it (5 minutes)

    day = org_today() - timedelta(days=1)
    usage_import([write_jsonl(tmp_path / "s.jsonl", costly_lines(day, 3))], developer_email="ana@example.com")
    wait_for(lambda: Notification.objects.filter(status="sent").exists(), workers)
    attempts = list(Notification.objects.order_by("attempt"))
    assert [(n.attempt, n.status, n.response_code) for n in attempts] == [(1, "failed", 500), (2, "sent", 200)]
    assert (attempts[1].created_at - attempts[0].finished_at).total_seconds() >= 1.5  # the backoff
    assert len(hook.received) == 2 and all(signed(r) for r in hook.received)
    assert "Retry in 2s" in workers[0][1].read_text()
